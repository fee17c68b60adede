#!/usr/bin/env bash
# The four ways to share sessions across a cluster, measured side by side in one run
# (docs/COMPARISON.md): the same small axum app (compare/) in four variants behind one real
# nginx, 3 nodes each, on loopback:
#   cookies      this crate's axum layer, round robin;
#   sticky       tower-sessions, in-memory store, nginx `hash $remote_addr consistent`;
#   redis        tower-sessions, its Redis store on a real redis-server, round robin;
#   replication  tower-sessions, reads on each node's local redis-server --replicaof,
#                writes on the primary, round robin.
# Throughput and latency at fixed concurrency, bytes on the wire, memory per 100,000
# sessions, a node SIGKILLed mid-run, the store SIGKILLed mid-run, stale reads; then
# compare/render.py writes docs/COMPARISON.md, docs/comparison.svg and
# docs/comparison.json from the run's results.
#
#   scripts/compare.sh            # the full run (about 7 minutes; run it alone on the machine)
#   scripts/compare.sh --smoke    # every variant builds, starts, serves and is torn down (CI)
#   scripts/compare.sh --only cookies,redis   # some variants (results not written to docs/)
#
# Installs nginx and redis-server (apt-get) when missing; builds compare/ (its own cargo
# workspace and Cargo.lock) in release mode into $CARGO_TARGET_DIR. Every process it starts
# is stopped by its pid; everything listens on 127.0.0.1; every phase is bounded in time.
set -euo pipefail
source "$(dirname "$0")/e2e/common.sh"

smoke=0
only=()
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) smoke=1 ;;
    --only) only=(--only "$2"); shift ;;
    *) echo "usage: scripts/compare.sh [--smoke] [--only NAME,...]" >&2; exit 2 ;;
  esac
  shift
done

e2e_need_nginx
if ! command -v redis-server >/dev/null 2>&1; then
  e2e_apt_install redis-server
  # Where services may start, the package starts the system Redis (port 6379): the run
  # needs only its own.
  if command -v redis-cli >/dev/null 2>&1 && redis-cli -p 6379 ping >/dev/null 2>&1; then
    redis-cli -p 6379 shutdown nosave >/dev/null 2>&1 || true
  fi
fi

e2e_log "cargo build --release (compare/: its own workspace, the library by path)"
(cd "$E2E_ROOT/compare" && cargo build --quiet --release --locked)
bin="$CARGO_TARGET_DIR/release/compare"

if [ "$smoke" = 1 ]; then
  out="$(mktemp -d -t sealed-compare-smoke.XXXXXX)"
  trap 'rm -rf "$out"' EXIT
  COMPARE_COMMAND="scripts/compare.sh --smoke" timeout --foreground 240 "$bin" run --smoke --out "$out" "${only[@]}"
  # The report is rendered too (into the temp dir), so the renderer is tested as well.
  python3 "$E2E_ROOT/compare/render.py" "$out/comparison.json" --md "$out/COMPARISON.md" --svg "$out/comparison.svg"
  e2e_log "smoke passed"
  exit 0
fi

out="$E2E_ROOT/target/compare"
[ ${#only[@]} -eq 0 ] || out="$(mktemp -d -t sealed-compare.XXXXXX)"
COMPARE_COMMAND="scripts/compare.sh" timeout --foreground 780 "$bin" run --out "$out" "${only[@]}"
if [ ${#only[@]} -eq 0 ]; then
  cp "$out/comparison.json" "$E2E_ROOT/docs/comparison.json"
  python3 "$E2E_ROOT/compare/render.py" "$E2E_ROOT/docs/comparison.json" \
    --md "$E2E_ROOT/docs/COMPARISON.md" --svg "$E2E_ROOT/docs/comparison.svg"
  e2e_log "wrote docs/COMPARISON.md, docs/comparison.svg, docs/comparison.json"
else
  python3 "$E2E_ROOT/compare/render.py" "$out/comparison.json" --md "$out/COMPARISON.md" --svg "$out/comparison.svg"
  e2e_log "results in $out (docs/ unchanged: not every variant ran)"
fi
