"""Generate a long git history (git fast-import) with realistic churn and planted credentials in
the forms issue 22 names, for bench/secrets/history.sh.

    python3 make_big_history.py REPO META COMMITS [SEED]

Content: real source text read from what is installed (Python standard library, cargo registry
sources). Churn per commit: 1-3 files edited (lines inserted from their source, ranges deleted or
replaced), new files now and then, renames, deletions, copies; a side branch of a few commits is
merged into main every 250 commits (a few stay unmerged), a tag every 1,000.

Plants (META/plants.json: kind, form, path, commit, lines, and the underlying secret values):
one every max(20, COMMITS // 250) commits, cycling through FORMS below, each removed again 10-60
commits later except one in five, which stays in HEAD. Forms: the provider tokens of fakes.py
in assignments; base64 / base64url / nested base64 / hex / percent-encoded keys and tokens; PEM
keys split across string literals (Python, Go, Java, JavaScript) and PEM with \\n escapes in JSON;
HTTP credentials (curl -u/--user/-H Authorization, wget, httpie, .netrc, .npmrc _auth/_password,
docker config.json auths, .git-credentials, .pypirc, URLs with user:password); archives (.zip,
.tar.gz, .jar, and a zip inside a tar.gz) holding keys; a file holding a key copied to a second
path. Decoys (META/decoys.json): placeholders and references in the same forms.
Every value is random at run time (seeded): none is a real credential.
"""
import base64
import glob
import io
import json
import os
import random
import string
import subprocess
import sys
import tarfile
import urllib.parse
import zipfile

from fakes import ALNUM, B64, Fakes

HOME = os.path.expanduser("~")


def source_pool(r, want=2500):
    roots = sorted(glob.glob(f"{HOME}/.pyenv/versions/3.12*/lib/python3.12"))[:1] + \
        sorted(glob.glob(f"{HOME}/.cargo/registry/src/*"))[:1] + ["/usr/lib/python3"]
    files = []
    for root in roots:
        for dirpath, dirnames, names in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d not in ("__pycache__", "test", "tests", ".git"))
            for n in sorted(names):
                if n.endswith((".py", ".rs", ".toml", ".md", ".yml", ".yaml", ".js", ".go", ".java", ".c")):
                    p = os.path.join(dirpath, n)
                    try:
                        if 2_000 < os.path.getsize(p) < 60_000:
                            files.append(p)
                    except OSError:
                        pass
    r.shuffle(files)
    pool = []
    for p in files:
        try:
            text = open(p, encoding="utf-8").read()
        except (OSError, UnicodeDecodeError):
            continue
        low = text.lower()
        # Source text that already looks like it holds credentials would blur the plants.
        if any(w in low for w in ("private key-----", "password", "secret", "token", "api_key", "apikey")):
            continue
        pool.append((os.path.basename(p), text.split("\n")))
        if len(pool) >= want:
            break
    return pool


def b64(s):
    return base64.b64encode(s.encode()).decode()


