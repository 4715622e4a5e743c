#!/usr/bin/env python3
"""Merge per-repository checkov runs (DIR/<repo>.json and DIR/<repo>.time from GNU time
'%U %S %M' or '%e %U %S %M') into one report whose file paths are relative to the parent
directory (`/<repo>/path.tf`), and one time file: CPU times summed, max RSS the largest.
A repository whose run did not finish (no JSON) is listed on stderr and left out.

Usage: merge_checkov.py DIR OUT.json OUT.time
"""

import json
import os
import sys


def main():
    src, out_json, out_time = sys.argv[1:4]
    reports, user, system, rss = [], 0.0, 0.0, 0
    for name in sorted(os.listdir(src)):
        if not name.endswith(".json"):
            continue
        repo = name[: -len(".json")]
        try:
            with open(os.path.join(src, name)) as f:
                text = f.read().strip()
            data = json.loads(text) if text else None
        except ValueError:
            data = None
        if data is None:
            print(f"checkov did not finish on {repo}: left out", file=sys.stderr)
            continue
        for rep in data if isinstance(data, list) else [data]:
            for key in ("failed_checks", "passed_checks", "skipped_checks"):
                for c in rep.get("results", {}).get(key, []):
                    c["file_path"] = f"/{repo}/" + (c.get("file_path") or "").lstrip("/")
            reports.append(rep)
        with open(os.path.join(src, repo + ".time")) as f:
            fields = f.read().strip().splitlines()[-1].split()
        u, s_, m = (fields[-3], fields[-2], fields[-1])
        user, system, rss = user + float(u), system + float(s_), max(rss, int(m))
    with open(out_json, "w") as f:
        json.dump(reports, f)
    with open(out_time, "w") as f:
        f.write(f"{user:.2f} {system:.2f} {rss}\n")


if __name__ == "__main__":
    main()
