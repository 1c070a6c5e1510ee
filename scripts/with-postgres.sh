#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL cluster on loopback, then remove the cluster.
# The command sees TEST_DATABASE_URL. Usage: scripts/with-postgres.sh COMMAND [ARGS...]
set -euo pipefail

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$PGBIN" ]; then
  echo "PostgreSQL server binaries not found (install the postgresql package)" >&2
  exit 1
fi
PGTMP=$(mktemp -d /tmp/prevent-pg.XXXXXX)
PORT=${PGPORT_TEST:-55432}
# A free port: try upwards from the default.
while (echo >/dev/tcp/127.0.0.1/"$PORT") >/dev/null 2>&1; do PORT=$((PORT + 1)); done

as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres: "$PGTMP"
  as_pg=(runuser -u postgres --)
fi

cleanup() {
  "${as_pg[@]}" "$PGBIN/pg_ctl" -D "$PGTMP/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PGTMP"
}
trap cleanup EXIT

"${as_pg[@]}" "$PGBIN/initdb" -D "$PGTMP/data" -U app --auth=trust -E UTF8 --locale=C.UTF-8 >"$PGTMP/initdb.log" 2>&1 \
  || { cat "$PGTMP/initdb.log" >&2; exit 1; }
"${as_pg[@]}" "$PGBIN/pg_ctl" -D "$PGTMP/data" -l "$PGTMP/server.log" -w -t 30 \
  -o "-c listen_addresses=127.0.0.1 -p $PORT -k $PGTMP -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null \
  || { cat "$PGTMP/server.log" >&2; exit 1; }
"$PGBIN/createdb" -h 127.0.0.1 -p "$PORT" -U app appdb

export TEST_DATABASE_URL="postgresql+psycopg://app@127.0.0.1:$PORT/appdb"
export PG_TEST_DATA="$PGTMP/data" PG_TEST_BIN="$PGBIN" PG_TEST_PORT="$PORT"
echo "PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT (throwaway, $PGTMP)"
"$@"