class Plants:
    """The planted forms: name -> fn(fakes, rng) -> (file name or None for 'any source file',
    lines or bytes, [underlying secret values])."""

    def __init__(self):
        self.forms = [(k, getattr(self, k)) for k in sorted(dir(self)) if k.startswith("f_")]

    # -- provider tokens in assignments (the 36 kinds of fakes.py, one form each) --------------
    @staticmethod
    def provider(kind):
        def f(fk, r):
            tpl, value = fk.kinds()[kind]
            return None, tpl.replace("{v}", value).split("\n"), [value]
        return f

    # -- encoded ------------------------------------------------------------------------------
    @staticmethod
    def ec_pem(fk):
        body = fk.s(B64, 64) + "\n" + fk.s(B64, 64) + "\n" + fk.s(B64, 36)
        return "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI" + body[9:] + "\n-----END EC PRIVATE KEY-----\n"

    def f_b64_ec_key_compose(self, fk, r):
        pem = self.ec_pem(fk)
        return "docker-compose.yml", ["services:", "  api:", "    image: registry.internal/api:1.4", "    environment:",
                                      f"      JWT_SIGNING_KEY_B64: {b64(pem)}", "      LOG_LEVEL: info"], [pem]

    def f_b64_pem_env(self, fk, r):
        pem = fk.pem()
        return ".env.production", ["NODE_ENV=production", f"TLS_KEY={b64(pem)}", "PORT=8080"], [pem]

    def f_b64_github_token(self, fk, r):
        t = fk.gh("ghp_")
        return None, [f'DEPLOY_TOKEN_B64 = "{b64(t)}"'], [t]

    def f_b64url_slack_token(self, fk, r):
        t = fk.kinds()["slack-bot-token"][1]
        return None, [f'encoded = "{base64.urlsafe_b64encode(t.encode()).decode().rstrip("=")}"  # slack bot'], [t]

    def f_b64_nested_stripe(self, fk, r):
        t = fk.kinds()["stripe-live-key"][1]
        return None, [f'payload = "{b64(b64(t))}"'], [t]

    def f_b64_aws_pair_k8s(self, fk, r):
        kid, sec = fk.kinds()["aws-access-key-id"][1], fk.kinds()["aws-secret-access-key"][1]
        return "k8s/aws-credentials.yaml", ["apiVersion: v1", "kind: Secret", "metadata:", "  name: aws-creds", "type: Opaque",
                                            "data:", f"  AWS_ACCESS_KEY_ID: {b64(kid)}", f"  AWS_SECRET_ACCESS_KEY: {b64(sec)}"], [kid, sec]

    def f_hex_github_token(self, fk, r):
        t = fk.gh("ghp_")
        return None, [f'token_hex = "{t.encode().hex()}"'], [t]

    def f_hex_pem(self, fk, r):
        pem = self.ec_pem(fk)
        return None, [f'KEY_HEX = "{pem.encode().hex()}"'], [pem]

    def f_pct_pem_form_body(self, fk, r):
        pem = fk.pem()
        return "scripts/upload.sh", ["#!/bin/sh", f"curl -s -X POST https://vault.internal/v1/import -d 'key={urllib.parse.quote(pem, safe='')}'"], [pem]

    def f_pct_password_url(self, fk, r):
        pw = fk.s(ALNUM, 10) + "@" + fk.s(ALNUM, 4) + "!" + fk.s(ALNUM, 5)
        return None, [f'BROKER_URL = "amqp://svc:{urllib.parse.quote(pw, safe="")}@mq.internal:5672/prod"'], [pw]

    def f_pct_token_query(self, fk, r):
        t = fk.kinds()["sendgrid-key"][1]
        return None, [f'WEBHOOK = "https://hooks.internal/notify?key={urllib.parse.quote(t, safe="")}&src=ci"'], [t]

    # -- PEM split across string literals ------------------------------------------------------
    @staticmethod
    def pem_lines(fk):
        pem = fk.pem()
        return pem, pem.split("\n")

    def f_pem_python_concat(self, fk, r):
        pem, ls = self.pem_lines(fk)
        return "tests/keys_fixture.py", ["SIGNING_KEY = ("] + [f'    "{x}\\n"' for x in ls] + [")"], [pem]

    def f_pem_go_concat(self, fk, r):
        pem, ls = self.pem_lines(fk)
        body = [f'\t"{x}\\n" +' for x in ls]
        body[-1] = body[-1][:-2]
        return "internal/auth/key.go", ["package auth", "", "const privateKey = "] + body, [pem]

    def f_pem_java_concat(self, fk, r):
        pem, ls = self.pem_lines(fk)
        body = [f'        + "{x}\\n"' for x in ls[1:]]
        return "src/main/java/com/acme/Keys.java", ["package com.acme;", "", "public final class Keys {",
                                                    f'    static final String PRIVATE_KEY = "{ls[0]}\\n"'] + body[:-1] + [body[-1] + ";", "}"], [pem]

    def f_pem_js_join(self, fk, r):
        pem, ls = self.pem_lines(fk)
        return "web/src/keys.js", ["export const key = ["] + [f"  '{x}'," for x in ls] + ["].join('\\n');"], [pem]

    def f_pem_json_escaped(self, fk, r):
        pem = fk.pem()
        return "config/signing.json", ["{", '  "kid": "2024-01",', '  "private_key": ' + json.dumps(pem + "\n"), "}"], [pem]

    # -- HTTP credential forms -----------------------------------------------------------------
    @staticmethod
    def pw(fk):
        return fk.s(ALNUM, 9) + fk.r.choice("!#%^*") + fk.s(ALNUM, 6)

    def f_http_curl_u(self, fk, r):
        p = self.pw(fk)
        return "scripts/deploy.sh", ["#!/bin/sh", "set -e", f"curl -fsS -u deploy:{p} https://artifacts.internal/upload -T build.tgz"], [p]

    def f_http_curl_user_quoted(self, fk, r):
        p = self.pw(fk)
        return "Makefile", ["publish:", f'\tcurl --silent --user "ci-bot:{p}" -X PUT https://nexus.internal/repository/raw/app.tgz'], [p]

    def f_http_curl_header_basic(self, fk, r):
        p = self.pw(fk)
        return ".github/workflows/release.yml", ["name: release", "on: push", "jobs:", "  up:", "    runs-on: ubuntu-latest", "    steps:",
                                                 f"      - run: curl -H \"Authorization: Basic {b64('release:' + p)}\" https://dl.internal/api/upload"], [p]

    def f_http_curl_header_bearer(self, fk, r):
        t = fk.s(ALNUM + "-_", 40)
        return "scripts/sync.sh", ["#!/usr/bin/env bash", f"curl --header 'Authorization: Bearer {t}' https://api.internal/v2/sync"], [t]

    def f_http_wget(self, fk, r):
        p = self.pw(fk)
        return "scripts/fetch.sh", ["#!/bin/sh", f"wget --http-user=mirror --http-password='{p}' https://mirror.internal/dist.tar.gz"], [p]

    def f_http_httpie(self, fk, r):
        p = self.pw(fk)
        return "docs/api.md", ["# API", "", "```", f"http -a admin:{p} POST https://api.internal/v1/jobs", "```"], [p]

    def f_http_netrc(self, fk, r):
        p = self.pw(fk)
        return ".netrc", ["machine git.internal", "  login builder", f"  password {p}"], [p]

    def f_http_netrc_oneline(self, fk, r):
        t = fk.gh("ghp_")[4:] + fk.s(ALNUM, 4)
        return "ci/netrc", [f"machine api.internal login ci password {t}"], [t]

    def f_http_npmrc_auth(self, fk, r):
        p = self.pw(fk)
        return ".npmrc", ["registry=https://npm.internal/", f"_auth={b64('ci:' + p)}", "always-auth=true"], [p]

    def f_http_npmrc_password(self, fk, r):
        p = self.pw(fk)
        return "packages/web/.npmrc", ["//npm.internal/repository/npm/:username=ci",
                                       f"//npm.internal/repository/npm/:_password={b64(p)}"], [p]

    def f_http_docker_auths(self, fk, r):
        p = self.pw(fk)
        cfg = {"auths": {"registry.internal:5000": {"auth": b64("robot$ci:" + p)}}}
        return ".docker/config.json", json.dumps(cfg, indent=2).split("\n"), [p]

    def f_http_git_credentials(self, fk, r):
        t = fk.gh("ghp_")
        return ".git-credentials", [f"https://x-access-token:{t}@github.com"], [t]

    def f_http_pypirc(self, fk, r):
        p = self.pw(fk)
        return ".pypirc", ["[distutils]", "index-servers = internal", "", "[internal]", "repository = https://pypi.internal/",
                           "username = uploader", f"password = {p}"], [p]

    def f_http_url_userinfo(self, fk, r):
        p = self.pw(fk)
        return None, [f'MIRROR = "https://builder:{p}@packages.internal/simple"'], [p]

    def f_http_python_requests(self, fk, r):
        t = fk.s(ALNUM, 32)
        return None, [f'resp = requests.get(url, headers={{"Authorization": "Token {t}"}})'], [t]

    # -- archives (bytes) ----------------------------------------------------------------------
    def f_zip_env(self, fk, r):
        kid, sec = fk.kinds()["aws-access-key-id"][1], fk.kinds()["aws-secret-access-key"][1]
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("deploy/README.txt", "deploy bundle\n")
            z.writestr("deploy/.env", f"AWS_ACCESS_KEY_ID={kid}\nAWS_SECRET_ACCESS_KEY={sec}\n")
        return "dist/deploy-bundle.zip", buf.getvalue(), [kid, sec]

    def f_targz_pem(self, fk, r):
        pem = fk.pem()
        return "backup/ssh-keys.tar.gz", targz({"home/ci/.ssh/id_rsa": pem + "\n", "home/ci/.ssh/config": "Host *\n"}), [pem]

    def f_jar_properties(self, fk, r):
        t = fk.kinds()["stripe-live-key"][1]
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
            z.writestr("application.properties", f"server.port=8080\nstripe.api-key={t}\n")
        return "lib/payments-1.2.jar", buf.getvalue(), [t]

    def f_zip_in_targz(self, fk, r):
        t = fk.gh("ghp_")
        inner = io.BytesIO()
        with zipfile.ZipFile(inner, "w") as z:
            z.writestr("settings.ini", f"[github]\ntoken = {t}\n")
        return "vendor-drop/release.tar.gz", targz({"release/config.zip": inner.getvalue()}), [t]

    # -- the same blob at a second path --------------------------------------------------------
    def f_copied_file(self, fk, r):
        t = fk.kinds()["gitlab-pat"][1]
        return "COPY", [f'GITLAB_TOKEN = "{t}"'], [t]


