"""Build a git repository with thousands of commits from real source text (git fast-import):
each commit appends real lines to 1-3 files; some commits plant a fake credential that a later
commit removes. Records the plants (path, line in the introducing version) in history.json."""
import json
import os
import random
import subprocess
import sys

from fakes import Fakes


def main(corpus, repo, meta, commits):
    r = random.Random(11)
    # Source text only: files of the tree corpus that carry plants or decoys are left out.
    marked = set()
    for f in ("planted.json", "decoys.json"):
        path = os.path.join(meta, f)
        if os.path.exists(path):
            marked |= {os.path.join(corpus, x["path"]) for x in json.load(open(path))}
    pool = []
    for dirpath, _, names in os.walk(corpus):
        for n in sorted(names):
            if n.endswith((".py", ".rs")) and os.path.join(dirpath, n) not in marked:
                pool.append(os.path.join(dirpath, n))
        if len(pool) > 4000:
            break
    pool = sorted(pool)[:4000]
    r.shuffle(pool)
    sources = [open(p, encoding="utf-8", errors="replace").read().split("\n") for p in pool[:600]]
    files = {}  # path -> lines
    cursor = {}
    names = [f"pkg{i % 20}/mod_{i}.{'py' if i % 3 else 'rs'}" for i in range(len(sources))]
    plants, live = [], {}
    kinds = list(Fakes(0).kinds().items())
    os.makedirs(repo, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", repo], check=True)
    fi = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=repo, stdin=subprocess.PIPE)
    w = fi.stdin.write
    mark = 0
    ts = 1_600_000_000
    for c in range(commits):
        changed = []
        for _ in range(r.randint(1, 3)):
            i = r.randrange(len(sources))
            name = names[i]
            lines = files.setdefault(name, [])
            pos = cursor.get(i, 0)
            chunk = sources[i][pos:pos + r.randint(5, 40)] or [f"# line {c}"]
            cursor[i] = pos + len(chunk)
            lines.extend(chunk)
            changed.append(name)
        if c > 50 and c % 60 == 0:
            kind, (tpl, _) = kinds[len(plants) % len(kinds)]
            _, value = Fakes(1000 + len(plants)).kinds()[kind]
            name = r.choice(sorted(set(files) - set(live)))
            lines = files[name]
            at = r.randint(0, len(lines))
            new = tpl.replace("{v}", value).split("\n")
            lines[at:at] = new
            plants.append({"kind": kind, "path": name, "line": at + 1, "end_line": at + len(new), "commit": c, "value": value})
            live[name] = (new[0], len(new), c)
            changed.append(name)
        for name, (first, n, since) in list(live.items()):
            if c - since == 25:
                at = files[name].index(first)
                del files[name][at:at + n]
                del live[name]
                changed.append(name)
        ts += 600
        msg = f"change {c}".encode()
        blobs = []
        for name in sorted(set(changed)):
            mark += 1
            data = "\n".join(files[name]).encode("utf-8", "replace")
            w(b"blob\nmark :%d\ndata %d\n" % (mark, len(data)) + data + b"\n")
            blobs.append((mark, name))
        w(b"commit refs/heads/main\n")
        w(b"author Bench <bench@example.com> %d +0000\ncommitter Bench <bench@example.com> %d +0000\n" % (ts, ts))
        w(b"data %d\n" % len(msg) + msg + b"\n")
        for m, name in blobs:
            w(b"M 100644 :%d %s\n" % (m, name.encode()))
        w(b"\n")
    fi.stdin.close()
    fi.wait()
    subprocess.run(["git", "checkout", "-q", "main"], cwd=repo, check=True)
    os.makedirs(meta, exist_ok=True)
    json.dump(plants, open(os.path.join(meta, "history.json"), "w"), indent=1)
    print(f"history repo: {commits} commits, {len(files)} files, {len(plants)} planted secrets "
          f"({len(set(p['kind'] for p in plants))} kinds), all removed again")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
