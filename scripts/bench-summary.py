#!/usr/bin/env python3
"""Turns one benchmark run into the ratio table of BENCHMARKS.md and the chart docs/benchmarks.svg.

Reads criterion's estimates (target/criterion/**/new/estimates.json, mean point estimates) and
target/bench-report.json written by `cargo bench --bench report`. Standard library only.
Usage: python3 scripts/bench-summary.py [TARGET_DIR]
"""
import json
import math
import os
import sys

TARGET = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("CARGO_TARGET_DIR", "target")
CRIT = os.path.join(TARGET, "criterion")
SIZES = [64, 256, 1024, 4096, 16384]


def ns(*path):
    """Mean time in nanoseconds of one criterion benchmark, or None if it did not run."""
    f = os.path.join(CRIT, *path, "new", "estimates.json")
    if not os.path.exists(f):
        return None
    with open(f) as fh:
        return json.load(fh)["mean"]["point_estimate"]


def fmt_ns(v):
    if v is None:
        return "—"
    return f"{v / 1000:.2f} µs" if v >= 1000 else f"{v:.0f} ns"


def ratio(a, b):
    return None if a is None or b is None else a / b


def verdict(ok):
    return "met" if ok else "**not met**"


def main():
    with open(os.path.join(TARGET, "bench-report.json")) as fh:
        report = json.load(fh)
    rows = []

    # 1. Reference round trip against cookie's PrivateJar.
    ours = ns("reference", "roundtrip", "ours-encrypted")
    jar = ns("reference", "roundtrip", "cookie-private")
    r = ratio(jar, ours)
    rows.append(("1. reference round trip vs cookie PrivateJar+JSON", f"{fmt_ns(ours)} vs {fmt_ns(jar)}",
                 f"{r:.2f}x faster" if r else "—", ">= 2x", verdict(r and r >= 2)))
    vdso = ns("reference", "roundtrip", "ours-encrypted-vdso")
    if vdso:
        r = ratio(jar, vdso)
        rows.append(("1'. the same with the vDSO getrandom (bench-only source)", f"{fmt_ns(vdso)} vs {fmt_ns(jar)}",
                     f"{r:.2f}x faster", ">= 2x", verdict(r >= 2)))

    # 2. 256 B and 4 KiB against the ring floor, seal and open each.
    derive = ns("derivation", "xaes-key-derivation")
    for size in (256, 4096):
        for op in ("seal", "open"):
            o = ns("payload", f"{op}_ours-encrypted", str(size))
            f = ns("payload", f"{op}_floor-ring", str(size))
            r = ratio(o, f)
            second = (f + derive) if (f is not None and derive is not None) else None
            r2 = ratio(o, second)
            rows.append((f"2. {op} {size} B vs ring floor (and floor + XAES derivation)",
                         f"{fmt_ns(o)} vs {fmt_ns(f)} ({fmt_ns(second)})",
                         f"{r:.2f}x ({r2:.2f}x)" if r and r2 else "—", "<= 2x", verdict(r and r <= 2)))
            if op == "seal":
                v = ns("payload", "seal_ours-encrypted-vdso", str(size))
                rv = ratio(v, f)
                if rv:
                    rows.append((f"2'. seal {size} B with the vDSO getrandom (bench-only source)",
                                 f"{fmt_ns(v)} vs {fmt_ns(f)}", f"{rv:.2f}x", "<= 2x", verdict(rv <= 2)))

    # 3. 16 KiB chunked throughput.
    for op in ("seal", "open"):
        o = ns("payload", f"{op}_ours-encrypted", "16384")
        gbps = 16384 / o if o else None  # bytes per ns = GB/s
        rows.append((f"3. {op} 16 KiB chunked, plaintext throughput", fmt_ns(o),
                     f"{gbps:.2f} GB/s" if gbps else "—", ">= 2 GB/s", verdict(gbps and gbps >= 2)))

    # 4. Wire size.
    w = report["wire_reference_ours"] / report["wire_reference_cookie_private"]
    rows.append(("4. reference session on the wire vs cookie+JSON",
                 f"{report['wire_reference_ours']} vs {report['wire_reference_cookie_private']} bytes",
                 f"{100 * w:.0f}%", "<= 60%", verdict(w <= 0.6)))

    # 5. Allocations.
    for mode in ("encrypted", "signed"):
        s, o = report[f"allocs_seal_{mode}"], report[f"allocs_open_{mode}"]
        rows.append((f"5. allocations per seal / open beyond T ({mode})", f"{s} / {o}", f"{s} / {o}",
                     "<= 4 / <= 2", verdict(s <= 4 and o <= 2)))

    # 6. Threads.
    t = report["throughput_2"] / report["throughput_1"]
    rows.append(("6. round trips/s on 2 threads vs 1", f"{report['throughput_1']:.0f} → {report['throughput_2']:.0f}",
                 f"{t:.2f}x", ">= 1.8x", verdict(t >= 1.8)))
    if "floor_throughput_1" in report:
        f = report["floor_throughput_2"] / report["floor_throughput_1"]
        rows.append(("6'. the machine's ceiling: ring AES-GCM, nothing shared, 2 threads vs 1",
                     f"{report['floor_throughput_1']:.0f} → {report['floor_throughput_2']:.0f}",
                     f"{f:.2f}x", "—", "reference"))

    print("| target | measured | ratio | goal | |")
    print("|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(str(c) for c in row) + " |")

    print("\n| payload | op | ours encrypted | ours signed | cookie private | ring floor | RustCrypto floor |")
    print("|---|---|---|---|---|---|---|")
    for size in SIZES:
        for op in ("seal", "open"):
            cells = [fmt_ns(ns("payload", f"{op}_{who}", str(size)))
                     for who in ("ours-encrypted", "ours-signed", "cookie-private", "floor-ring", "floor-rustcrypto")]
            print(f"| {size} B | {op} | " + " | ".join(cells) + " |")
    print(f"\nXAES-256-GCM per-message key derivation alone: {fmt_ns(derive)}; "
          f"one getrandom(40 bytes) call: {fmt_ns(ns('derivation', 'getrandom-40-bytes'))}")
    chart()


def chart():
    """Seal and open time against payload size, log-log, one line per implementation."""
    series = [("ours-encrypted", "#1f77b4"), ("ours-signed", "#17becf"), ("cookie-private", "#d62728"),
              ("floor-ring", "#2ca02c"), ("floor-rustcrypto", "#9467bd")]
    W, H, M = 460, 320, 55
    panels = []
    values = [ns("payload", f"{op}_{s}", str(z)) for op in ("seal", "open") for s, _ in series for z in SIZES]
    values = [v for v in values if v]
    lo, hi = math.log10(min(values)), math.log10(max(values))
    x = lambda z: M + (math.log2(z) - 6) / 8 * (W - 2 * M)
    y = lambda v: H - M - (math.log10(v) - lo) / (hi - lo) * (H - 2 * M)
    for p, op in enumerate(("seal", "open")):
        g = [f'<g transform="translate({p * W},0)">',
             f'<text x="{W / 2}" y="20" text-anchor="middle" font-weight="bold">{op}</text>',
             f'<line x1="{M}" y1="{H - M}" x2="{W - M}" y2="{H - M}" stroke="black"/>',
             f'<line x1="{M}" y1="{M}" x2="{M}" y2="{H - M}" stroke="black"/>']
        for z in SIZES:
            g.append(f'<text x="{x(z):.1f}" y="{H - M + 15}" text-anchor="middle" font-size="10">{z}</text>')
        for e in range(math.floor(lo), math.ceil(hi) + 1):
            if lo <= e <= hi:
                label = f"{10 ** e / 1000:g} µs" if e >= 3 else f"{10 ** e:g} ns"
                g.append(f'<text x="{M - 5}" y="{y(10 ** e) + 3:.1f}" text-anchor="end" font-size="10">{label}</text>')
        g.append(f'<text x="{W / 2}" y="{H - 15}" text-anchor="middle" font-size="11">payload bytes</text>')
        for name, color in series:
            pts = [(x(z), y(v)) for z in SIZES if (v := ns("payload", f"{op}_{name}", str(z)))]
            if pts:
                g.append('<polyline fill="none" stroke-width="2" stroke="%s" points="%s"/>'
                         % (color, " ".join(f"{a:.1f},{b:.1f}" for a, b in pts)))
        g.append("</g>")
        panels.append("\n".join(g))
    legend = "".join(f'<rect x="{60 + i * 170}" y="{H + 5}" width="12" height="12" fill="{c}"/>'
                     f'<text x="{76 + i * 170}" y="{H + 15}" font-size="11">{n}</text>'
                     for i, (n, c) in enumerate(series))
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * W}" height="{H + 30}" '
           f'font-family="sans-serif"><rect width="100%" height="100%" fill="white"/>'
           + "\n".join(panels) + legend + "</svg>\n")
    os.makedirs("docs", exist_ok=True)
    with open(os.path.join("docs", "benchmarks.svg"), "w") as fh:
        fh.write(svg)
    print("\nwrote docs/benchmarks.svg")


if __name__ == "__main__":
    main()
