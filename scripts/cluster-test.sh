#!/usr/bin/env bash
# Cluster test: 3 demo nodes (one keyring) behind a real nginx running the nginx block of
# README.md ("Running in a cluster": round-robin, no affinity, upstream keep-alive, short
# timeouts, retries). scripts/e2e/cluster.py plays 5 users with cookie jars and checks every
# response against what each user wrote, through phases: steady traffic; a rolling deploy that
# changes the session type (nodes started as the demo's release a, restarted 2 s apart into b,
# which seals the old schema until one DEMO_SCHEMA_SWITCH_AT after the roll-out, every session
# re-sealed to the new schema past it, then into c, under load); concurrent requests of one
# user with the same cookies; a node SIGKILLed and restarted; a rolling restart (the 3 nodes,
# 2 s apart, under load); a hung node (SIGSTOP for 10 s, under load); a whole key rotation
# with no restart (every node watches one keyring file, SEALED_SESSION_KEYRING_FILE, which the
# CLI rewrites: a key added with a not_before, the switch, a retirement too early that every
# node refuses, the retirement scheduled past the switch and the clock skew); a straggler (another key rolled out, one node
# restarted with the old keyring: past not_before it must replace no session, its 503s
# resent by nginx, under load). Prints each phase's requests, 5xx, longest request, lost
# sessions and sign-outs, with notes (schema versions over time, the straggler's 503s from
# nginx's access log); exits non-zero on any lost session, unexpected sign-out or other
# failure. About 140 s after the build (the rotation waits out the demo's 60 s clock skew). Loopback only; installs nginx (apt-get) when missing.
#
#   scripts/cluster-test.sh                      # KEEP=1 keeps the temp dir (logs, nginx.conf)
#   scripts/cluster-test.sh --phases steady hang # some phases only (see cluster.py --help)
set -euo pipefail
source "$(dirname "$0")/e2e/common.sh"

e2e_need_nginx
e2e_build

dir="$(mktemp -d -t sealed-cluster.XXXXXX)"
chmod 711 "$dir"   # nginx workers may run as nobody: they may traverse, not list
mkdir -p "$dir/pids"
cleanup() {
  local status=$?
  # Nodes the driver left running (it removes the pid file of each node it has reaped).
  for f in "$dir"/pids/*; do
    [ -f "$f" ] || continue
    pid="$(cat "$f")"
    if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "examples/demo"; then
      kill -CONT "$pid" 2>/dev/null || true   # a node the hang phase left stopped
      kill -TERM "$pid" 2>/dev/null || true
    fi
  done
  if [ -n "${E2E_NGINX_PID:-}" ]; then
    kill -TERM "$E2E_NGINX_PID" 2>/dev/null || true
    wait "$E2E_NGINX_PID" 2>/dev/null || true
  fi
  if [ "$status" != 0 ]; then
    for log in "$dir"/*.log; do
      [ -s "$log" ] && { echo "--- tail of $log"; tail -n 15 "$log"; }
    done
  fi
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $dir"; else rm -rf "$dir"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mapfile -t ports < <(e2e_free_ports 4)
nginx_port="${ports[0]}"
node_ports=("${ports[1]}" "${ports[2]}" "${ports[3]}")

# One keyring for every node, from the CLI.
(umask 077 && "$E2E_CLI" keygen >"$dir/keyring1.txt")

# nginx runs the block of README.md ("Running in a cluster") as it stands, with loopback
# addresses put in for app1:8080..app3:8080 and listen 80: the README is what is tested.
conf="$(awk '/^## Running in a cluster/ { in_section = 1 }
             in_section && /^```nginx$/ { in_block = 1; next }
             in_block && /^```$/ { exit }
             in_block' "$E2E_ROOT/README.md")"
for i in 1 2 3; do
  [ "$(grep -c "server app$i:8080 " <<<"$conf")" = 1 ] || { echo "README nginx block: no single 'server app$i:8080'" >&2; exit 1; }
  conf="${conf//app$i:8080/127.0.0.1:${node_ports[$((i - 1))]}}"
done
[ "$(grep -c '^    listen 80;$' <<<"$conf")" = 1 ] || { echo "README nginx block: no single 'listen 80;'" >&2; exit 1; }
conf="${conf//    listen 80;/    listen 127.0.0.1:$nginx_port;}"
if grep -E '^\s*(listen|server) [^{]' <<<"$conf" | grep -vq '127\.0\.0\.1:'; then
  echo "README nginx block: an address that is not loopback is left" >&2; exit 1
fi
e2e_nginx_conf "$dir" "$conf"
e2e_start_nginx "$dir" "$nginx_port"
e2e_log "nginx $("$E2E_NGINX" -v 2>&1 | sed 's/.*version: //') on 127.0.0.1:$nginx_port, nodes on ${node_ports[*]}"

# Chunks of at most 1500 bytes, so carts cross chunk boundaries quickly; the default total
# budget (6144 bytes), under nginx's 8 KiB header line.
timeout --foreground 300 python3 "$E2E_ROOT/scripts/e2e/cluster.py" "$@" \
  --dir "$dir" --demo "$E2E_DEMO" --cli "$E2E_CLI" --keyring "$dir/keyring1.txt" \
  --nginx-port "$nginx_port" --node-ports "${node_ports[@]}" \
  --users 5 --max-cookie-bytes 1500 --max-total-bytes 6144 --rotate-in 15
