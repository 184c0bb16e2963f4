#!/usr/bin/env bash
# The slow reliability tests, run by `.ci/run` after `make test` (everyday `make test` skips
# them): API fuzzing with schemathesis (tests/api/test_fuzz.py, bounded examples, fixed seed)
# and PostgreSQL restarted under load on a cluster of the test's own
# (tests/integration/test_postgres_restart.py). Figures go to test-artifacts/figures/
# (docs/reliability.md says how they are used).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
export TEST_REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/0}"
TRE_VAR_DIR="$(mktemp -d "${TMPDIR:-/tmp}/tre-slow.XXXXXX")"
export TRE_VAR_DIR
trap 'rm -rf "$TRE_VAR_DIR"' EXIT
export TRE_FUZZ=1 TRE_FAULTS=1
export TRE_FUZZ_EXAMPLES="${TRE_FUZZ_EXAMPLES:-3}"

printf '\n==> %s\n' "slow reliability tests: API fuzzing, PostgreSQL restart under load"
.venv/bin/pytest -p no:cacheprovider --no-cov -rf \
    tests/api/test_fuzz.py tests/integration/test_postgres_restart.py
