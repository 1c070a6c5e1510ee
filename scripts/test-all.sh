#!/usr/bin/env bash
# Security checks, then the whole suite on SQLite, then on a throwaway PostgreSQL cluster. Fails if any fails.
set -uo pipefail
cd "$(dirname "$0")/.."
PYTEST=(.venv/bin/python -m pytest -p no:cacheprovider "$@")

start=$(date +%s)
echo "== Security checks"
scripts/security-checks.sh; security_rc=$?
echo "== Test suite on SQLite"
"${PYTEST[@]}"; sqlite_rc=$?
echo "== Test suite on PostgreSQL"
scripts/with-postgres.sh "${PYTEST[@]}"; pg_rc=$?
echo "== Security: exit $security_rc; SQLite: exit $sqlite_rc; PostgreSQL: exit $pg_rc; $(( $(date +%s) - start )) s in all"
[ "$security_rc" -eq 0 ] && [ "$sqlite_rc" -eq 0 ] && [ "$pg_rc" -eq 0 ]
