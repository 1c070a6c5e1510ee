#!/usr/bin/env bash
# make bench: run bench/run.py, on a throwaway PostgreSQL too when the databases include it and
# no server is named (BENCH_DATABASE_URL or TEST_DATABASE_URL). Usage: scripts/bench.sh SIZES DATABASES
set -euo pipefail
SIZES=${1:-county,region}
DATABASES=${2:-sqlite,postgresql}
run=(.venv/bin/python bench/run.py --sizes "$SIZES" --databases "$DATABASES")
if [[ ",$DATABASES," == *",postgresql,"* && -z "${BENCH_DATABASE_URL:-}${TEST_DATABASE_URL:-}" ]] \
  && ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then
  exec scripts/with-postgres.sh "${run[@]}"
fi
exec "${run[@]}"
