"""Miss analysis after history.sh: every credential-shaped item that a peer reports and
pipeguard does not, with the blob that holds it extracted and scanned again by pipeguard as a
plain file (same path, so the same path policies apply), then classified by why it is missed.

    python3 history_misses.py OUT REPO [PIPEGUARD_BIN]

Writes OUT/misses.md: the counts per class and per peer, and one line per miss (file, peer
rules, the source line with every value masked as `abcd…[N]`) for reading; nothing printed holds
a secret. The classes, first match wins:
  walk-lost          the plain-file scan (no policy) finds it: the history walk lost it
  policy-excluded    the same, when the history run read the repository's .pipeguard.yml
  other-path         pipeguard reports the same secret at another path (a copy of the blob is
                     scanned once, at its first path): a reporting gap, not a detection gap
  archive            the file is an archive (zip, jar, whl, nupkg, tar, tar.gz/tgz/bz2/xz, 7z…)
  encoded            the peer's value is not in the blob as written: the peer decoded it
                     (base64, hex, percent); the encoding is named when it is found in the blob
  pem-split          a private key whose lines are separate string literals joined by code
  private-key-other  a private key in another form
  http-credential    curl/wget/httpie options, Authorization/API-key headers, .netrc, .npmrc
                     _auth/_password, docker config.json auths, URLs with user:password
  generic-assignment keyword = value guesses of the peers' generic rules (gitleaks
                     generic-api-key, kingfisher/betterleaks generic-*): pipeguard's
                     generic-credential judged the value or context weaker
  checksum-invalid   GitHub tokens (ghp_/gho_/ghu_/ghs_/ghr_) whose CRC32 check digits do not
                     match: pipeguard rejects them by design (RULES.md), peers do not check
  known-kind         a provider kind pipeguard has a rule for (its id shares the provider word)
                     but does not match: format variant or context
  new-kind           a provider kind pipeguard has no rule for
"""
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.parse
import base64
import zlib
from collections import Counter, defaultdict

from history_match import CatFile, norm_value, recover, same, text_of

ARCHIVE = re.compile(r"\.(zip|jar|war|ear|whl|nupkg|egg|apk|aar|tar|tgz|tar\.gz|tar\.bz2|tar\.xz|tar\.zst|gz|bz2|xz|7z|rar)$", re.I)
HTTP = re.compile(r"\bcurl\b|\bwget\b|--user\b|--http-(user|password)|\bhttp(ie)?\s+-a\b|authorization[\"']?\s*[:=]|"
                  r"\b(x-[\w-]+-)?api-?key:\s|\bmachine\s+\S+\s+login\b|^\s*(login|password)\s|(^|:)_(auth|authToken|password)\s*=|"
                  r"\"auth\"\s*:|\bbasic\s+[A-Za-z0-9+/=]{8,}|\bbearer\s+\S{8,}|\b(https?|ftp)://[^/\s:@]+:[^/\s@]+@", re.I)
HTTP_FILES = re.compile(r"(^|/)(\.netrc|_netrc|\.npmrc|\.yarnrc(\.yml)?|config\.json|\.git-credentials|\.pypirc|\.dockercfg)$")
GENERIC_PEER = re.compile(r"generic|^(kingfisher|betterleaks)\.(generic|password|secret)", re.I)
STOP = {"api", "key", "token", "secret", "access", "id", "client", "auth", "pat", "oauth", "app", "kingfisher",
        "betterleaks", "private", "password", "bot", "user", "webhook", "url", "legacy", "new", "v2", "account",
        "service", "admin", "public", "live", "test", "credentials", "credential", "cloud", "refresh", "personal"}


def mask(line, values):
    for v in sorted(values, key=len, reverse=True):
        for part in {v, v.strip()} | set(v.split("\n")):
            if len(part) >= 6 and part in line:
                line = line.replace(part, f"{part[:4]}…[{len(part)}]")
    # Anything else long and random-looking on the line is masked too.
    return re.sub(r"[A-Za-z0-9+/=_\-]{24,}", lambda m: m.group(0)[:4] + f"…[{len(m.group(0))}]", line)[:220]


