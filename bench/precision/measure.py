#!/usr/bin/env python3
"""Measured precision per rule: pipeguard over the real-file corpus, a seeded sample of each rule's
findings judged by reading the files, the false-positive rate per rule (issue 16).

    python3 bench/precision/measure.py BIN [--corpus DIR] [--out DIR] [--per-rule K] [--write]

1. Stages ../shared/corpus as repositories pipeguard recognises: the 492 workflows as
   `.github/workflows/*` of one tree, each Jenkinsfile as `<name>/Jenkinsfile` and each job as
   `<name>/config.xml`, the IaC folders as they are.
2. Scans each tree with `--persona auditor --format json --fail-on never` (every rule, every persona).
3. Per rule, a sample of at most K findings (default 5), chosen by the SHA-256 of
   `rule|file|line` (deterministic, independent of the order of the report).
4. Joins the sample with bench/precision/judgements.tsv (rule, file, line, verdict tp|fp, reason),
   written by people reading each sampled finding in its file. Unjudged samples are listed in
   OUT/unjudged.md with their context, to be judged and added to the TSV.
5. Prints per rule: findings, sampled, judged, false positives; with --write, writes
   crates/engine/rules/precision.tsv (the table SARIF's `precision` is taken from) when every
   sample is judged.

`file` in the TSV is relative to the corpus root (`workflows/X.yml`, `iac/k8s/...`,
`jenkins/files/X`, `jenkins/jobs/X/config.xml`), so judgements survive re-staging.
"""

import argparse
import collections
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
JUDGEMENTS = os.path.join(HERE, "judgements.tsv")
TABLE = os.path.join(REPO, "crates", "engine", "rules", "precision.tsv")


def place(src, dst):
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def stage(corpus, tmp):
    """[(tree, {staged relative path: corpus relative path})]"""
    trees = []
    wf = os.path.join(corpus, "workflows")
    if os.path.isdir(wf):
        t = os.path.join(tmp, "gha")
        m = {}
        for n in sorted(os.listdir(wf)):
            if n.endswith((".yml", ".yaml")):
                rel = f".github/workflows/{n}"
                place(os.path.join(wf, n), os.path.join(t, rel))
                m[rel] = f"workflows/{n}"
        trees.append((t, m))
    jf = os.path.join(corpus, "jenkins", "files")
    if os.path.isdir(jf):
        t = os.path.join(tmp, "jenkins")
        m = {}
        for n in sorted(os.listdir(jf)):
            rel = f"{n}/Jenkinsfile"
            place(os.path.join(jf, n), os.path.join(t, rel))
            m[rel] = f"jenkins/files/{n}"
        jobs = os.path.join(corpus, "jenkins", "jobs")
        for n in sorted(os.listdir(jobs)) if os.path.isdir(jobs) else []:
            src = os.path.join(jobs, n, "config.xml")
            if os.path.isfile(src):
                rel = f"jobs/{n}/config.xml"
                place(src, os.path.join(t, rel))
                m[rel] = f"jenkins/jobs/{n}/config.xml"
        trees.append((t, m))
    iac = os.path.join(corpus, "iac")
    if os.path.isdir(iac):
        trees.append((iac, None))
    return trees


def scan(binary, tree):
    p = subprocess.run(
        [binary, "scan", tree, "--persona", "auditor", "--format", "json", "--fail-on", "never"],
        capture_output=True,
        text=True,
    )
    if p.returncode not in (0, 1):
        sys.exit(f"scan of {tree} exited {p.returncode}: {p.stderr[-2000:]}")
    return json.loads(p.stdout)


def key(f):
    return (f["rule"], f["file"], f["line"])


def digest(k):
    return hashlib.sha256("|".join(map(str, k)).encode()).hexdigest()


def read_judgements():
    out = {}
    if not os.path.exists(JUDGEMENTS):
        return out
    with open(JUDGEMENTS, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) < 5 or parts[3] not in ("tp", "fp"):
                sys.exit(f"{JUDGEMENTS}:{n}: expected rule, file, line, tp|fp, reason")
            out[(parts[0], parts[1], int(parts[2]))] = (parts[3], parts[4])
    return out


