#!/usr/bin/env python3
"""Aggregates the pieces of scripts/mutants.sh: one outcome per mutant, counts per file.

A mutant's outcome is the one of its quick piece, unless that piece missed it and the rerun
under the full selection (a `full-*` directory) has an outcome: then that one. A timeout
counts as detected (the tests did not pass), as cargo-mutants' own summary does not say;
the table shows timeouts apart so the reader can judge.

  mutants_report.py OUT                 table per file, totals, then every survivor
  mutants_report.py OUT --missed-quick  FILE<TAB>REGEX per file of what quick pieces missed
"""
import json
import os
import re
import subprocess
import sys

KIND = {
    "CaughtMutant": "caught",
    "MissedMutant": "missed",
    "Unviable": "unviable",
    "Timeout": "timeout",
}


def outcomes(out):
    """(quick, full): dicts name -> (file, kind), over every piece that has outcomes."""
    quick, full = {}, {}
    for d in sorted(os.listdir(out)):
        path = os.path.join(out, d, "mutants.out", "outcomes.json")
        if not os.path.exists(path):
            continue
        with open(path) as f:
            data = json.load(f)
        target = full if d.startswith("full-") else quick
        for o in data["outcomes"]:
            m = o["scenario"]
            if not isinstance(m, dict) or "Mutant" not in m:
                continue
            m = m["Mutant"]
            kind = KIND.get(o["summary"], o["summary"])
            name = m["name"]
            if m.get("function"):
                name = name  # names from --list already include " in FUNCTION"
            target[name] = (m["file"], kind)
    return quick, full


def listed():
    """Every mutant of the configuration, as cargo mutants --list names them."""
    names = subprocess.run(
        ["cargo", "mutants", "--list"], check=True, capture_output=True, text=True
    ).stdout.splitlines()
    return [n for n in names if n.strip()]


def main():
    out = sys.argv[1]
    quick, full = outcomes(out)
    if "--missed-quick" in sys.argv[2:]:
        by_file = {}
        for name, (file, kind) in quick.items():
            if kind == "missed":
                by_file.setdefault(file, []).append(name)
        for file, names in by_file.items():
            print(f"{file}\t^({'|'.join(re.escape(n) for n in names)})$")
        return
    final = {}
    for name, (file, kind) in quick.items():
        if kind == "missed" and name in full:
            kind = full[name][1]
        elif kind == "missed":
            kind = "missed-quick"  # not yet rerun under the full selection
        final[name] = (file, kind)
    for name, (file, kind) in full.items():
        final.setdefault(name, (file, kind))
    all_names = listed()
    per = {}
    for name in all_names:
        file = name.split(":", 1)[0]
        row = per.setdefault(file, dict.fromkeys(
            ["mutants", "caught", "timeout", "missed", "missed-quick", "unviable", "not run"], 0))
        row["mutants"] += 1
        row[final[name][1] if name in final else "not run"] += 1
    cols = ["mutants", "caught", "timeout", "missed", "missed-quick", "unviable", "not run"]
    print("| file | " + " | ".join(cols) + " | caught of viable |")
    print("|" + "---|" * (len(cols) + 2))
    tot = dict.fromkeys(cols, 0)
    def score(r):
        viable = r["caught"] + r["timeout"] + r["missed"] + r["missed-quick"]
        return f"{100 * (r['caught'] + r['timeout']) / viable:.1f}%" if viable else "-"
    for file in sorted(per):
        r = per[file]
        for c in cols:
            tot[c] += r[c]
        print(f"| {file} | " + " | ".join(str(r[c]) for c in cols) + f" | {score(r)} |")
    print("| **total** | " + " | ".join(str(tot[c]) for c in cols) + f" | {score(tot)} |")
    print()
    print("Survivors:")
    for name in all_names:
        if name in final and final[name][1].startswith("missed"):
            print(f"- {final[name][1]}: {name}")


if __name__ == "__main__":
    main()
