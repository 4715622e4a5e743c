#!/usr/bin/env python3
"""A seeded random sample of high/critical findings of one pipeguard JSON report, to judge by hand.

  sample.py layout CORPUS TREE     link every corpus file into TREE under a name pipeguard reads:
                                   files/<name> -> TREE/files/<name>/Jenkinsfile (the corpus names
                                   keep the original endings, 105 of which pipeguard does not pick
                                   up), jobs/<job>/config.xml as it is (JENKINS_HOME layout)
  sample.py pick REPORT --seed N [--n 20] [--root CORPUS] [--rules jenkins/]
                                   print a Markdown table of N findings (severity high or critical)
                                   drawn with random.Random(N) from the findings sorted by
                                   (path, line, column, rule, message), each with the source line
                                   read from ROOT, and a per-rule count of the whole report

REPORT is `pipeguard scan TREE --only jenkins --format json --fail-on never` (or `-` for stdin).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import shutil
import sys

HIGH = {"high", "critical"}


def layout(corpus: str, tree: str) -> None:
    n = 0
    for manifest, pipeline in (("MANIFEST.jsonl", True), ("MANIFEST_jobs.jsonl", False)):
        with open(os.path.join(corpus, manifest)) as fh:
            for line in fh:
                rel = json.loads(line)["corpus_path"]
                dst = os.path.join(tree, rel, "Jenkinsfile") if pipeline else os.path.join(tree, rel)
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                src = os.path.join(corpus, rel)
                try:
                    os.link(src, dst)
                except OSError:
                    shutil.copyfile(src, dst)
                n += 1
    print(f"{n} files under {tree}", file=sys.stderr)


def corpus_path(path: str) -> str:
    """TREE path in the report -> the file's path in the corpus."""
    if path.startswith("files/") and path.endswith("/Jenkinsfile"):
        return path[: -len("/Jenkinsfile")]
    return path


def pick(report_path: str, seed: int, n: int, root: str | None, prefix: str) -> None:
    fh = sys.stdin if report_path == "-" else open(report_path)
    report = json.load(fh)
    findings = [f for f in report.get("findings", []) if f.get("rule_id", "").startswith(prefix)]
    counts = collections.Counter((f["rule_id"], f["severity"]) for f in findings)
    pool = [f for f in findings if f.get("severity") in HIGH]

    def key(f):
        loc = f.get("location") or {}
        return (loc.get("path", ""), loc.get("start_line") or 0, loc.get("start_column") or 0, f["rule_id"], f.get("message", ""))

    pool.sort(key=key)
    chosen = random.Random(seed).sample(pool, min(n, len(pool)))
    print(f"{len(findings)} findings, {len(pool)} high/critical; {len(chosen)} drawn with seed {seed}\n")
    print("| rule | severity | count |\n|---|---|---:|")
    for (rule, sev), c in sorted(counts.items()):
        print(f"| `{rule}` | {sev} | {c} |")
    print("\n| # | rule | file:line | source line | message |\n|---:|---|---|---|---|")
    for i, f in enumerate(chosen, 1):
        loc = f.get("location") or {}
        path = corpus_path(loc.get("path", ""))
        line = loc.get("start_line") or 0
        text = ""
        if root:
            try:
                with open(os.path.join(root, path), encoding="utf-8", errors="replace") as src:
                    lines = src.read().splitlines()
                text = lines[line - 1].strip() if 0 < line <= len(lines) else ""
            except OSError:
                text = "(unreadable)"
        text = text.replace("|", "\\|")[:140]
        msg = f.get("message", "").replace("|", "\\|")[:160]
        print(f"| {i} | {f['rule_id'].split('/', 1)[-1]} | {path}:{line} | `{text}` | {msg} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    lay = sub.add_parser("layout")
    lay.add_argument("corpus")
    lay.add_argument("tree")
    pk = sub.add_parser("pick")
    pk.add_argument("report")
    pk.add_argument("--seed", type=int, required=True)
    pk.add_argument("--n", type=int, default=20)
    pk.add_argument("--root", default=None)
    pk.add_argument("--rules", default="jenkins/")
    args = ap.parse_args()
    if args.cmd == "layout":
        layout(args.corpus, args.tree)
    else:
        pick(args.report, args.seed, args.n, args.root, args.rules)


if __name__ == "__main__":
    main()
