#!/usr/bin/env bash
# A/B of two builds of one criterion bench, interleaved: runs BEFORE and AFTER alternately,
# ROUNDS times each (default 4), with an optional criterion filter, and prints per benchmark the
# median over the rounds of each build's criterion estimate and AFTER/BEFORE. Interleaving is
# what makes a small difference visible on a shared machine, whose speed drifts by more than
# 10% between two runs minutes apart (BENCHMARKS.md, "Keyring reload").
#
#   scripts/bench-ab.sh target/release/deps/seal_open-OLD target/release/deps/seal_open-NEW 4 reference/
#
# The binaries are criterion benches built by `cargo bench --no-run` (one per source tree);
# run it under /work/bin/quiet-run or on an otherwise idle machine.
set -euo pipefail
before="$1"
after="$2"
rounds="${3:-4}"
filter="${4:-}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for r in $(seq 1 "$rounds"); do
  for side in before after; do
    bin="$before"
    [ "$side" = after ] && bin="$after"
    # bencher format: "test NAME ... bench: N ns/iter (+/- M)"; no baseline files written.
    "$bin" --bench --output-format bencher --noplot ${filter:+"$filter"} 2>/dev/null |
      grep '^test ' >"$out/$side.$r"
    echo "round $r/$rounds: $side done" >&2
  done
done
python3 - "$out" "$rounds" <<'EOF'
import re, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
data = {"before": {}, "after": {}}
for side in data:
    for r in range(1, rounds + 1):
        for line in open(f"{out}/{side}.{r}"):
            m = re.match(r"test (\S+) \.\.\. bench:\s+([\d,]+) ns/iter", line)
            if m:
                data[side].setdefault(m.group(1), []).append(int(m.group(2).replace(",", "")))
print(f"{'benchmark':44} {'before ns':>10} {'after ns':>10} {'after/before':>12}  (medians of {rounds} interleaved runs)")
for name in data["before"]:
    if name not in data["after"]:
        continue
    b, a = statistics.median(data["before"][name]), statistics.median(data["after"][name])
    print(f"{name:44} {b:10.0f} {a:10.0f} {a / b:12.3f}")
EOF
