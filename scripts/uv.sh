#!/usr/bin/env bash
# Runs uv. When uv is not on PATH (a fresh machine), installs a pinned copy into .bootstrap/
# from PyPI with the system Python's pip first. uv must never download a Python of its own.
set -euo pipefail

UV_VERSION=0.13.8
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export UV_PYTHON_DOWNLOADS=never
# Trust the operating system's certificate store (as pip and curl do), not only uv's bundled
# roots: behind a TLS-inspecting proxy the bundled roots alone fail with "UnknownIssuer".
export UV_SYSTEM_CERTS="${UV_SYSTEM_CERTS:-1}"

# TRE_BOOTSTRAP_UV=1 forces the bootstrap copy even when uv is on PATH (to test that path).
if [[ -z "${TRE_BOOTSTRAP_UV:-}" ]] && command -v uv >/dev/null 2>&1; then
    exec uv "$@"
fi

if [[ ! -x "$root/.bootstrap/bin/uv" ]]; then
    echo "uv is not on PATH: installing uv==$UV_VERSION into .bootstrap/" >&2
    python3 -m venv "$root/.bootstrap"
    "$root/.bootstrap/bin/pip" install --quiet --disable-pip-version-check "uv==$UV_VERSION"
fi
exec "$root/.bootstrap/bin/uv" "$@"
