#!/usr/bin/env bash
# The whole test suite, in order; stops at the first failure. Expects deploy/setup.sh
# --with-postgres to have run (`make test` does both). Extra pytest flags: PYTEST_ARGS.
set -euo pipefail
cd "$(dirname "$0")/.."

read -r -a extra_args <<< "${PYTEST_ARGS:-}"
clock=(env)  # the command that runs pytest: env, or faketime with the clock moved

# pytest exits 5 when it collected nothing: for us an empty suite is a broken suite.
run_pytest() {
    local rc=0
    "${clock[@]}" .venv/bin/pytest -q -p no:cacheprovider "$@" "${extra_args[@]}" || rc=$?
    if [ "$rc" = 5 ]; then
        echo "test: no tests were collected in $*" >&2
        return 1
    fi
    return "$rc"
}

echo "== lint"
.venv/bin/ruff check services gateway tests deploy bench
.venv/bin/ruff format --check services gateway tests deploy bench
.venv/bin/lint-imports
bash deploy/lint-web.sh
bash deploy/lint-openapi.sh

echo "== unit tests"
run_pytest tests/unit

# A test that depends on today's date is a time bomb: the unit suite also runs with the clock
# a year and a month ahead and a month back (Debian's faketime moves it for the whole process).
for shift in +400d -30d; do
    echo "== unit tests, clock moved $shift"
    clock=(faketime -f "$shift")
    run_pytest tests/unit
done
clock=(env)

echo "== integration tests (SQLite)"
LINLI_TEST_DB=sqlite run_pytest tests/integration

echo "== integration tests (PostgreSQL)"
LINLI_TEST_DB=postgres \
LINLI_TEST_PG_URL=postgresql://linli:linli@127.0.0.1:5432/postgres \
    run_pytest tests/integration

echo "== end-to-end tests"
run_pytest tests/e2e
