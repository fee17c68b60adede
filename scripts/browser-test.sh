#!/usr/bin/env bash
# Browser test: Debian's Chromium (installed when missing), headless, driven over the DevTools
# protocol (scripts/e2e/browser.py, Python standard library, --remote-debugging-pipe: nothing
# downloaded), clicks through the demo on a loopback port: a session of 3+ chunk cookies
# survives a reload whole (which sends no Set-Cookie), clearing the cart leaves one cookie in
# Chromium's jar, flash messages show once, every form carries a CSRF token, the security
# headers hold, and sign-out-everywhere refuses a kept copy of the signed-in cookies.
# Screenshots, one per stage: $CARGO_TARGET_DIR/browser-test-{1-fresh,2-grown,3-signed-in,
# 4-signed-out-everywhere}.png.
set -euo pipefail
source "$(dirname "$0")/e2e/common.sh"

e2e_need_chromium
e2e_build

dir="$(mktemp -d -t sealed-browser.XXXXXX)"
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
# The default cookie (__Host-session, Secure: http://127.0.0.1 is a secure context for
# Chromium) in chunks of at most 1500 bytes, so 300 cart lines take 3 cookies.
SEALED_SESSION_KEYRING="$("$E2E_CLI" keygen)" SEALED_SESSION_MAX_COOKIE_BYTES=1500 NODE_NAME=browser-test \
  "$E2E_DEMO" --port "$port" >"$dir/demo.log" 2>&1 &
demo_pid=$!
e2e_wait_port "$port" 15
e2e_log "$("$E2E_CHROMIUM" --version 2>/dev/null) against the demo on 127.0.0.1:$port"

mkdir -p "$CARGO_TARGET_DIR"
timeout --foreground 120 python3 "$E2E_ROOT/scripts/e2e/browser.py" \
  --url "http://127.0.0.1:$port/" --chromium "$E2E_CHROMIUM" --log "$dir/chromium.log" \
  --screenshot-dir "$CARGO_TARGET_DIR"
