# Shared by scripts/cluster-test.sh, scripts/browser-test.sh and scripts/limits-test.sh
# (sourced, not run). Everything listens on 127.0.0.1 only.

E2E_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$E2E_ROOT/target}"
E2E_BIN="$CARGO_TARGET_DIR/release"

e2e_log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# apt-get as root, only for what is missing.
e2e_apt_install() {
  if [ "$(id -u)" != 0 ]; then
    echo "missing $*: install it (apt-get install -y $*) or run as root" >&2
    return 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

e2e_need_nginx() {
  # Debian puts nginx in /usr/sbin, which a non-login PATH may lack.
  if ! command -v nginx >/dev/null 2>&1 && ! [ -x /usr/sbin/nginx ]; then
    e2e_apt_install nginx
    # Where services may start, the package starts the system nginx (port 80, every
    # interface): these tests need only their own, on loopback.
    if [ -s /run/nginx.pid ] && kill -0 "$(cat /run/nginx.pid)" 2>/dev/null; then
      /usr/sbin/nginx -s quit || true
    fi
  fi
  E2E_NGINX="$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)"
}

e2e_need_chromium() {
  command -v chromium >/dev/null 2>&1 || e2e_apt_install chromium
  E2E_CHROMIUM="$(command -v chromium)"
}

# The demo and the CLI, built once (release) into $CARGO_TARGET_DIR.
e2e_build() {
  e2e_log "cargo build --release --example demo --bin sealed-session --features axum,cli,reload,metrics"
  (cd "$E2E_ROOT" && cargo build --quiet --release --features axum,cli,reload,metrics --example demo --bin sealed-session)
  E2E_DEMO="$E2E_BIN/examples/demo"
  E2E_CLI="$E2E_BIN/sealed-session"
}

# N free loopback TCP ports, one per line (bound and released at once: good enough here).
e2e_free_ports() {
  python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
for s in socks:
    print(s.getsockname()[1])
    s.close()
PY
}

# Waits (at most $2 seconds, default 10) until 127.0.0.1:$1 accepts connections.
e2e_wait_port() {
  python3 - "$1" "${2:-10}" <<'PY'
import socket, sys, time
port, deadline = int(sys.argv[1]), time.monotonic() + float(sys.argv[2])
while time.monotonic() < deadline:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(f"127.0.0.1:{port} did not accept connections in time")
PY
}

# Writes $1/nginx.conf: nginx with every path (pid, logs, temp files) under $1, and $2 as the
# body of its http block (upstreams and servers, listening on 127.0.0.1 only). The access log
# names every node a request was sent to and what each answered ($upstream_addr and
# $upstream_status: ", " between the tries of one location, " : " across error_page's
# redirect), which scripts/e2e/cluster.py reads to count the 503s nginx resent.
e2e_nginx_conf() {
  local dir="$1" body="$2"
  mkdir -p "$dir/nginx-temp"
  cat >"$dir/nginx.conf" <<CONF
daemon off;
master_process on;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/nginx-error.log warn;
events { worker_connections 256; }
http {
    log_format e2e '\$msec \$request_method \$request_uri \$status "\$upstream_addr" "\$upstream_status"';
    access_log $dir/nginx-access.log e2e;
    client_body_temp_path $dir/nginx-temp/body;
    proxy_temp_path $dir/nginx-temp/proxy;
    fastcgi_temp_path $dir/nginx-temp/fastcgi;
    uwsgi_temp_path $dir/nginx-temp/uwsgi;
    scgi_temp_path $dir/nginx-temp/scgi;
$body
}
CONF
}

# Starts nginx in the foreground as a child of this shell; sets E2E_NGINX_PID.
e2e_start_nginx() {
  local dir="$1" port="$2"
  "$E2E_NGINX" -t -q -p "$dir" -c "$dir/nginx.conf"
  "$E2E_NGINX" -p "$dir" -c "$dir/nginx.conf" >"$dir/nginx-stdout.log" 2>&1 &
  E2E_NGINX_PID=$!
  e2e_wait_port "$port" 10
}
