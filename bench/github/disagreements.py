#!/usr/bin/env python3
"""List disagreements between pipeguard and zizmor JSON outputs (as written by compare.sh):
findings of a mapped rule/audit pair that the other tool has no finding for in the same file
within a few lines (the tools anchor at different nodes: step vs `uses:` value, job vs key).
Usage: disagreements.py OUT_DIR [MAX_PER_PAIR]"""
import collections, json, os, sys

out = sys.argv[1]
limit = int(sys.argv[2]) if len(sys.argv) > 2 else 10
pg = json.load(open(os.path.join(out, "pipeguard.json")))
zz = json.load(open(os.path.join(out, "zizmor.json")))
PAIRS = [
    ("github/untrusted-checkout", "dangerous-triggers"),
    ("github/script-injection", "template-injection"),
    ("github/env-file-injection", "github-env"),
    ("github/excessive-permissions", "excessive-permissions"),
    ("github/unpinned-action", "unpinned-uses"),
    ("github/secrets-inherit", "secrets-inherit"),
    ("github/secrets-dump", "overprovisioned-secrets"),
    ("github/persisted-credentials", "artipacked"),
    ("github/self-hosted-untrusted", "self-hosted-runner"),
    ("github/hardcoded-credentials", "hardcoded-container-credentials"),
    ("github/spoofable-actor-check", "bot-conditions"),
    ("github/insecure-commands", "insecure-commands"),
]
P = collections.defaultdict(list)
Z = collections.defaultdict(list)
for f in pg["findings"]:
    P[f["rule_id"]].append((os.path.basename(f["location"]["path"]), f["location"]["start_line"], f["severity"], f["message"]))
for x in zz:
    loc = x["locations"][0]
    path = os.path.basename(loc["symbolic"]["key"]["Local"]["verbatim_path"])
    line = loc["concrete"]["location"]["start_point"]["row"] + 1
    Z[x["ident"]].append((path, line, x["determinations"]["severity"].lower(), loc["symbolic"].get("annotation", "")))

def near(a, pool, tol):
    return any(a[0] == b[0] and abs(a[1] - b[1]) <= tol for b in pool)

for ours, theirs in PAIRS:
    tol = 40 if theirs in ("dangerous-triggers", "excessive-permissions", "secrets-inherit", "unpinned-uses") else 3
    only_p = [a for a in P[ours] if not near(a, Z[theirs], tol)]
    only_z = [b for b in Z[theirs] if not near(b, P[ours], tol)]
    print(f"## {ours} vs {theirs}: only pipeguard {len(only_p)}, only zizmor {len(only_z)}")
    for a in only_p[:limit]:
        print(f"  pipeguard {a[0]}:{a[1]} [{a[2]}] {a[3][:140]}")
    zsev = collections.Counter(b[2] for b in only_z)
    if only_z:
        print(f"  zizmor-only by severity: {dict(zsev)}")
    for b in only_z[:limit]:
        print(f"  zizmor    {b[0]}:{b[1]} [{b[2]}] {b[3][:140]}")
