"""Score each tool's report against the planted credentials and the decoys."""
import json
import os
import sys
from collections import defaultdict


def load(tool, path, root):
    """(path, line) of every finding, paths relative to the scanned root."""
    out = []
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return None
    data = json.load(open(path))
    norm = lambda p: os.path.relpath(os.path.join(root, p) if not os.path.isabs(p) else p, root)
    if tool == "pipeguard":
        for f in data["findings"]:
            out.append((f["location"]["path"], f["location"]["start_line"], f["location"]["end_line"]))
    elif tool.startswith("gitleaks"):
        for f in data or []:
            p = f["File"]
            p = os.path.relpath(p, root) if os.path.isabs(p) else (p[len(root) + 1:] if p.startswith(root + "/") else p)
            out.append((p, f["StartLine"], f.get("EndLine", f["StartLine"])))
    elif tool == "detect-secrets":
        for p, items in data.get("results", {}).items():
            for it in items:
                out.append((p.lstrip("./") if p.startswith("./") else p, it["line_number"], it["line_number"]))
    return out


def score(findings, planted, decoys):
    by_path = defaultdict(list)
    for p, s, e in findings:
        by_path[p].append((s, e))
    hit = lambda p, a, b: any(s <= b and e >= a for s, e in by_path.get(p, []))
    found = [x for x in planted if hit(x["path"], x["line"], x["end_line"])]
    decoy_hits = [d for d in decoys if hit(d["path"], d["line"], d["line"])]
    planted_lines = {(x["path"], l) for x in planted for l in range(x["line"], x["end_line"] + 1)}
    decoy_lines = {(d["path"], d["line"]) for d in decoys}
    other = [f for f in findings if not any((f[0], l) in planted_lines or (f[0], l) in decoy_lines for l in range(f[1], f[2] + 1))]
    missed = defaultdict(int)
    for x in planted:
        if x not in found:
            missed[x["kind"]] += 1
    return len(found), len(decoy_hits), len(other), dict(missed)


if __name__ == "__main__":
    meta, root, planted_file = sys.argv[1], sys.argv[2], sys.argv[3]
    planted = json.load(open(os.path.join(meta, planted_file)))
    decoys = json.load(open(os.path.join(meta, "decoys.json"))) if planted_file == "planted.json" else []
    rows = []
    for tool, report in [a.split("=", 1) for a in sys.argv[4:]]:
        f = load(tool, report, root)
        if f is None:
            rows.append((tool, None))
            continue
        rows.append((tool, score(f, planted, decoys)))
    for tool, s in rows:
        if s is None:
            print(f"{tool}: no report")
            continue
        found, dec, other, missed = s
        print(f"{tool}: recall {found}/{len(planted)} = {100 * found / len(planted):.1f}%  "
              f"decoy findings {dec}/{len(decoys)}  other findings {other}"
              + (f"  missed: {missed}" if missed else ""))
