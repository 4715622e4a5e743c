#!/usr/bin/env python3
"""Risk-score distribution of a pipeguard binary on the shared corpora (issue 16).

One scan per origin repository: the workflows of ../shared/corpus/workflows grouped by their
`owner__repo__` prefix (copied into a temporary `.github/workflows/`), and each repository
folder of ../shared/corpus/iac/{dockerfile,k8s,terraform}. Prints one line per scan and a
histogram per corpus. Usage: distribution.py BIN [CORPUS_DIR]
"""
import collections, json, os, shutil, subprocess, sys, tempfile

def scan(binary, root):
    out = subprocess.run([binary, "scan", "--format", "json", "--fail-on", "never", root],
                         capture_output=True, text=True)
    r = json.loads(out.stdout)
    return r["summary"]["risk_score"], r["summary"]["counts"]

def histogram(name, scores):
    buckets = collections.Counter(min(s // 10, 9) for s in scores)
    print(f"\n{name}: {len(scores)} scans, median {sorted(scores)[len(scores)//2]}, "
          f"≤20: {sum(s <= 20 for s in scores)}, ≥90: {sum(s >= 90 for s in scores)}")
    for b in range(10):
        lo = b * 10
        print(f"  {lo:>3}–{lo+9 if b < 9 else 100:<3} {buckets[b]:>4} {'#' * buckets[b]}")

def main():
    binary = sys.argv[1]
    corpus = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
        os.path.dirname(__file__), "../../../shared/corpus")
    wf = os.path.join(corpus, "workflows")
    groups = collections.defaultdict(list)
    for f in sorted(os.listdir(wf)):
        if f.endswith((".yml", ".yaml")) and "__" in f:
            groups[f.split("__")[0] + "/" + f.split("__")[1]].append(f)
    scores = []
    for repo, files in sorted(groups.items()):
        with tempfile.TemporaryDirectory() as t:
            d = os.path.join(t, ".github", "workflows")
            os.makedirs(d)
            for f in files:
                shutil.copy(os.path.join(wf, f), os.path.join(d, f.split("__", 2)[2]))
            s, c = scan(binary, t)
        scores.append(s)
        print(f"workflows {repo:<45} {len(files):>3} files  risk {s:>3}  {dict((k, v) for k, v in c.items() if v)}")
    histogram("workflows (one scan per repository)", scores)
    iac = []
    for kind in ("dockerfile", "k8s", "terraform"):
        base = os.path.join(corpus, "iac", kind)
        for repo in sorted(os.listdir(base)):
            s, c = scan(binary, os.path.join(base, repo))
            iac.append(s)
            print(f"iac/{kind} {repo:<45} risk {s:>3}  {dict((k, v) for k, v in c.items() if v)}")
    histogram("IaC (one scan per repository folder)", iac)

main()
