#!/usr/bin/env bash
# Limits, measured with Debian's Chromium and nginx (installed when missing): the cookie size
# Chromium keeps, the Cookie header line nginx accepts by default, the upstream response
# header nginx relays by default, and the crate's default budgets through both
# (scripts/e2e/limits.py). Loopback only. LIMITS_JSON=path also writes the numbers as JSON.
set -euo pipefail
source "$(dirname "$0")/e2e/common.sh"

e2e_need_nginx
e2e_need_chromium
e2e_build

dir="$(mktemp -d -t sealed-limits.XXXXXX)"
chmod 711 "$dir"
demo_pid=""
cleanup() {
  local status=$?
  [ -n "$demo_pid" ] && { kill -TERM "$demo_pid" 2>/dev/null || true; wait "$demo_pid" 2>/dev/null || true; }
  if [ -n "${E2E_NGINX_PID:-}" ]; then
    kill -TERM "$E2E_NGINX_PID" 2>/dev/null || true
    wait "$E2E_NGINX_PID" 2>/dev/null || true
  fi
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

mapfile -t ports < <(e2e_free_ports 5)
backend_port="${ports[0]}" nginx_default="${ports[1]}" nginx_demo="${ports[2]}" demo_port="${ports[3]}"
nginx_demo_plain="${ports[4]}"

# The demo with the crate's default budgets (4000 bytes per line, 6144 in total).
SEALED_SESSION_KEYRING="$("$E2E_CLI" keygen)" NODE_NAME=limits "$E2E_DEMO" --port "$demo_port" >"$dir/demo.log" 2>&1 &
demo_pid=$!

# One nginx, three sites: nginx's defaults in front of limits.py's test server; the demo with
# proxy_buffer_size raised; the demo with nginx's defaults (which cannot relay a full session).
e2e_nginx_conf "$dir" "
    server {
        listen 127.0.0.1:$nginx_default;
        location / { proxy_pass http://127.0.0.1:$backend_port; }
    }
    server {
        listen 127.0.0.1:$nginx_demo;
        location / {
            proxy_pass http://127.0.0.1:$demo_port;
            proxy_buffer_size 16k;
            proxy_buffers 8 16k;
        }
    }
    server {
        listen 127.0.0.1:$nginx_demo_plain;
        location / { proxy_pass http://127.0.0.1:$demo_port; }
    }"
e2e_start_nginx "$dir" "$nginx_default"
e2e_wait_port "$demo_port" 15
e2e_log "$("$E2E_NGINX" -v 2>&1 | sed 's/.*version: //'), $("$E2E_CHROMIUM" --version 2>/dev/null)"

args=()
[ -n "${LIMITS_JSON:-}" ] && args+=(--json "$LIMITS_JSON")
timeout --foreground 180 python3 "$E2E_ROOT/scripts/e2e/limits.py" "${args[@]}" \
  --backend-port "$backend_port" --nginx-default-port "$nginx_default" --nginx-demo-port "$nginx_demo" --nginx-demo-plain-port "$nginx_demo_plain" \
  --chromium "$E2E_CHROMIUM" --log "$dir/chromium.log"
