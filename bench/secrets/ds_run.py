"""Run detect-secrets over the corpus (optionally a deterministic 1-in-N sample of the files
plus every file with a plant or decoy, since it is much slower), in chunks; record CPU time
and peak RSS of the children like /usr/bin/time does."""
import json
import os
import resource
import subprocess
import sys
import time

bin_, corpus, meta, sample, out = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
files = []
for dirpath, dirnames, names in os.walk(corpus):
    dirnames.sort()
    for n in sorted(names):
        files.append(os.path.relpath(os.path.join(dirpath, n), corpus))
marked = {p["path"] for p in json.load(open(os.path.join(meta, "planted.json")))}
marked |= {d["path"] for d in json.load(open(os.path.join(meta, "decoys.json")))}
chosen = [f for i, f in enumerate(files) if sample <= 1 or i % sample == 0 or f in marked]
size = sum(os.path.getsize(os.path.join(corpus, f)) for f in chosen)
results = {}
t0 = time.time()
for i in range(0, len(chosen), 2000):
    p = subprocess.run([bin_, "scan", "--all-files", *chosen[i:i + 2000]], cwd=corpus,
                       capture_output=True, text=True)
    if p.returncode != 0:
        sys.stderr.write(p.stderr[-2000:])
        continue
    results.update(json.loads(p.stdout).get("results", {}))
wall = time.time() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
json.dump({"results": results}, open(out, "w"))
with open(out + ".time", "w") as f:
    f.write(f"{wall:.2f} {ru.ru_utime:.2f} {ru.ru_stime:.2f} {ru.ru_maxrss}\n{size}\n")
