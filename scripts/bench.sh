#!/usr/bin/env bash
# make bench: run bench/run.py, on a throwaway PostgreSQL too when the databases include it and
# no server is named (BENCH_DATABASE_URL or TEST_DATABASE_URL). Usage: scripts/bench.sh SIZES DATABASES
set -euo pipefail
SIZES=${1:-county,region}
DATABASES=${2:-sqlite,postgresql}
run=(.venv/bin/python bench/run.py --sizes "$SIZES" --databases "$DATABASES")
if [[ ",$DATABASES," == *",postgresql,"* && -z "${BENCH_DATABASE_URL:-}${TEST_DATABASE_URL:-}" ]] \
  && ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then
  # Memory as a deployment would give a database server on this machine (a quarter of it for
  # shared buffers), not the defaults made for a small shared host.
  mem_kb=$(awk '/MemTotal/ {print $2}' /proc/meminfo)
  export PG_TEST_SETTINGS="-c shared_buffers=$(( mem_kb / 4 / 1024 ))MB -c effective_cache_size=$(( mem_kb / 2 / 1024 ))MB -c work_mem=32MB -c maintenance_work_mem=512MB"
  exec scripts/with-postgres.sh "${run[@]}"
fi
exec "${run[@]}"
