#!/usr/bin/env bash
# The system tools the test suite needs, from Debian's archive: prometheus (the server and
# promtool), docker-compose (validates docker-compose.yml without an engine) and chromium (the
# console's browser tests; Playwright never downloads a browser). Installed once; a missing tool
# is named with what to do.
set -euo pipefail
missing=()
command -v promtool >/dev/null || missing+=(prometheus)
command -v docker-compose >/dev/null || missing+=(docker-compose)
[ -x /usr/bin/chromium ] || missing+=(chromium)  # the console's browser tests (Playwright drives it)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing ${missing[*]} from Debian (once)"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
if ! $sudo apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
  $sudo apt-get update >/dev/null
  $sudo apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null || {
    echo "could not install ${missing[*]}: install them with apt-get (Debian 12) and rerun" >&2
    exit 1
  }
fi
# Debian's package may start a Prometheus server where there is an init system; the tests start
# their own on a free port, so a running one is harmless.
