#!/usr/bin/env bash
# Security checks run by scripts/test.sh (CI):
#   1. bandit on our own code, medium severity and above: must be clean. The `# nosec B608`
#      marks are on the turnaround/metrics SQL, built from constant fragments of our own
#      (state names, CTEs) with every value passed as a query parameter.
#   2. pip-audit on the locked dependencies (uv.lock exported, every group, pinned, no
#      resolution): a known vulnerability fails the build.
# pip-audit asks an advisory service over the network (PyPI's per-release JSON, or OSV). When
# that service cannot be reached or does not know a package (a mirror that serves only the
# index, an outage), pip-audit cannot say anything about those packages: that is reported as a
# warning and does not fail the build, because it says nothing about our code or our lock. Set
# PIP_AUDIT_REQUIRED=1 (a release pipeline) to fail on that too.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin=.venv/bin

# bandit logs a warning for each line of a multi-line string under a `# nosec`: noise.
"$bin/bandit" -r access catalogue workflow notifications -ll -q -x '*/migrations/*' \
    2> >(grep -v "nosec encountered" >&2)
echo "bandit: no medium or high severity issue"

requirements="$(mktemp)"
report="$(mktemp)"
trap 'rm -f "$requirements" "$report"' EXIT
scripts/uv.sh export --frozen --format requirements-txt --all-groups --no-emit-project \
    --no-hashes >"$requirements"
set +e
"$bin/pip-audit" --disable-pip --no-deps --progress-spinner off --format json \
    --output "$report" -r "$requirements" 2>/dev/null
status=$?
set -e
"$bin/python" - "$report" "$status" <<'PY'
import json
import os
import sys

path, status = sys.argv[1], int(sys.argv[2])
try:
    with open(path) as handle:
        report = json.load(handle)
except (OSError, ValueError):
    report = None
if report is None:
    print(f"pip-audit: no report (exit {status}): the advisory service could not be reached")
    sys.exit(1 if os.environ.get("PIP_AUDIT_REQUIRED") == "1" else 0)
dependencies = report.get("dependencies", [])
vulnerable = [d for d in dependencies if d.get("vulns")]
unaudited = [d for d in dependencies if "skip_reason" in d]
for dep in vulnerable:
    ids = ", ".join(v["id"] for v in dep["vulns"])
    print(f"pip-audit: {dep['name']} {dep.get('version', '')} is vulnerable: {ids}")
audited = len(dependencies) - len(unaudited)
print(
    f"pip-audit: {audited} of {len(dependencies)} locked packages audited, "
    f"{len(vulnerable)} with a known vulnerability"
)
if unaudited:
    print(
        f"pip-audit: WARNING {len(unaudited)} packages could not be audited "
        f"(advisory service unreachable or package unknown to it), e.g. "
        f"{unaudited[0]['name']}: {unaudited[0]['skip_reason']}"
    )
if vulnerable:
    sys.exit(1)
if unaudited and os.environ.get("PIP_AUDIT_REQUIRED") == "1":
    sys.exit(1)
PY
