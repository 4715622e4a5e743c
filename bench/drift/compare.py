#!/usr/bin/env python3
"""Per-rule drift counts before/after on the same commits.

Usage: bench/drift/compare.py BEFORE_OUT AFTER_OUT [REPO_NAME...]
  BEFORE_OUT, AFTER_OUT: output directories of bench/drift/history.sh (OUT=…), holding
  <owner>+<name>/commits.jsonl. Only commits present in both runs are counted, so a run with a
  smaller -n is compared with the matching newest commits of a larger one. Prints Markdown:
  per-rule counts per repository (before → after), exit codes, and findings on formatting-only
  commits (false drift).
"""

import collections
import json
import os
import sys


def load(path):
    recs = {}
    if not os.path.exists(path):
        return recs
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            recs[r["commit"]] = r
    return recs


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    before_dir, after_dir = sys.argv[1], sys.argv[2]
    names = sys.argv[3:] or sorted(
        d for d in os.listdir(after_dir) if "+" in d and os.path.isdir(os.path.join(after_dir, d))
    )
    rows = []
    rules = set()
    total_b, total_a = collections.Counter(), collections.Counter()
    runs = []
    for name in names:
        a = load(os.path.join(after_dir, name, "commits.jsonl"))
        b = load(os.path.join(before_dir, name, "commits.jsonl"))
        common = [c for c in a if c in b]
        cb, ca = collections.Counter(), collections.Counter()
        rc_b, rc_a = collections.Counter(), collections.Counter()
        fmt, fmt_b, fmt_a = 0, 0, 0
        for c in common:
            for f in b[c]["findings"]:
                cb[f["rule"]] += 1
            for f in a[c]["findings"]:
                ca[f["rule"]] += 1
            rc_b[b[c]["rc"]] += 1
            rc_a[a[c]["rc"]] += 1
            if a[c].get("formatting_only"):
                fmt += 1
                fmt_b += len(b[c]["findings"])
                fmt_a += len(a[c]["findings"])
        rules |= set(cb) | set(ca)
        total_b.update(cb)
        total_a.update(ca)
        rows.append((name, len(common), cb, ca))
        runs.append((name, len(common), rc_b, rc_a, fmt, fmt_b, fmt_a))
    rules = sorted(rules)
    short = [r.split("/", 1)[-1] for r in rules]
    print("| repository | commits | " + " | ".join(short) + " |")
    print("|---|---:|" + "---:|" * len(rules))
    for name, n, cb, ca in rows:
        cells = [f"{cb[r]} → {ca[r]}" if cb[r] != ca[r] else str(cb[r]) for r in rules]
        print(f"| {name} | {n} | " + " | ".join(cells) + " |")
    n = sum(r[1] for r in rows)
    cells = [f"{total_b[r]} → {total_a[r]}" if total_b[r] != total_a[r] else str(total_b[r]) for r in rules]
    print(f"| **total** | {n} | " + " | ".join(cells) + " |")
    print()
    print("| repository | exit 0/1/2 before | after | formatting-only commits | findings on them before → after |")
    print("|---|---|---|---:|---|")
    for name, n, rb, ra, fmt, fb, fa in runs:
        f = lambda c: f"{c[0]}/{c[1]}/{c[2]}"
        print(f"| {name} | {f(rb)} | {f(ra)} | {fmt} | {fb} → {fa} |")


if __name__ == "__main__":
    main()
