#!/usr/bin/env bash
# Supply-chain checks with cargo-deny, configured in deny.toml: licenses, bans (duplicate
# versions, wildcards) and sources (crates.io only), over the whole dependency tree (all features,
# dev-dependencies included).
#
#   scripts/deny.sh                    # licenses, bans, sources: no network needed
#   scripts/deny.sh --with-advisories  # also the RustSec advisories (fetches the database)
#
# Install cargo-deny with: cargo install cargo-deny --locked
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo-deny >/dev/null 2>&1; then
  echo "error: cargo-deny is not installed (cargo install cargo-deny --locked)" >&2
  exit 1
fi

cargo deny --version
cargo deny check licenses bans sources

if [[ "${1:-}" == "--with-advisories" ]]; then
  cargo deny check advisories
else
  cat <<'MSG'
note: the advisories check is skipped here: it needs the RustSec advisory database
      (github.com/rustsec/advisory-db), which cannot be fetched from this network.
      deny.toml configures it; run it in your own CI, where GitHub is reachable:
          cargo deny check advisories
      (or scripts/deny.sh --with-advisories), ideally also on a schedule, since new
      advisories appear without any change to this repository.
MSG
fi
