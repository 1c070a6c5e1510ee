#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL cluster on loopback, then remove the cluster.
# The command sees TEST_DATABASE_URL. Usage: scripts/with-postgres.sh COMMAND [ARGS...]
# PG_TEST_SETTINGS adds server settings ("-c shared_buffers=2GB ..."; make bench sizes memory so).
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

"${as_pg[@]}" "$PGBIN/initdb" -D "$PGTMP/data" -U admin --auth=trust -E UTF8 --locale=C.UTF-8 >"$PGTMP/initdb.log" 2>&1 \
  || { cat "$PGTMP/initdb.log" >&2; exit 1; }
"${as_pg[@]}" "$PGBIN/pg_ctl" -D "$PGTMP/data" -l "$PGTMP/server.log" -w -t 30 \
  -o "-c listen_addresses=127.0.0.1 -p $PORT -k $PGTMP -c fsync=off -c synchronous_commit=off -c full_page_writes=off ${PG_TEST_SETTINGS:-}" start >/dev/null \
  || { cat "$PGTMP/server.log" >&2; exit 1; }
# The app connects as a role that is not a superuser (and owns its database), as a deployment
# should: superusers pass row-level security, which the tests prove keeps partnerships apart.
"$PGBIN/psql" -q -h 127.0.0.1 -p "$PORT" -U admin -d postgres -c "CREATE ROLE app LOGIN CREATEDB NOSUPERUSER NOBYPASSRLS"
"$PGBIN/createdb" -h 127.0.0.1 -p "$PORT" -U admin -O app appdb

export TEST_DATABASE_URL="postgresql+psycopg://app@127.0.0.1:$PORT/appdb"
export PG_TEST_DATA="$PGTMP/data" PG_TEST_BIN="$PGBIN" PG_TEST_PORT="$PORT"
echo "PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT (throwaway, $PGTMP)"
"$@"
