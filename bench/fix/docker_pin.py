#!/usr/bin/env python3
"""`pipeguard fix --online` digest pins on real Dockerfiles, against a loopback registry.

usage: bench/fix/docker_pin.py PIPEGUARD_BIN TREE

The real registries are not reachable here, so the tree is copied and every literal base image
`[REGISTRY/]REPO[:TAG]` of a `FROM` is rewritten to `127.0.0.1:PORT/REGISTRY/REPO[:TAG]` (the
original registry becomes the first path component; `scratch`, stage names and references
with `$` are left as written). Debian's docker-registry serves, on a free loopback port, one small
OCI image copied with skopeo under every rewritten reference. Then `fix --online --write` runs,
and the docker pin findings (docker/base-not-digest, docker/unpinned-base) are counted before
and after, with the FROM lines changed and the parse errors (docker/parse-error) before/after.
What this measures: that every pinnable FROM of real files is pinned, the edit parses and the
re-scan confirms it; not what the real registries would answer.
"""
import collections, json, os, re, shutil, socket, subprocess, sys, tempfile, time

FROM = re.compile(r"^(\s*FROM\s+(?:--\S+\s+)*)(\S+)(.*)$", re.I)

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def counts(bin_, root):
    p = subprocess.run([bin_, "scan", root, "--persona", "pedantic", "--format", "json",
                        "--only", "docker", "--fail-on", "never"], capture_output=True, text=True)
    c = collections.Counter(f["rule_id"] for f in json.loads(p.stdout)["findings"])
    return {k: c[k] for k in ("docker/base-not-digest", "docker/unpinned-base", "docker/parse-error")}

def rewrite(ref, host):
    name, tag = ref, None
    last = ref.rsplit("/", 1)[-1]
    if ":" in last:
        name, tag = ref[: ref.rfind(":")], last.split(":", 1)[1]
    first = name.split("/", 1)[0]
    if "/" in name and ("." in first or ":" in first or first == "localhost"):
        reg, repo = first, name.split("/", 1)[1]
    else:
        reg, repo = "docker.io", name if "/" in name else "library/" + name
    reg = reg.replace(":", "-")
    new = f"{host}/{reg}/{repo}".lower()
    return new + (f":{tag}" if tag else ""), (new, tag or "latest")

def main():
    bin_, tree = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp(prefix="pg-dockerpin-")
    root = os.path.join(tmp, "tree")
    shutil.copytree(tree, root, symlinks=True)
    port = free_port(); host = f"127.0.0.1:{port}"
    os.makedirs(f"{tmp}/storage")
    open(f"{tmp}/config.yml", "w").write(
        f"version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {tmp}/storage\nhttp:\n  addr: {host}\n")
    reg = subprocess.Popen(["docker-registry", "serve", f"{tmp}/config.yml"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close(); break
            except OSError:
                time.sleep(0.1)
        refs, froms, rewritten = set(), 0, 0
        for d, _, fs in os.walk(root):
            for f in fs:
                if not re.match(r"(?i)(dockerfile|containerfile)|.*\.dockerfile$", f):
                    continue
                p = os.path.join(d, f)
                lines = open(p, encoding="utf-8", errors="surrogateescape").read().split("\n")
                stages = set()
                for i, l in enumerate(lines):
                    m = FROM.match(l)
                    if not m:
                        continue
                    froms += 1
                    ref, rest = m.group(2), m.group(3)
                    a = re.search(r"(?i)\sAS\s+(\S+)", rest)
                    if not ("$" in ref or ref.lower() == "scratch" or ref.lower() in stages or "@" in ref):
                        new, pushed = rewrite(ref, host)
                        lines[i] = m.group(1) + new + rest
                        refs.add(pushed); rewritten += 1
                    if a:
                        stages.add(a.group(1).lower())
                open(p, "w", encoding="utf-8", errors="surrogateescape").write("\n".join(lines))
        # One small image, copied under every reference.
        lay = f"{tmp}/layout"
        os.makedirs(f"{lay}/blobs/sha256")
        import hashlib
        def blob(b):
            h = hashlib.sha256(b).hexdigest(); open(f"{lay}/blobs/sha256/{h}", "wb").write(b); return "sha256:" + h
        layer = subprocess.run(["tar", "--owner=0", "--group=0", "--mtime=@0", "-cf", "-", "-C", tmp, "config.yml"],
                               capture_output=True).stdout
        ld = blob(layer)
        cfg = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": [ld]}}).encode()
        man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                          "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": blob(cfg), "size": len(cfg)},
                          "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": ld, "size": len(layer)}]}).encode()
        md = blob(man)
        json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                   "digest": md, "size": len(man), "annotations": {"org.opencontainers.image.ref.name": "x"}}]},
                  open(f"{lay}/index.json", "w"))
        open(f"{lay}/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
        open(f"{tmp}/policy.json", "w").write('{"default":[{"type":"insecureAcceptAnything"}]}')
        for name, tag in sorted(refs):
            subprocess.run(["skopeo", "copy", "--quiet", "--policy", f"{tmp}/policy.json", "--dest-tls-verify=false",
                            "--preserve-digests", f"oci:{lay}:x", f"docker://{name}:{tag}"],
                           check=True, env={**os.environ, "HOME": tmp})
        before = counts(bin_, root)
        t = time.time()
        p = subprocess.run([bin_, "fix", root, "--online", "--write", "--insecure-registry", host,
                            "--github-api-url", "http://127.0.0.1:9", "--online-cache", f"{tmp}/cache"],
                           capture_output=True, text=True, env={**os.environ, "DOCKER_CONFIG": f"{tmp}/docker"})
        secs = time.time() - t
        after = counts(bin_, root)
        pins = collections.Counter()
        for l in p.stderr.splitlines():
            m = re.match(r"^[^:]+:\d+: (docker/[a-z-]+): (pin|not repaired: )", l)
            if m:
                pins[(m.group(1), "repaired" if m.group(2) == "pin" else "listed")] += 1
        pinned_lines = sum(1 for d, _, fs in os.walk(root) for f in fs
                           if re.match(r"(?i)(dockerfile|containerfile)|.*\.dockerfile$", f)
                           for l in open(os.path.join(d, f), errors="replace") if FROM.match(l) and "@sha256:" in l)
        print(json.dumps({"FROM lines": froms, "rewritten to loopback": rewritten, "distinct references pushed": len(refs),
                          "fix exit": p.returncode, "fix seconds": round(secs, 2),
                          "pin repairs/listings (stderr)": {f"{k[0]} {k[1]}": v for k, v in sorted(pins.items())},
                          "FROM lines with a digest after": pinned_lines,
                          "before": before, "after": after,
                          "summary": [l for l in p.stderr.splitlines() if l.startswith("pipeguard")]}, indent=1))
    finally:
        reg.kill(); reg.wait()
        shutil.rmtree(tmp, ignore_errors=True)

main()
