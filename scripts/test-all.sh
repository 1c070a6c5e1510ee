#!/usr/bin/env bash
# make test: the security checks, the whole suite on SQLite, and the suite on a throwaway PostgreSQL
# cluster, side by side (one per core). The browser tests run in the SQLite pass only: the pages
# they drive are the same on both databases, and every database rule is tested in both passes.
# Fails if any part fails. Extra arguments go to both pytest runs (e.g. -k audit).
set -uo pipefail
cd "$(dirname "$0")/.."
PYTEST=(.venv/bin/python -m pytest -p no:cacheprovider "$@")
logs=$(mktemp -d /tmp/prevent-test-logs.XXXXXX)
trap 'rm -rf "$logs"' EXIT

start=$(date +%s)
echo "== Security checks and the PostgreSQL pass start in the background; the SQLite pass runs here"
scripts/security-checks.sh >"$logs/security.log" 2>&1 &
security_pid=$!
scripts/with-postgres.sh "${PYTEST[@]}" --ignore=tests/browser >"$logs/postgresql.log" 2>&1 &
pg_pid=$!

echo "== Test suite on SQLite (with the browser tests)"
"${PYTEST[@]}"; sqlite_rc=$?
sqlite_s=$(( $(date +%s) - start ))

wait "$security_pid"; security_rc=$?
echo "== Security checks"
cat "$logs/security.log"
wait "$pg_pid"; pg_rc=$?
pg_s=$(( $(date +%s) - start ))
echo "== Test suite on PostgreSQL (without the browser tests)"
cat "$logs/postgresql.log"

echo "== Security: exit $security_rc; SQLite: exit $sqlite_rc (${sqlite_s} s); PostgreSQL: exit $pg_rc (${pg_s} s); $(( $(date +%s) - start )) s in all"
[ "$security_rc" -eq 0 ] && [ "$sqlite_rc" -eq 0 ] && [ "$pg_rc" -eq 0 ]