def gh_checksum_ok(token):
    """GitHub's token check digits: base62 of CRC32 over the 30 characters after the prefix."""
    body, check = token[4:34], token[34:]
    n = zlib.crc32(body.encode()) & 0xFFFFFFFF
    b62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    out = ""
    while n:
        out = b62[n % 62] + out
        n //= 62
    return out.rjust(6, "0") == check


def encodings_of(value, blob):
    v = value.strip()
    b = blob.decode("utf-8", "replace")
    out = []
    if v and v not in b:
        if base64.b64encode(v.encode()).decode()[:16].rstrip("=") in b or \
                base64.urlsafe_b64encode(v.encode()).decode()[:16] in b:
            out.append("base64")
        elif any(base64.b64encode(v.encode()[i:]).decode()[4:20] in b for i in range(3)):
            out.append("base64")
        elif v.encode().hex()[:24] in b.lower():
            out.append("hex")
        elif urllib.parse.quote(v, safe="")[:24] in b or urllib.parse.quote(v)[:24] in b:
            out.append("percent")
        else:
            out.append("nested-or-other")
    return out


def main(out, repo, pg_bin="/work/bin/pipeguard"):
    data = json.load(open(os.path.join(out, "items.json")))
    findings, items = data["findings"], data["items"]
    rules = json.loads(subprocess.run([pg_bin, "rules", "--family", "secrets", "--format", "json"],
                                      capture_output=True, text=True, check=True).stdout)
    pg_words = {w for r in rules for w in re.split(r"[-_./]", r["id"].split("/")[1]) if len(w) >= 3} - STOP
    # pipeguard's values, by secret, for the other-path class.
    pg_norms = [n for f in findings if f["tool"] == "pipeguard" for n in f["norm"]]
    pg_exact = set(pg_norms)
    misses = [it for it in items if not it["judged"] and "pipeguard" not in it["tools"]]
    cat = CatFile(repo)
    root = os.path.join(out, "misses")
    shutil.rmtree(root, ignore_errors=True)
    blobs = {}
    for k, it in enumerate(misses):
        fs = [findings[i] for i in it["findings"]]
        f = next((x for x in fs if x["commit"]), fs[0])
        data_ = cat.get(f"{f['commit']}:{f['path']}") if f["commit"] else None
        if data_ is None:
            try:
                data_ = open(os.path.join(repo, f["path"]), "rb").read()
            except OSError:
                data_ = None
        it["blob"] = data_
        it["rep"] = f
        if data_ is not None and not ARCHIVE.search(f["path"]):
            dst = os.path.join(root, f"{k:05d}", f["path"])
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            open(dst, "wb").write(data_)
            blobs[k] = f["path"]
    # The history run read the repository's .pipeguard.yml unless history.sh's PG_ARGS gave a
    # --config: then what the plain scan (no policy) finds was excluded by that policy.
    args = open(os.path.join(out, "pg.args")).read() if os.path.exists(os.path.join(out, "pg.args")) else ""
    own_policy = os.path.exists(os.path.join(repo, ".pipeguard.yml")) and "--config" not in args
    # One plain tree scan of every extracted blob, each under its own directory.
    empty = os.path.join(out, "empty-config.yml")
    open(empty, "w").write("{}\n")
    rep = os.path.join(out, "misses-pg.json")
    subprocess.run(["nice", "-n", "10", pg_bin, "scan", "--only", "secrets", "--format", "json", "--fail-on", "never",
                    "--config", empty, "-o", rep, root], capture_output=True)
    plain = defaultdict(list)  # miss number -> normalised values pipeguard finds in its blob
    if os.path.exists(rep):
        plain_findings = json.load(open(rep))["findings"]
        per_rule_path = Counter((f["rule_id"], f["location"]["path"]) for f in plain_findings)
        for f in plain_findings:
            k = f["location"]["path"].split("/", 1)
            if len(k) != 2:
                continue
            try:
                text = open(os.path.join(root, f["location"]["path"]), encoding="utf-8", errors="replace").read()
            except OSError:
                continue
            red = (f.get("properties") or {}).get("redacted", "")
            m = re.match(r"(.*)…\[redacted (\d+) chars\]", red, re.S)
            v = recover(text, f["location"], (m.group(1), int(m.group(2))) if m else None, f["rule_id"],
                        f.get("fingerprint"), per_rule_path[(f["rule_id"], f["location"]["path"])] + 1)
            if v:
                plain[int(k[0])].append((f["location"]["start_line"], norm_value(v), f["rule_id"]))
    # pipeguard's history findings by (path, line): a miss on a line pipeguard reports with
    # another value (e.g. the encoded text where the peer reports what it decodes to).
    pg_lines = defaultdict(set)
    for f in findings:
        if f["tool"] == "pipeguard":
            pg_lines[f["path"]].add(f["line"])
    classes = Counter()
    per_peer = defaultdict(Counter)
    per_rule = defaultdict(Counter)
    lines = []
    for k, it in enumerate(misses):
        fs = [findings[i] for i in it["findings"]]
        vals = [v for f in fs for v in f["values"]]
        peer_rules = sorted({f["rule"] for f in fs})
        blob = it["blob"] or b""
        text = blob.decode("utf-8", "replace")
        rep_line = it["rep"].get("src_line", "")
        cls, detail = None, ""
        if any(n in pg_exact for n in it["norm"]):
            cls = "other-path"
        if cls is None and any(same(n, v) for _, v, _ in plain.get(k, []) for n in it["norm"]):
            cls = "policy-excluded" if own_policy else "walk-lost"
        if cls is None and (ARCHIVE.search(it["path"].split("!")[0]) or "!" in it["path"]):
            cls = "archive"
        lines_near = any(abs(l - it["rep"]["line"]) <= 1 for l in pg_lines.get(it["path"], ()))
        if cls is None:
            enc = [e for v in vals[:1] for e in encodings_of(v, blob)] if blob else []
            if enc:
                cls, detail = "encoded", enc[0] + (" (pipeguard reports the line as another finding)" if lines_near else "")
        if cls is None and any("PRIVATE KEY" in v for v in vals):
            hdr = next((l for l in text.split("\n") if "PRIVATE KEY-----" in l), "")
            if re.search(r"[\"'`]\s*(\\n)?[\"'`]?\s*[+,)]?\s*$|\\n[\"']", hdr) or re.search(r"[\"']\s*\+\s*$", hdr):
                cls = "pem-split"
            else:
                cls = "private-key-other"
        if cls is None and (HTTP.search(rep_line) or HTTP_FILES.search(it["path"])):
            cls = "http-credential"
        if cls is None and any(re.fullmatch(r"gh[pousr]_[A-Za-z0-9]{36}", v.strip("\"' ")) and not gh_checksum_ok(v.strip("\"' "))
                               for v in vals):
            cls = "checksum-invalid"
        if cls is None and all(GENERIC_PEER.search(r) for r in peer_rules):
            cls = "generic-assignment"
        if cls is None:
            words = {w for r in peer_rules for w in re.split(r"[-_./]", r.lower()) if len(w) >= 3} - STOP
            cls = "known-kind" if words & pg_words else "new-kind"
            detail = ",".join(sorted(words))
        classes[cls] += 1
        for t in it["tools"]:
            per_peer[cls][t] += 1
        for r in peer_rules:
            per_rule[cls][r] += 1
        lines.append(f"| {k} | {cls} | {detail} | {'+'.join(it['tools'])} | `{it['path']}` | {', '.join(peer_rules)} | "
                     f"`{mask(rep_line, vals).replace('|', '¦')}` |")
    with open(os.path.join(out, "misses.md"), "w") as o:
        o.write(f"# Peer-only credential-shaped items: {len(misses)}\n\n| class | items | gitleaks | kingfisher | peer rules (count) |\n|---|---|---|---|---|\n")
        for c, n in classes.most_common():
            top = ", ".join(f"{r} ({m})" for r, m in per_rule[c].most_common(8))
            o.write(f"| {c} | {n} | {per_peer[c]['gitleaks']} | {per_peer[c]['kingfisher']} | {top} |\n")
        o.write("\n| # | class | detail | tools | file | peer rules | line (masked) |\n|---|---|---|---|---|---|---|\n")
        o.write("\n".join(lines) + "\n")
    print(open(os.path.join(out, "misses.md")).read().split("\n| # |")[0])


if __name__ == "__main__":
    main(*sys.argv[1:4])