def context(corpus, rel, line, radius=6):
    try:
        with open(os.path.join(corpus, rel), encoding="utf-8", errors="replace") as fh:
            lines = fh.read().split("\n")
    except OSError:
        return ""
    lo, hi = max(1, line - radius), min(len(lines), line + radius)
    return "\n".join(f"{'>' if i == line else ' '}{i:5} {lines[i - 1]}" for i in range(lo, hi + 1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--corpus", default=os.path.join(REPO, "..", "shared", "corpus"))
    ap.add_argument("--out", default="/tmp/pipeguard-precision")
    ap.add_argument("--per-rule", type=int, default=5)
    ap.add_argument("--write", action="store_true")
    a = ap.parse_args()
    corpus = os.path.abspath(a.corpus)
    os.makedirs(a.out, exist_ok=True)

    findings = []
    with tempfile.TemporaryDirectory() as tmp:
        for tree, mapping in stage(corpus, tmp):
            report = scan(a.binary, tree)
            for f in report["findings"]:
                path = f["location"]["path"]
                if mapping is not None:
                    rel = mapping.get(path)
                    if rel is None:
                        continue
                else:
                    rel = os.path.relpath(os.path.join(tree, path), corpus)
                findings.append(
                    {
                        "rule": f["rule_id"],
                        "file": rel,
                        "line": f["location"]["start_line"],
                        "severity": f["severity"],
                        "message": f["message"],
                    }
                )

    by_rule = collections.defaultdict(dict)
    for f in findings:
        # A parse error says a file was not analysed, not that something was detected.
        if not f["rule"].endswith("/parse-error"):
            by_rule[f["rule"]].setdefault(key(f), f)
    judged = read_judgements()
    rows, unjudged = [], []
    for rule in sorted(by_rule):
        keys = sorted(by_rule[rule], key=digest)[: a.per_rule]
        verdicts = [judged.get(k) for k in keys]
        fp = sum(1 for v in verdicts if v and v[0] == "fp")
        n = sum(1 for v in verdicts if v)
        rows.append((rule, len(by_rule[rule]), len(keys), n, fp))
        unjudged += [by_rule[rule][k] for k, v in zip(keys, verdicts) if not v]

    print(f"{'rule':48} {'findings':>8} {'sampled':>7} {'judged':>6} {'fp':>3}")
    for r in rows:
        print(f"{r[0]:48} {r[1]:8} {r[2]:7} {r[3]:6} {r[4]:3}")
    tot = [sum(r[i] for r in rows) for i in (1, 2, 3, 4)]
    print(f"{len(rows)} rules, {tot[0]} findings, {tot[1]} sampled, {tot[2]} judged, {tot[3]} false positives")

    with open(os.path.join(a.out, "unjudged.md"), "w", encoding="utf-8") as fh:
        for f in unjudged:
            fh.write(f"## {f['rule']}\t{f['file']}\t{f['line']}\n{f['severity']}: {f['message']}\n```\n")
            fh.write(context(corpus, f["file"], f["line"]) + "\n```\n\n")
    print(f"unjudged samples: {len(unjudged)} (in {a.out}/unjudged.md)")

    if a.write:
        if unjudged:
            sys.exit("not writing the table: judge every sample first")
        with open(TABLE, "w", encoding="utf-8") as fh:
            fh.write(
                "# Measured precision per rule: generated by bench/precision/measure.py from the judgements\n"
                "# in bench/precision/judgements.tsv (a seeded sample of each rule's findings on\n"
                "# ../shared/corpus, read in their files). rule, judged, false positives.\n"
            )
            for r in rows:
                fh.write(f"{r[0]}\t{r[3]}\t{r[4]}\n")
        print(f"wrote {TABLE}")


if __name__ == "__main__":
    main()
