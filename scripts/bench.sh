#!/usr/bin/env bash
# One command for BENCHMARKS.md: the criterion run (ours, the cookie crate and the AES-GCM floors
# side by side), the wire-size/allocation/thread report, then the ratio table and the chart; then
# the axum layer per request against the same router without it (prints its own tables).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --bench seal_open
cargo bench --bench report
python3 scripts/bench-summary.py "${CARGO_TARGET_DIR:-target}"
cargo bench --bench layer --features axum
