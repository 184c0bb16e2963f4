#!/usr/bin/env bash
# Everything CI checks, in order, stopping at the first failure. Run through `make test`
# (which installs the dependencies first). Point it at your own services with DATABASE_URL
# and TEST_REDIS_URL; extra arguments go to pytest (e.g. `make test PYTEST_ARGS="-k settings"`).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin=.venv/bin

step() { printf '\n==> %s\n' "$*"; }

export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
export TEST_REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/0}"
# Checks and tests run on throwaway local state, never on the developer's var/.
TRE_VAR_DIR="$(mktemp -d "${TMPDIR:-/tmp}/tre-test.XXXXXX")"
export TRE_VAR_DIR
trap 'rm -rf "$TRE_VAR_DIR"' EXIT

step "services (PostgreSQL, Redis)"
scripts/services.sh

step "ruff check"
"$bin/ruff" check .
step "ruff format --check"
"$bin/ruff" format --check .

step "the architecture: import contracts (import-linter, [tool.importlinter] in pyproject.toml)"
"$bin/lint-imports"
step "types: mypy ([tool.mypy] in pyproject.toml)"
"$bin/mypy"

step "migrations are up to date"
"$bin/python" manage.py makemigrations --check --dry-run
step "OpenAPI schema validates without warnings"
"$bin/python" manage.py spectacular --validate --fail-on-warn --file /dev/null
step "the state diagram in docs/ is generated from the current code"
"$bin/python" manage.py statemachine --check
step "system checks"
"$bin/python" manage.py check --fail-level WARNING

step "deployment checks with production settings (throwaway values)"
DJANGO_ENV=production \
    DJANGO_SECRET_KEY="$("$bin/python" -c 'import secrets; print(secrets.token_urlsafe(64))')" \
    DJANGO_ALLOWED_HOSTS=tre.example \
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
    CELERY_BROKER_URL=redis://127.0.0.1:6379/0 \
    EMAIL_URL=smtp://127.0.0.1:25 \
    AUDIT_KEY="$("$bin/python" -c 'import secrets; print(secrets.token_urlsafe(32))')" \
    "$bin/python" manage.py check --deploy --fail-level WARNING

step "security: bandit (medium and above) and pip-audit on the locked dependencies"
scripts/security.sh

step "Chromium for the browser tests (tests/functional/)"
# Debian's Chromium, driven by Playwright: browsers are never downloaded by Playwright itself.
if ! command -v chromium >/dev/null 2>&1; then
    if [[ $(id -u) -eq 0 ]]; then
        apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
    else
        sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
    fi
fi

step "pytest on $DATABASE_URL (coverage floor from pyproject.toml)"
# In parallel (pytest-xdist): one worker per core unless TEST_WORKERS says how many (0: all in
# this one process). Each worker has its own test database (test_test_gw0, ...), TRE_VAR_DIR
# and Redis index (tests/conftest.py); worksteal evens out the long browser and integration
# tests at the end. PYTEST_ARGS come last, so PYTEST_ARGS="-n 0 ..." wins too.
# shellcheck disable=SC2086  # PYTEST_ARGS is a list of words on purpose
"$bin/pytest" -n "${TEST_WORKERS:-auto}" --dist worksteal --cov --cov-report=term ${PYTEST_ARGS:-}
