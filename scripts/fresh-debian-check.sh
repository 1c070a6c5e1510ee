#!/usr/bin/env bash
# The README's two commands on a bare Debian 12: builds a minbase bookworm root with debootstrap,
# adds only the stated prerequisites (git, make, python3, ca-certificates), clones this repository's
# committed HEAD into it, runs `make run` until /login answers 200, then `make test` to the end,
# prints both wall times and removes the root. Needs root on a Debian host; takes a while.
# Usage: scripts/fresh-debian-check.sh [--keep]   (--keep leaves the root for a look afterwards)
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
RUN_TIMEOUT=${RUN_TIMEOUT:-1800}
KEEP=0
[ "${1:-}" = "--keep" ] && KEEP=1

[ "$(id -u)" -eq 0 ] || { echo "run as root (debootstrap and chroot need it)" >&2; exit 2; }
if (echo >/dev/tcp/127.0.0.1/5000) >/dev/null 2>&1; then
  echo "port 5000 is in use on this machine; make run in the root would serve there" >&2
  exit 2
fi
command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }

ROOT=$(mktemp -d "${TMPDIR:-/var/tmp}/fresh-debian.XXXXXX")
chmod 755 "$ROOT"  # it becomes "/": mktemp's 0700 would shut out every user but root (postgres among them)
LOGS=${LOGS:-$REPO/test-artifacts/fresh-debian}
mkdir -p "$LOGS"
RUN_PID=""
log() { printf '== %s %s\n' "$(date +%T)" "$*"; }

cleanup() {
  set +e
  [ -n "$RUN_PID" ] && kill -TERM -- "-$RUN_PID" 2>/dev/null
  # Whatever still runs inside the root (the server, a PostgreSQL cluster) is ended before unmounting.
  for proc in /proc/[0-9]*; do
    [ "$(readlink "$proc/root" 2>/dev/null)" = "$ROOT" ] && kill -KILL "${proc#/proc/}" 2>/dev/null
  done
  sleep 1
  umount -R "$ROOT/dev" "$ROOT/proc" "$ROOT/sys" 2>/dev/null
  if [ "$KEEP" -eq 1 ]; then echo "root kept at $ROOT"; else rm -rf --one-file-system "$ROOT"; fi
}
trap cleanup EXIT

log "debootstrap bookworm (minbase + git make python3 ca-certificates) into $ROOT"
start=$(date +%s)
debootstrap --variant=minbase --include=git,make,python3,ca-certificates bookworm "$ROOT" "$MIRROR" \
  >"$LOGS/debootstrap.log" 2>&1 || { tail -30 "$LOGS/debootstrap.log" >&2; exit 1; }
# The sources a Debian 12 installation has: the release, its updates and security.
cat >"$ROOT/etc/apt/sources.list" <<EOF
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb $SECURITY_MIRROR bookworm-security main
EOF
log "root ready in $(( $(date +%s) - start )) s"

# This machine's network: name resolution, and any certificate authority of its own (an egress
# proxy) trusted inside the root as on the host. Not a prerequisite of the product.
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
extra_env=()
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  cp /usr/local/share/ca-certificates/*.crt "$ROOT/usr/local/share/ca-certificates/"
  chroot "$ROOT" update-ca-certificates >/dev/null 2>&1
  bundle=/etc/ssl/certs/ca-certificates.crt
  extra_env=(NODE_EXTRA_CA_CERTS=$bundle PIP_CERT=$bundle REQUESTS_CA_BUNDLE=$bundle SSL_CERT_FILE=$bundle)
fi
mount -t proc proc "$ROOT/proc"
mount --rbind /sys "$ROOT/sys" && mount --make-rslave "$ROOT/sys"
mount --rbind /dev "$ROOT/dev" && mount --make-rslave "$ROOT/dev"

git clone -q --no-hardlinks "file://$REPO" "$ROOT/srv/app"
log "cloned $(git -C "$ROOT/srv/app" rev-parse --short HEAD) into /srv/app"

in_root=(chroot "$ROOT" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "${extra_env[@]}" bash -c)

log "make run (waiting for /login to answer 200)"
start=$(date +%s)
setsid "${in_root[@]}" "cd /srv/app && make run" >"$LOGS/make-run.log" 2>&1 &
RUN_PID=$!
status=""
while [ $(( $(date +%s) - start )) -lt "$RUN_TIMEOUT" ]; do
  status=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:5000/login || true)
  [ "$status" = "200" ] && break
  kill -0 "$RUN_PID" 2>/dev/null || break
  sleep 3
done
run_seconds=$(( $(date +%s) - start ))
if [ "$status" != "200" ]; then
  tail -40 "$LOGS/make-run.log" >&2
  echo "FAIL: make run did not serve /login (last status '$status') after $run_seconds s" >&2
  exit 1
fi
grep -q "priya.natarajan@cambridgeshire.example" "$LOGS/make-run.log" \
  || { echo "FAIL: make run did not print the demo logins" >&2; exit 1; }
log "make run served /login after $run_seconds s"
kill -TERM -- "-$RUN_PID" 2>/dev/null || true
wait "$RUN_PID" 2>/dev/null || true
RUN_PID=""

log "make test"
start=$(date +%s)
test_rc=0
"${in_root[@]}" "cd /srv/app && make test" >"$LOGS/make-test.log" 2>&1 || test_rc=$?
test_seconds=$(( $(date +%s) - start ))
grep -E "^(=+ .*(passed|failed|error).* =+|== Security: .*)$" "$LOGS/make-test.log" || true
if [ "$test_rc" -ne 0 ]; then
  tail -60 "$LOGS/make-test.log" >&2
  echo "FAIL: make test exited $test_rc after $test_seconds s" >&2
  exit 1
fi
echo "logs in $LOGS"
echo "PASS: make run served /login after ${run_seconds} s; make test passed in ${test_seconds} s (bare Debian 12 root)"
