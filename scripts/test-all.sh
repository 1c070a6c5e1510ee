#!/usr/bin/env bash
# The whole suite on SQLite, then on a throwaway PostgreSQL cluster. Fails if either fails.
set -uo pipefail
cd "$(dirname "$0")/.."
PYTEST=(.venv/bin/python -m pytest -p no:cacheprovider "$@")

start=$(date +%s)
echo "== Test suite on SQLite"
"${PYTEST[@]}"; sqlite_rc=$?
echo "== Test suite on PostgreSQL"
scripts/with-postgres.sh "${PYTEST[@]}"; pg_rc=$?
echo "== SQLite: exit $sqlite_rc; PostgreSQL: exit $pg_rc; $(( $(date +%s) - start )) s in all"
[ "$sqlite_rc" -eq 0 ] && [ "$pg_rc" -eq 0 ]
