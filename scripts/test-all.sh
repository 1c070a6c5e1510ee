#!/usr/bin/env bash
# make test: the security checks and the whole suite on SQLite and on a throwaway PostgreSQL
# cluster, in parallel parts that keep both cores busy:
#   - SQLite, without the browser tests;
#   - SQLite, the browser tests (Playwright and Debian's chromium), on a database of their own;
#   - PostgreSQL, without the browser tests (the pages they drive are the same on both databases;
#     every database rule is tested in both passes);
#   - the security checks (bandit, pip-audit).
# Each part's output is printed when all have finished, then one line per part and the totals.
# Fails if any part fails. Extra arguments go to every pytest run (e.g. -k audit).
set -uo pipefail
cd "$(dirname "$0")/.."
PYTEST=(.venv/bin/python -m pytest -p no:cacheprovider "$@")
logs=$(mktemp -d /tmp/prevent-test-logs.XXXXXX)
trap 'rm -rf "$logs"' EXIT

names=(security sqlite browser postgresql)
titles=("Security checks" "Test suite on SQLite" "Browser tests on SQLite" "Test suite on PostgreSQL")
declare -A pid rc seconds
start=$(date +%s)
run_part() {  # name, command...
  local name=$1
  shift
  ( local began; began=$(date +%s); "$@" >"$logs/$name.log" 2>&1; echo "$? $(( $(date +%s) - began ))" >"$logs/$name.done" ) &
  pid[$name]=$!
}
echo "== Running in parallel: ${titles[*]}"
run_part security scripts/security-checks.sh
# Each part has its own temporary folder (its SQLite database and uploads live there).
run_part sqlite "${PYTEST[@]}" --basetemp="$logs/tmp-sqlite" --ignore=tests/browser
run_part browser "${PYTEST[@]}" --basetemp="$logs/tmp-browser" tests/browser
# What a person reads off the rendered outputs (the privacy sweep, the PDF layout and tagging)
# is the same on both databases, like the browser tests: it runs once, on SQLite.
OUTPUT_ONLY=(--ignore=tests/security/test_privacy_sweep.py --ignore=tests/test_pdf_layout.py
  --ignore=tests/test_pdf_accessibility.py)
# The several-app-servers test brings its own PostgreSQL cluster (and nginx, gunicorn, S3): it
# runs once, in the SQLite part.
OWN_SERVERS=(--ignore=tests/multiserver)
run_part postgresql scripts/with-postgres.sh "${PYTEST[@]}" --basetemp="$logs/tmp-postgresql" --ignore=tests/browser \
  "${OUTPUT_ONLY[@]}" "${OWN_SERVERS[@]}"

# A line a minute, so a long run shows it is alive.
while :; do
  running=()
  for name in "${names[@]}"; do [ -e "$logs/$name.done" ] || running+=("$name"); done
  [ ${#running[@]} -eq 0 ] && break
  sleep 5
  elapsed=$(( $(date +%s) - start ))
  if (( elapsed % 60 < 5 )); then echo "   ${elapsed} s: still running: ${running[*]}"; fi
done
for name in "${names[@]}"; do wait "${pid[$name]}" 2>/dev/null; done

passed=0 failed=0 ok=1
for i in "${!names[@]}"; do
  name=${names[$i]}
  read -r rc[$name] seconds[$name] <"$logs/$name.done"
  echo "== ${titles[$i]} (exit ${rc[$name]}, ${seconds[$name]} s)"
  cat "$logs/$name.log"
  [ "${rc[$name]}" -eq 0 ] || ok=0
  summary=$(grep -E "^=+ .* in [0-9.]+s" "$logs/$name.log" | tail -n 1)
  for n in $(grep -oE "[0-9]+ passed" <<<"$summary" | grep -oE "^[0-9]+"); do passed=$(( passed + n )); done
  for n in $(grep -oE "[0-9]+ (failed|errors?)" <<<"$summary" | grep -oE "^[0-9]+"); do failed=$(( failed + n )); done
  # A part that failed without a pytest summary (it could not start) counts as one failure.
  if [ "${rc[$name]}" -ne 0 ] && [ "$name" != security ] && ! grep -qE "[0-9]+ (failed|errors?)" <<<"$summary"; then
    failed=$(( failed + 1 ))
  fi
done
echo "== Security: exit ${rc[security]} (${seconds[security]} s); SQLite: exit ${rc[sqlite]} (${seconds[sqlite]} s);" \
  "browser: exit ${rc[browser]} (${seconds[browser]} s); PostgreSQL: exit ${rc[postgresql]} (${seconds[postgresql]} s);" \
  "$(( $(date +%s) - start )) s in all"
echo "tests: ${passed} passed, ${failed} failed"
[ "$ok" -eq 1 ]
