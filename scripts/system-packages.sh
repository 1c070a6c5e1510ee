#!/usr/bin/env bash
# Install the Debian packages the app needs (runtime) or its tests need (test), when missing.
# Runs before any other step of make: a bare Debian 12 has no venv module, Node.js or PDF libraries.
set -euo pipefail

# python3-venv: Debian's python3 cannot make a virtual environment without it.
# Pango, HarfBuzz and fonts: WeasyPrint's PDFs.
runtime=(python3-venv libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-liberation2 fonts-dejavu-core)
# libatomic1: Playwright's bundled driver (a Node.js binary) links against it.
# nginx: the several-app-servers test (tests/multiserver) balances two gunicorns behind it; it
# runs its own nginx as the current user in a temporary folder, never the system service.
test_only=(chromium poppler-utils postgresql libatomic1 nginx)

case "${1:-runtime}" in
  runtime) wanted=("${runtime[@]}") ;;
  test) wanted=("${runtime[@]}" "${test_only[@]}") ;;
  *) echo "usage: $0 runtime|test" >&2; exit 2 ;;
esac
command -v npm >/dev/null 2>&1 || wanted+=(nodejs npm)

missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing Debian packages: ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
