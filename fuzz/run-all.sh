#!/usr/bin/env bash
# Builds every fuzz target and runs each one for SECONDS, one after another, on one core.
#
#   fuzz/run-all.sh SECONDS [TARGET...]
#
# Each target starts from a copy of its committed seeds (fuzz/corpus/<target>/) in
# fuzz/target/corpus/<target>/, so the committed corpus never changes; crash inputs land in
# fuzz/artifacts/<target>/ and logs in fuzz/target/logs/<target>.log. Inputs under
# fuzz/regressions/<target>/ are replayed first. Exits non-zero if any target crashed.
set -euo pipefail

seconds=${1:?usage: fuzz/run-all.sh SECONDS [TARGET...]}
shift
fuzz_dir=$(cd "$(dirname "$0")" && pwd)
cd "$fuzz_dir/.."

all_targets=(open_cookie_header join_chunks keyring_text open_token roundtrip lifetimes v1_upgrade session_layer)
targets=("${@:-${all_targets[@]}}")

# Inputs longer than the targets' 8192-byte budgets reach the size checks; the round trip
# needs room for payloads up to the largest total budget. The structured targets need less:
# lifetimes' payload only has to reach a few chunks, v1_upgrade's input is a fixture index, a
# policy, times and byte changes, and session_layer runs at most 48 steps.
max_len() {
    case $1 in
        keyring_text) echo 2048 ;;
        roundtrip) echo 65536 ;;
        lifetimes | session_layer) echo 4096 ;;
        v1_upgrade) echo 1024 ;;
        *) echo 12288 ;;
    esac
}
dict() {
    case $1 in
        keyring_text) echo "$fuzz_dir/dict/keyring.dict" ;;
        open_cookie_header | join_chunks | open_token) echo "$fuzz_dir/dict/cookie.dict" ;;
    esac
}

# cargo-fuzz needs a nightly compiler (sanitizer flags).
if rustc --version | grep -q nightly; then
    cargo=(cargo)
elif rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    cargo=(cargo +nightly)
else
    echo "run-all.sh: a nightly toolchain is needed (rustup toolchain install nightly)" >&2
    exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "run-all.sh: installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

# Release builds with debug assertions and overflow checks: an overflow is a crash too.
build=(-O -a)
"${cargo[@]}" fuzz build "${build[@]}"

mkdir -p "$fuzz_dir/target/logs"
failed=()
summary=()
for t in "${targets[@]}"; do
    if [ -d "$fuzz_dir/regressions/$t" ] && [ -n "$(ls -A "$fuzz_dir/regressions/$t")" ]; then
        echo "== $t: replaying fuzz/regressions/$t"
        if ! "${cargo[@]}" fuzz run "${build[@]}" "$t" "$fuzz_dir/regressions/$t" -- -runs=0; then
            failed+=("$t (regression)")
            continue
        fi
    fi
    work="$fuzz_dir/target/corpus/$t"
    rm -rf "$work"
    mkdir -p "$work"
    cp -R "$fuzz_dir/corpus/$t/." "$work/"
    log="$fuzz_dir/target/logs/$t.log"
    args=(-max_total_time="$seconds" -max_len="$(max_len "$t")" -timeout=10 -print_final_stats=1)
    d=$(dict "$t")
    [ -n "$d" ] && args+=(-dict="$d")
    echo "== $t: fuzzing for ${seconds}s (log: ${log#"$PWD"/})"
    status=0
    "${cargo[@]}" fuzz run "${build[@]}" "$t" "$work" -- "${args[@]}" >"$log" 2>&1 || status=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    corpus=$(find "$work" -type f | wc -l)
    line="$t: ${execs:-?} executions, ${rate:-?} exec/s, corpus $corpus"
    if [ "$status" -ne 0 ]; then
        failed+=("$t")
        line="$line, FAILED (exit $status)"
        grep -E '^(==[0-9]+==|thread .* panicked|SUMMARY|artifact_prefix|Test unit written)' "$log" | head -20 || true
        tail -40 "$log"
    fi
    echo "$line"
    summary+=("$line")
done

echo "== fuzz summary (${seconds}s per target)"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -ne 0 ]; then
    echo "fuzz: crashes in: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
    exit 1
fi
