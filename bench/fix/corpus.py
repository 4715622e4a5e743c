#!/usr/bin/env python3
"""`pipeguard fix --write` on a copy of a tree, judged by a re-scan and by actionlint.

usage: bench/fix/corpus.py PIPEGUARD_BIN TREE [--actionlint BIN] [--hadolint BIN]

Copies TREE to a temporary directory, records pipeguard's findings (pedantic, JSON) and
actionlint's errors, runs `fix --write`, and records both again. Prints: files examined and
changed, repairs applied per rule, whether every changed file still parses (no parse-error
finding, actionlint reports no syntax error), actionlint errors that are new after the fix
(compared per file as a multiset of (kind, message) so that moved lines do not count), and the
fixed findings still present (rule+fingerprint before vs after).
"""
import argparse, collections, json, os, re, shutil, subprocess, sys, tempfile

def scan(bin_, root):
    p = subprocess.run([bin_, "scan", root, "--persona", "pedantic", "--format", "json",
                        "--only", "github,docker", "--fail-on", "never"],
                       capture_output=True, text=True)
    return json.loads(p.stdout)["findings"]

def actionlint(bin_, root):
    files = []
    for d, _, fs in os.walk(root):
        if "/.github/workflows" in d + "/" or d.endswith(".github/workflows"):
            files += [os.path.join(d, f) for f in fs if f.endswith((".yml", ".yaml"))]
    out = collections.defaultdict(collections.Counter)
    # shellcheck and pyflakes are left out: their verdicts on scripts are not about the YAML.
    for i in range(0, len(files), 50):
        p = subprocess.run([bin_, "-format", "{{json .}}", "-shellcheck=", "-pyflakes="] + files[i:i+50],
                           capture_output=True, text=True)
        for e in json.loads(p.stdout or "[]"):
            rel = os.path.relpath(e["filepath"], root)
            # Line/column numbers inside messages move with the edits.
            msg = re.sub(r"line \d+|col(umn)? \d+|:\d+:\d+", "#", e["message"])
            out[rel][(e["kind"], msg)] += 1
    return out

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bin"); ap.add_argument("tree")
    ap.add_argument("--actionlint", default=shutil.which("actionlint"))
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="pg-fix-")
    root = os.path.join(tmp, "tree")
    shutil.copytree(a.tree, root, symlinks=True)
    before = scan(a.bin, root)
    al_before = actionlint(a.actionlint, root) if a.actionlint else {}
    p = subprocess.run([a.bin, "fix", root, "--write"], capture_output=True, text=True)
    if p.returncode != 0:
        print(p.stderr); sys.exit(1)
    log = p.stderr.splitlines()
    applied = [l for l in log if ": not repaired: " not in l and not l.startswith("pipeguard fix:")]
    skipped = [l for l in log if ": not repaired: " in l]
    after = scan(a.bin, root)
    al_after = actionlint(a.actionlint, root) if a.actionlint else {}
    per_rule = collections.Counter(l.split(": ")[1] for l in applied)
    changed = sorted({l.split(":")[0] for l in applied})
    parse_errors = [f for f in after if f["rule_id"].endswith("/parse-error")]
    parse_before = [f for f in before if f["rule_id"].endswith("/parse-error")]
    new_al = []
    syntax_after = 0
    for rel, c in al_after.items():
        extra = c - al_before.get(rel, collections.Counter())
        for (kind, msg), n in extra.items():
            new_al.append((rel, kind, msg, n))
        syntax_after += sum(n for (k, _), n in c.items() if k == "syntax-check")
    syntax_before = sum(n for c in al_before.values() for (k, _), n in c.items() if k == "syntax-check")
    bkeys = collections.Counter((f["rule_id"]) for f in before)
    akeys = collections.Counter((f["rule_id"]) for f in after)
    fixed_rules = set(per_rule)
    print(f"tree: {a.tree}")
    print(f"{log[-1]}")
    print(f"files changed: {len(changed)}; repairs per rule: {dict(sorted(per_rule.items()))}")
    print(f"not repaired (listed with a reason): {len(skipped)}")
    print(f"parse errors (pipeguard): before {len(parse_before)}, after {len(parse_errors)}")
    print(f"actionlint syntax-check errors: before {syntax_before}, after {syntax_after}")
    print(f"actionlint errors new after the fix: {sum(n for *_, n in new_al)}")
    for rel, kind, msg, n in new_al[:20]:
        print(f"  NEW {rel}: [{kind}] {msg} x{n}")
    for r in sorted(fixed_rules):
        print(f"findings of {r}: before {bkeys[r]}, after {akeys[r]} (repaired {per_rule[r]} repairs)")
    new_rules = {r: akeys[r] - bkeys[r] for r in akeys if akeys[r] > bkeys[r]}
    print(f"rules reported more often after the fix: {new_rules or 'none'}")
    shutil.rmtree(tmp)

main()
