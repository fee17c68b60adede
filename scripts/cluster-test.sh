#!/usr/bin/env bash
# Cluster test: 3 demo nodes (one keyring) behind a real nginx with no affinity (round-robin,
# no ip_hash, no sticky cookie; a dead upstream is skipped). scripts/e2e/cluster.py plays 5
# users with cookie jars and checks every response against what each user wrote, while one
# node is SIGKILLed and restarted, a new key is rolled out and takes over, and the old key is
# retired. Prints requests, per-node hits, failures, re-seals, the largest Cookie header;
# exits non-zero on any failure. Loopback only; installs nginx (apt-get) when missing.
#
#   scripts/cluster-test.sh            # KEEP=1 keeps the temp dir (logs, nginx.conf)
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

# Round-robin over the 3 nodes: no ip_hash, no sticky cookie. A node that refuses a
# connection is skipped (the request goes to the next one) and left out for 1 s.
# nginx keeps a response's whole header in proxy_buffer_size, by default one memory page
# (4 KiB here): a session's Set-Cookie lines (up to the 6144-byte budget, plus attributes and
# deletions) need more, or nginx answers 502 "upstream sent too big header".
servers=""
for p in "${node_ports[@]}"; do
  servers+="        server 127.0.0.1:$p max_fails=1 fail_timeout=1s;"$'\n'
done
e2e_nginx_conf "$dir" "
    upstream nodes {
$servers    }
    server {
        listen 127.0.0.1:$nginx_port;
        location / {
            proxy_pass http://nodes;
            proxy_next_upstream error timeout http_502;
            proxy_next_upstream_tries 3;
            proxy_connect_timeout 2s;
            proxy_read_timeout 10s;
            proxy_buffer_size 16k;
            proxy_buffers 8 16k;
        }
    }"
e2e_start_nginx "$dir" "$nginx_port"
e2e_log "nginx $("$E2E_NGINX" -v 2>&1 | sed 's/.*version: //') on 127.0.0.1:$nginx_port, nodes on ${node_ports[*]}"

# Chunks of at most 1500 bytes, so carts cross chunk boundaries quickly; the default total
# budget (6144 bytes), under nginx's 8 KiB header line.
timeout --foreground 400 python3 "$E2E_ROOT/scripts/e2e/cluster.py" "$@" \
  --dir "$dir" --demo "$E2E_DEMO" --cli "$E2E_CLI" --keyring "$dir/keyring1.txt" \
  --nginx-port "$nginx_port" --node-ports "${node_ports[@]}" \
  --users 5 --max-cookie-bytes 1500 --max-total-bytes 6144 --rotate-in 15
