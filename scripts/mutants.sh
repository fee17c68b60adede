#!/usr/bin/env bash
# Mutation testing of the core (MUTANTS.md): cargo-mutants over src/ outside the adapters and
# the CLI (.cargo/mutants.toml), in pieces of a few mutants each so that a long run can be
# paused, resumed and shared with other work. Not run in CI: one mutant costs a build and a
# test run (5 to 15 s on a shared 2-core machine with FAST=1), and the core has about 1,200.
#
#   scripts/mutants.sh run [FILE...]   run the mutants of FILE (default: every core file, most
#                                      important first), piece by piece; a piece whose outcomes
#                                      exist is skipped, so rerunning resumes
#   scripts/mutants.sh survivors       rerun every mutant a quick piece missed under the full
#                                      test selection of .cargo/mutants.toml (but those named
#                                      in scripts/mutants_equivalent.txt or _not_built.txt)
#   scripts/mutants.sh recheck         the same under the quick selection (after new tests)
#   scripts/mutants.sh gated           the mutants of core code compiled only for the adapters,
#                                      with the axum feature and the axum layer's tests
#   scripts/mutants.sh equivalents     the mutants of scripts/mutants_equivalent.txt under the
#                                      full selection (none should be caught)
#   scripts/mutants.sh report          counts per file and the list of survivors
#
# Environment: QUICK=1 (default) tests each mutant first with a faster selection (no
# tests/tamper.rs, no slow known-answer loops) and reruns only what that misses with the full
# selection; QUICK=0 uses the full selection throughout. PER=N mutants per piece (default 20;
# another value reruns everything, the pieces being named k-of-n). WRAP="nice -n 19" (default)
# prefixes every cargo-mutants call. FAST=1 (default): no debug info, mold if installed.
# MUTANTS_OUT (default target/mutants-out) keeps every piece's mutants.out; MUTANTS_TARGET_DIR
# (default target/mutants) is the build directory, one per concurrent run, used by nothing
# else meanwhile (MUTANTS.md says why). EXCLUDE_RE (a regex over mutant names) leaves more
# mutants out of `survivors` and `recheck`.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${MUTANTS_TARGET_DIR:-$PWD/target/mutants}"
OUT="${MUTANTS_OUT:-$PWD/target/mutants-out}"
QUICK="${QUICK:-1}"
PER="${PER:-20}"
read -r -a WRAP <<<"${WRAP:-nice -n 19}"
mkdir -p "$OUT"

# In order of importance: what a forged or replayed cookie meets first. Every file `cargo mutants
# --list` names must be here (checked below: `run` refuses to start otherwise, so a split file
# cannot be skipped silently). Regenerated on 2026-12-02 after the keyring's split.
FILES=(
  src/envelope.rs src/chunk.rs src/codec/opening.rs src/codec/sealing.rs src/codec/mod.rs
  src/codec/builder.rs src/codec/schema.rs src/codec/tokens.rs src/codec/cookies.rs
  src/codec/live.rs src/expiry.rs src/keyring/key_id.rs src/keyring/key.rs
  src/keyring/entries.rs src/keyring/schedule.rs src/keyring/lookup.rs src/keyring/text.rs
  src/crypto.rs src/crypto/awslc.rs src/crypto/rustcrypto.rs src/error.rs
  src/cookie/attributes.rs src/cookie/request.rs src/cookie/http_date.rs src/session.rs
  src/base64url.rs src/inspect.rs src/time.rs src/random.rs src/reload/mod.rs
  src/reload/watch.rs
)

# Faster builds, same tests: no debug info and, where installed, the mold linker (each mutant
# relinks every test binary). FAST=0 leaves the environment alone. The same settings must be
# used for the baseline build, or the first mutant rebuilds every dependency.
if [ "${FAST:-1}" = 1 ]; then
  export CARGO_PROFILE_DEV_DEBUG=0
  if command -v mold >/dev/null; then
    export RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }-C link-arg=-fuse-ld=mold"
  fi
fi

