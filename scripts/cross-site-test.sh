#!/usr/bin/env bash
# Cross-site request forgery test: Debian's Chromium (installed when missing), headless, driven
# over the DevTools protocol (scripts/e2e/cross_site.py). The victim signs in on the demo
# (127.0.0.1); attacker pages on another loopback host (127.0.0.2: cross-site) and on another
# port of the same host (same-site, cross-origin) post forged sign-ins with an auto-submitting
# form and with fetch. The demo's layer (cross-site protection on by default) must answer each
# with 403 and leave the victim's session as it was; the demo's own forms must keep working.
set -euo pipefail
source "$(dirname "$0")/e2e/common.sh"

e2e_need_chromium
e2e_build

dir="$(mktemp -d -t sealed-cross-site.XXXXXX)"
demo_pid=""
cleanup() {
  local status=$?
  [ -n "$demo_pid" ] && { kill -TERM "$demo_pid" 2>/dev/null || true; wait "$demo_pid" 2>/dev/null || true; }
  if [ "$status" != 0 ]; then
    for log in "$dir"/*.log; do
      [ -s "$log" ] && { echo "--- tail of $log"; tail -n 15 "$log"; }
    done
  fi
  rm -rf "$dir"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port="$(e2e_free_ports 1)"
SEALED_SESSION_KEYRING="$("$E2E_CLI" keygen)" NODE_NAME=cross-site-test \
  "$E2E_DEMO" --port "$port" >"$dir/demo.log" 2>&1 &
demo_pid=$!
e2e_wait_port "$port" 15
e2e_log "$("$E2E_CHROMIUM" --version 2>/dev/null) against the demo on 127.0.0.1:$port"

timeout --foreground 120 python3 "$E2E_ROOT/scripts/e2e/cross_site.py" \
  --url "http://127.0.0.1:$port/" --chromium "$E2E_CHROMIUM" --log "$dir/chromium.log"
