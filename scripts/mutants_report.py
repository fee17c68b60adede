#!/usr/bin/env python3
"""Aggregates the pieces of scripts/mutants.sh: one outcome per mutant, counts per file.

A mutant's outcome is the one of the latest run that tested it: a quick piece, a `recheck-*`
run (the quick selection again, after new tests) or a `full-*` run (the full selection of
.cargo/mutants.toml). A miss under a quick selection is reported as `missed-quick` (the full
selection might still catch it). A timeout counts as detected (the tests did not pass); the
table shows timeouts apart so the reader can judge.

A survivor named in scripts/mutants_not_built.txt is in code this platform never compiles
(`#[cfg(not(unix))]`): it is counted as `not built`, with the unviable ones, out of the viable.
A survivor named in scripts/mutants_equivalent.txt (one mutant name a line, as `cargo mutants
--list` prints it; MUTANTS.md gives each one's reason) is counted as equivalent, and
`--missed-quick` leaves it out, so `recheck` and `survivors` do not run it again.

  mutants_report.py OUT                 table per file, totals, then every survivor
  mutants_report.py OUT --missed-quick  FILE<TAB>REGEX per file of what quick pieces missed
  mutants_report.py OUT --killed        mutants missed by one run and caught (or found
                                        unviable) by a later one, with their history
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


def escape(name):
    """A regex (Rust's regex crate) matching exactly `name`."""
    return re.sub(r"([\\.+*?()|\[\]{}^$#&\-~])", r"\\\1", name)


def outcomes(out):
    """name -> (file, kind, full): each mutant's outcome in the latest run that tested it.

    `full` tells whether that run used the full selection of .cargo/mutants.toml (the
    directories `scripts/mutants.sh survivors` writes, `full-*`) or a narrower one; a mutant
    the narrower one caught is caught by the suite, one it missed is not yet known missed.
    """
    runs = []
    for d in os.listdir(out):
        path = os.path.join(out, d, "mutants.out", "outcomes.json")
        if os.path.exists(path):
            with open(path) as f:
                data = json.load(f)
            runs.append((data.get("start_time") or "", d.startswith("full-"), data))
    final = {}
    for _, full, data in sorted(runs, key=lambda r: r[0]):
        for o in data["outcomes"]:
            m = o["scenario"]
            if not isinstance(m, dict) or "Mutant" not in m:
                continue
            m = m["Mutant"]
            final[m["name"]] = (m["file"], KIND.get(o["summary"], o["summary"]), full)
    return final


def equivalent(list_name="mutants_equivalent.txt"):
    """The mutant names a list beside this script declares (equivalent, or not built)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), list_name)
    if not os.path.exists(path):
        return set()
    with open(path) as f:
        return {l.rstrip("\n") for l in f if l.strip() and not l.startswith("#")}


def listed():
    """Every mutant of the configuration, as cargo mutants --list names them."""
    names = subprocess.run(
        ["cargo", "mutants", "--list"], check=True, capture_output=True, text=True
    ).stdout.splitlines()
    return [n for n in names if n.strip()]


def killed(out):
    """Mutants a run missed and a later run caught: the new tests' kills (MUTANTS.md)."""
    runs = []
    for d in os.listdir(out):
        path = os.path.join(out, d, "mutants.out", "outcomes.json")
        if os.path.exists(path):
            with open(path) as f:
                data = json.load(f)
            runs.append((data.get("start_time") or "", d, data))
    history = {}
    for _, d, data in sorted(runs, key=lambda r: r[0]):
        for o in data["outcomes"]:
            m = o["scenario"]
            if isinstance(m, dict) and "Mutant" in m:
                kind = KIND.get(o["summary"], o["summary"])
                history.setdefault(m["Mutant"]["name"], []).append(f"{kind} ({d})")
    for name in sorted(history):
        h = history[name]
        if any(k.startswith("missed") for k in h) and not h[-1].startswith("missed"):
            print(f"- {name}: " + " -> ".join(h))


def main():
    out = sys.argv[1]
    if "--killed" in sys.argv[2:]:
        killed(out)
        return
    latest = outcomes(out)
    equiv = equivalent() | equivalent("mutants_not_built.txt")
    not_built = equivalent("mutants_not_built.txt")
    if "--missed-quick" in sys.argv[2:]:
        by_file = {}
        for name, (file, kind, full) in latest.items():
            if kind == "missed" and not full and name not in equiv:
                by_file.setdefault(file, []).append(name)
        for file, names in by_file.items():
            print(f"{file}\t^({'|'.join(escape(n) for n in names)})$")
        return
    final = {}
    for name, (file, kind, full) in latest.items():
        if kind == "missed" and name in not_built:
            kind = "not built"  # never compiled on this platform: no test can run it
        elif kind == "missed" and name in equiv:
            kind = "equivalent"  # shown so in MUTANTS.md, whichever selection missed it
        elif kind == "missed" and not full:
            kind = "missed-quick"  # not yet rerun under the full selection
        final[name] = (file, kind)
    all_names = listed()
    per = {}
    for name in all_names:
        file = name.split(":", 1)[0]
        row = per.setdefault(file, dict.fromkeys(
            ["mutants", "caught", "timeout", "equivalent", "missed", "missed-quick", "unviable",
             "not built", "not run"], 0))
        row["mutants"] += 1
        row[final[name][1] if name in final else "not run"] += 1
    cols = ["mutants", "caught", "timeout", "equivalent", "missed", "missed-quick", "unviable",
            "not built", "not run"]
    print("| file | " + " | ".join(cols) + " | caught of viable |")
    print("|" + "---|" * (len(cols) + 2))
    tot = dict.fromkeys(cols, 0)
    def score(r):
        viable = r["caught"] + r["timeout"] + r["equivalent"] + r["missed"] + r["missed-quick"]
        return f"{100 * (r['caught'] + r['timeout']) / viable:.1f}%" if viable else "-"
    for file in sorted(per):
        r = per[file]
        for c in cols:
            tot[c] += r[c]
        print(f"| {file} | " + " | ".join(str(r[c]) for c in cols) + f" | {score(r)} |")
    print("| **total** | " + " | ".join(str(tot[c]) for c in cols) + f" | {score(tot)} |")
    # Time: every mutant tested in every run (quick, recheck, full), build and test phases.
    secs, n = 0.0, 0
    for d in os.listdir(out):
        path = os.path.join(out, d, "mutants.out", "outcomes.json")
        if os.path.exists(path):
            with open(path) as f:
                for o in json.load(f)["outcomes"]:
                    if isinstance(o["scenario"], dict) and "Mutant" in o["scenario"]:
                        secs += sum(p.get("duration", 0) for p in o.get("phase_results", []))
                        n += 1
    if n:
        print(f"\n{n} mutant runs, {secs / n:.1f} s each on average (build and test)")
    print()
    print("Survivors:")
    for name in all_names:
        if name in final and final[name][1] in ("equivalent", "missed", "missed-quick"):
            print(f"- {final[name][1]}: {name}")


if __name__ == "__main__":
    main()