# The quick selection: the core targets but tests/tamper.rs (44 s), and the unit tests but the
# two known-answer loops over the pure-Rust XAES (8 s), which only src/crypto* need.
QUICK_TESTS=(--lib --test vectors --test keyring --test keyring_replace --test chunking
  --test expiry --test tokens --test cookies --test errors --test schema --test v1_upgrade
  --test resource_bounds --test roundtrip_props --test secrets --test concurrent_responses
  --test freed_memory)
# The tests written to kill survivors (tests/mutant_kills_*.rs; also in .cargo/mutants.toml).
for t in tests/mutant_kills_*.rs; do
  [ -e "$t" ] && t="${t#tests/}" && QUICK_TESTS+=(--test "${t%.rs}")
done

# src/reload/ is compiled only with the `reload` feature: its mutants are built with it and
# also run tests/reload_watch.rs (without the feature each of them would pass untested).
extra_args() {
  case "$1" in
    src/reload/*) echo "--features=reload --cargo-arg=--test --cargo-arg=reload_watch" ;;
  esac
}
# (The first `--` ends cargo-mutants' options, the second cargo test's: these go to the tests.)
QUICK_SKIPS=(-- -- --skip accumulated_10_000 --skip xaes_matches_rustcrypto)

slug() { echo "$1" | tr '/.' '__'; }

run_file() {
  local file="$1" count shards k dir args
  count=$(cargo mutants --list -f "$file" | wc -l)
  [ "$count" -eq 0 ] && return
  shards=$(((count + PER - 1) / PER))
  for ((k = 0; k < shards; k++)); do
    dir="$OUT/$(slug "$file")-$k-of-$shards"
    [ -f "$dir/mutants.out/outcomes.json" ] && grep -q '"end_time": *"' "$dir/mutants.out/outcomes.json" && continue
    rm -rf "$dir"
    args=(-f "$file" --shard "$k/$shards" -j 1 --baseline skip --build-timeout 900 --no-shuffle
      -o "$dir")
    read -r -a extra <<<"$(extra_args "$file")"
    args+=("${extra[@]}")
    if [ "$QUICK" != 1 ]; then
      args+=(--timeout 400)
    else
      case "$file" in
        src/crypto*) skips=(--) ;;
        *) skips=("${QUICK_SKIPS[@]}") ;;
      esac
      args+=(--no-config --timeout 200)
      # As cargo args, not test args, so the build step builds only these targets too.
      for a in "${QUICK_TESTS[@]}"; do args+=("--cargo-arg=$a"); done
      args+=("${skips[@]}")
    fi
    echo "== $file piece $((k + 1))/$shards ($(date -u +%H:%M:%S))"
    # Exit status 2 means some mutant survived, 3 a timeout: both are results, not failures.
    "${WRAP[@]}" cargo mutants "${args[@]}" || [ $? -le 3 ]
  done
}

# Core code compiled only for the adapters (`#[cfg(any(feature = "axum", feature = "actix"))]`
# in src/codec/): a default build leaves it out, so the quick and full selections pass each of
# its mutants untested. `gated` runs them with the `axum` feature and the axum layer's tests;
# its directory counts as a full run (scripts/mutants_report.py).
GATED_FILES=(src/codec/sealing.rs src/codec/tokens.rs src/codec/mod.rs)
GATED_RE="(Pending<'_>::metadata|Codec<T>::seal_entry|Codec<T>::for_store_entries) "
GATED_TESTS=(--lib --test layer_axum --test adapter_axum --test adapter_session)

check_files() {
  local missing
  missing=$(cargo mutants --list | cut -d: -f1 | sort -u | grep -vxF -f <(printf '%s\n' "${FILES[@]}") || true)
  if [ -n "$missing" ]; then
    echo "scripts/mutants.sh: files with mutants missing from FILES: $missing" >&2
    exit 1
  fi
}

case "${1:-run}" in
  run)
    shift || true
    check_files
    [ $# -gt 0 ] && FILES=("$@")
    for f in "${FILES[@]}"; do run_file "$f"; done
    ;;
  survivors)
    python3 scripts/mutants_report.py "$OUT" --missed-quick | while IFS=$'\t' read -r file re; do
      # One directory per set of survivors, so later quick pieces' survivors get their own run.
      dir="$OUT/full-$(slug "$file")-$(echo "$re" | md5sum | cut -c1-8)"
      [ -f "$dir/mutants.out/outcomes.json" ] && grep -q '"end_time": *"' "$dir/mutants.out/outcomes.json" && continue
      echo "== survivors of $file under the full selection ($(date -u +%H:%M:%S))"
      skip=()
      [ -n "${EXCLUDE_RE:-}" ] && skip=(-E "$EXCLUDE_RE")
      read -r -a extra <<<"$(extra_args "$file")"
      "${WRAP[@]}" cargo mutants -f "$file" -F "$re" "${skip[@]}" "${extra[@]}" -j 1 \
        --baseline skip --timeout 400 --build-timeout 900 --no-shuffle -o "$dir" </dev/null ||
        [ $? -le 3 ]
    done
    ;;
  recheck)
    # What quick pieces missed, under the quick selection again: after new tests are added,
    # this is the cheap way to see them kill (a survivor here still goes to `survivors`).
    python3 scripts/mutants_report.py "$OUT" --missed-quick | while IFS=$'\t' read -r file re; do
      dir="$OUT/recheck-$(slug "$file")-$(echo "$re" | md5sum | cut -c1-8)"
      [ -f "$dir/mutants.out/outcomes.json" ] && grep -q '"end_time": *"' "$dir/mutants.out/outcomes.json" && continue
      echo "== recheck of $file's survivors ($(date -u +%H:%M:%S))"
      skip=()
      [ -n "${EXCLUDE_RE:-}" ] && skip=(-E "$EXCLUDE_RE")
      args=(--no-config -f "$file" -F "$re" "${skip[@]}" -j 1 --baseline skip --timeout 200
        --build-timeout 900 --no-shuffle -o "$dir")
      read -r -a extra <<<"$(extra_args "$file")"
      args+=("${extra[@]}")
      for a in "${QUICK_TESTS[@]}"; do args+=("--cargo-arg=$a"); done
      case "$file" in src/crypto*) ;; *) args+=("${QUICK_SKIPS[@]}") ;; esac
      "${WRAP[@]}" cargo mutants "${args[@]}" </dev/null || [ $? -le 3 ]
    done
    ;;
  gated)
    dir="$OUT/full-gated"
    args=(--no-config -F "$GATED_RE" --features=axum -j 1 --baseline skip --timeout 400
      --build-timeout 900 --no-shuffle -o "$dir")
    for f in "${GATED_FILES[@]}"; do args+=(-f "$f"); done
    for a in "${GATED_TESTS[@]}"; do args+=("--cargo-arg=$a"); done
    echo "== core code built only for the adapters ($(date -u +%H:%M:%S))"
    "${WRAP[@]}" cargo mutants "${args[@]}" </dev/null || [ $? -le 3 ]
    ;;
  equivalents)
    # The mutants declared equivalent, under the full selection: any caught here is not.
    re=$(grep -v '^#' scripts/mutants_equivalent.txt | python3 -c '
import re, sys
names = [l.rstrip("\n") for l in sys.stdin if l.strip()]
print("^(" + "|".join(re.sub(r"([\\.+*?()|\[\]{}^$#&\-~])", r"\\\1", n) for n in names) + ")$")')
    echo "== the equivalent mutants under the full selection ($(date -u +%H:%M:%S))"
    "${WRAP[@]}" cargo mutants -F "$re" -j 1 --baseline skip --timeout 400 --build-timeout 900 \
      --no-shuffle -o "$OUT/full-equivalents" </dev/null || [ $? -le 3 ]
    ;;
  report)
    python3 scripts/mutants_report.py "$OUT"
    ;;
  *)
    sed -n '2,20p' "$0"
    exit 2
    ;;
esac