def targz(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        for name, data in sorted(entries.items()):
            b = data.encode() if isinstance(data, str) else data
            info = tarfile.TarInfo(name)
            info.size = len(b)
            info.mtime = 1_600_000_000
            t.addfile(info, io.BytesIO(b))
    return buf.getvalue()


DECOYS = [
    ("scripts/ci.sh", ['curl -u "$DEPLOY_USER:$DEPLOY_TOKEN" https://artifacts.internal/upload']),
    ("scripts/ci2.sh", ['curl -H "Authorization: Bearer ${API_TOKEN}" https://api.internal']),
    (".npmrc.example", ["_auth=${NPM_AUTH}", "//npm.internal/:_authToken=${NPM_TOKEN}"]),
    ("docs/docker.md", ['    {"auths": {"registry.internal": {"auth": ""}}}']),
    (None, ['password = "changeme"']),
    (None, ['encoded_greeting = "aGVsbG8gd29ybGQsIHRoaXMgaXMgbm90IGEga2V5"']),
    (None, ['EXAMPLE_KEY_B64 = "QUtJQUlPU0ZPRE5ON0VYQU1QTEU="']),
    (".netrc.example", ["machine example.com login <user> password <password>"]),
    (None, ['checksum = "' + "0123456789abcdef" * 4 + '"']),
    ("tests/test_auth.py", ['KEY = "-----BEGIN RSA PRIVATE KEY-----\\n" "...\\n" "-----END RSA PRIVATE KEY-----\\n"']),
]


def main(repo, meta, commits, seed=17):
    r = random.Random(seed)
    pool = source_pool(r)
    plants_impl = Plants()
    forms = [(f"provider-{k}", Plants.provider(k)) for k in Fakes(0).kinds()] + plants_impl.forms
    files = {}    # path -> list of lines, or bytes for archives
    origin = {}   # path -> (pool index, cursor)
    marks = {}    # path -> blob mark of its current version
    dirs = [f"{a}/{b}" for a in ("services/api", "services/worker", "libs/core", "libs/util", "tools", "web", "infra")
            for b in ("src", "lib", "tests", "config")]
    subprocess.run(["git", "init", "-q", "-b", "main", repo], check=True)
    fi = subprocess.Popen(["git", "fast-import", "--quiet", "--depth=50"], cwd=repo, stdin=subprocess.PIPE)
    w = fi.stdin.write
    mark = [0]
    ts = [1_500_000_000]
    plants, decoys, live = [], [], []   # live: (remove_at, path, lines or None for whole file)
    every = max(20, commits // 250)
    tips = {}

    def text_paths():
        return [p for p in files if isinstance(files[p], list)]

    def blob(data):
        mark[0] += 1
        if isinstance(data, list):
            data = "\n".join(data).encode("utf-8", "replace")
        w(b"blob\nmark :%d\ndata %d\n" % (mark[0], len(data)) + data + b"\n")
        return mark[0]

    def new_path(name):
        while True:
            p = f"{r.choice(dirs)}/{name}"
            if p not in files:
                return p
            name = f"{r.randint(2, 99)}_{name}"

    def add_file(changed):
        i = r.randrange(len(pool))
        name, src = pool[i]
        p = new_path(name)
        n = r.randint(20, 120)
        files[p] = src[:n]
        origin[p] = (i, n)
        changed.add(p)

    def edit(p, changed):
        lines = files[p]
        if isinstance(lines, bytes):
            return
        i, cur = origin.get(p, (r.randrange(len(pool)), 0))
        src = pool[i][1]
        op = r.random()
        if op < 0.5 or len(lines) < 30:
            chunk = src[cur:cur + r.randint(3, 30)] or pool[r.randrange(len(pool))][1][:10]
            at = r.randint(0, len(lines))
            lines[at:at] = chunk
            origin[p] = (i, cur + len(chunk))
        elif op < 0.8:
            at = r.randrange(len(lines))
            del lines[at:at + r.randint(1, 12)]
        else:
            at = r.randrange(len(lines))
            other = pool[r.randrange(len(pool))][1]
            k = r.randrange(max(1, len(other) - 10))
            lines[at:at + r.randint(1, 6)] = other[k:k + r.randint(1, 6)]
        if len(lines) > 700:
            at = r.randrange(len(lines) - 200)
            del lines[at:at + 150]
        changed.add(p)

    def commit(ref, changed, deleted, msg, parents):
        ts[0] += r.randint(60, 20_000)
        for p in sorted(changed):
            if p in files:
                marks[p] = blob(files[p])
        mark[0] += 1
        cm = mark[0]
        w(b"commit %s\nmark :%d\n" % (ref.encode(), cm))
        who = r.choice(["Ada <ada@example.org>", "Lin <lin@example.org>", "Sam <sam@example.org>", "Ci Bot <ci@example.org>"])
        w(b"author %s %d +0000\ncommitter %s %d +0000\n" % (who.encode(), ts[0], who.encode(), ts[0]))
        m = msg.encode()
        w(b"data %d\n" % len(m) + m + b"\n")
        if parents:
            w(b"from :%d\n" % parents[0])
            for q in parents[1:]:
                w(b"merge :%d\n" % q)
        for p in sorted(deleted):
            w(b"D %s\n" % p.encode())
        for p in sorted(changed):
            if p in files:
                w(b"M 100644 :%d %s\n" % (marks[p], p.encode()))
        w(b"\n")
        return cm

    def plant(c, changed):
        k = len(plants)
        name, fn = forms[k % len(forms)]
        fk = Fakes(seed * 100_000 + k)
        target, content, secrets = fn(fk, r)
        text_files = [p for p in files if isinstance(files[p], list) and p.endswith((".py", ".rs", ".toml", ".md", ".yml"))]
        if target == "COPY":
            host = r.choice(text_files)
            at = r.randint(0, len(files[host]))
            files[host][at:at] = content
            changed.add(host)
            copy = new_path("copy_" + os.path.basename(host))
            files[copy] = list(files[host])
            changed.add(copy)
            rec = dict(kind=name, path=host, paths=[host, copy], commit=c, line=at + 1, end_line=at + len(content), secrets=secrets,
                       text="\n".join(content))
            live.append((c + r.randint(10, 60), host, content))
            live.append((c + r.randint(10, 60), copy, None))
        elif target is None:
            host = r.choice(text_files)
            at = r.randint(0, len(files[host]))
            files[host][at:at] = content
            changed.add(host)
            rec = dict(kind=name, path=host, paths=[host], commit=c, line=at + 1, end_line=at + len(content), secrets=secrets,
                       text="\n".join(content))
            live.append((c + r.randint(10, 60), host, content))
        else:
            d = r.choice(["services/api", "services/worker", "libs/core", "web", "infra", ""])
            path = f"{d}/{target}".lstrip("/") if not target.startswith((".github/", "k8s/")) else target
            while path in files:
                path = f"{r.choice(dirs)}/{target.split('/')[-1]}"
            files[path] = content if isinstance(content, bytes) else list(content)
            changed.add(path)
            text = content if isinstance(content, bytes) else "\n".join(content)
            rec = dict(kind=name, path=path, paths=[path], commit=c, line=1, end_line=1 if isinstance(content, bytes) else len(content),
                       secrets=secrets, text=text if isinstance(text, str) else None, archive=isinstance(content, bytes))
            live.append((c + r.randint(10, 60), path, None))
        if r.random() < 0.2:
            live[-1] = (10**9,) + live[-1][1:]  # stays in HEAD
            rec["in_head"] = True
        plants.append(rec)

    def unplant(c, changed, deleted):
        keep = []
        for when, path, content in live:
            if when > c or path not in files:
                keep.append((when, path, content)) if path in files else None
                continue
            if content is None:
                del files[path]
                deleted.add(path)
                changed.discard(path)
            else:
                lines = files[path]
                for at in range(len(lines) - len(content) + 1):
                    if lines[at:at + len(content)] == content:
                        del lines[at:at + len(content)]
                        changed.add(path)
                        break
        live[:] = keep

    for _ in range(40):
        add_file(set())
    first = set(files)
    tips["main"] = commit("refs/heads/main", first, set(), "initial import", [])
    c = 1
    branch_no = 0
    while c < commits:
        on_branch = c % 250 == 100 and commits - c > 10
        if on_branch:
            branch_no += 1
            ref = f"refs/heads/feature/{branch_no}"
            base = tips["main"]
            btip = base
            touched, gone = set(), set()
            for _ in range(r.randint(3, 6)):
                changed, deleted = set(), set()
                for _ in range(r.randint(1, 3)):
                    edit(r.choice(text_paths()), changed)
                if c % every == 0:
                    plant(c, changed)
                btip = commit(ref, changed, deleted, f"feature {branch_no}: step {c}", [btip])
                touched |= changed
                gone |= deleted
                c += 1
            if branch_no % 7 != 0:  # merged; every 7th branch stays unmerged (its files go back)
                tips["main"] = commit("refs/heads/main", touched, gone, f"Merge branch 'feature/{branch_no}'", [tips["main"], btip])
            else:
                # Left unmerged: main gets the same edits in a commit of its own (a cherry-pick).
                tips["main"] = commit("refs/heads/main", touched, gone, f"port changes of feature/{branch_no}", [tips["main"]])
            c += 1
            continue
        changed, deleted = set(), set()
        for _ in range(r.choice((1, 1, 2, 2, 3))):
            edit(r.choice(text_paths()), changed)
        x = r.random()
        if x < 0.12:
            add_file(changed)
        elif x < 0.13 and len(files) > 60:
            p = r.choice(text_paths())
            q = new_path(os.path.basename(p))
            files[q] = files.pop(p)
            origin[q] = origin.pop(p, (0, 0))
            deleted.add(p)
            changed.add(q)
        elif x < 0.14 and len(files) > 60:
            p = r.choice([p for p in text_paths() if p not in {l[1] for l in live}])
            del files[p]
            deleted.add(p)
        elif x < 0.145:
            p = r.choice(text_paths())
            q = new_path(os.path.basename(p))
            files[q] = list(files[p])
            changed.add(q)
        if c % every == 0:
            plant(c, changed)
        if c % every == every // 2 and len(decoys) < 4 * len(DECOYS):
            target, lines = DECOYS[len(decoys) % len(DECOYS)]
            host = new_path(os.path.basename(target)) if target else r.choice(text_paths())
            if target:
                files[host] = list(lines)
            else:
                files[host][0:0] = lines
            changed.add(host)
            decoys.append(dict(path=host, commit=c, text="\n".join(lines)))
        unplant(c, changed, deleted)
        tips["main"] = commit("refs/heads/main", changed, deleted, f"change {c}", [tips["main"]])
        if c % 1000 == 0:
            w(b"reset refs/tags/v%d.0\nfrom :%d\n\n" % (c // 1000, tips["main"]))
        c += 1
    fi.stdin.close()
    if fi.wait() != 0:
        sys.exit("git fast-import failed")
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=repo, check=True)
    os.makedirs(meta, exist_ok=True)
    json.dump(plants, open(os.path.join(meta, "plants.json"), "w"), indent=1)
    json.dump(decoys, open(os.path.join(meta, "decoys.json"), "w"), indent=1)
    n = int(subprocess.run(["git", "rev-list", "--count", "--all"], cwd=repo, capture_output=True, text=True).stdout)
    print(f"{repo}: {n} commits, {len(files)} files in HEAD, {len(plants)} plants of {len({p['kind'] for p in plants})} forms "
          f"({sum(bool(p.get('in_head')) for p in plants)} still in HEAD), {len(decoys)} decoys")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) > 4 else 17)
