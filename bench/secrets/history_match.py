"""Match pipeguard, gitleaks and kingfisher history findings by (file, secret) and print recall
against the union plus CPU / peak RSS (history.sh runs the tools; see its header).

How each tool's secret value is recovered (nothing here is printed; values stay in OUT/):
- gitleaks: `Secret` of its JSON report (run without --redact). File = `File`, commit = `Commit`.
- kingfisher: `finding.snippet`, plus every `dependent_captures` value (e.g. the AWS secret key
  that goes with an access key id). File = `git_metadata.file.path` for history findings, else
  `finding.path` (working tree), without a leading `./`.
- pipeguard redacts every output and has no debug switch that shows a value, but each finding's
  `location` is the exact span of the secret (1-based lines, columns in Unicode scalar values,
  end exclusive) in the version of the file at `provenance.commit` (history findings) or in the
  working tree (findings without provenance). The span is cut out of `git cat-file` of
  `<commit>:<path>`; a PEM block is located at its header line only, so a span that starts with
  `-----BEGIN` is extended through its `-----END …-----` line. `properties.redacted` (4-char
  prefix and length) narrows the candidates, and each candidate is verified exactly against the
  finding's `fingerprint`: pipeguard computes it as SHA-256(rule \0 path \0 `<secret:` +
  SHA-256(value)[..16] + `>` \0 occurrence)[..32] (policy::assign_fingerprints over the content
  analyzers/secrets sets), so a candidate whose recomputed fingerprint matches is the value. A
  history finding merged into a working-tree finding keeps the tree's location and the history's
  provenance: both versions are tried. Findings whose value cannot be verified are counted.
  (The fingerprint already is a hash of the value salted with rule and path, so no pipeguard
  change is needed; a documented `value_hash` field would make this independent of git.)

Normalisation of a value: surrounding whitespace and quotes dropped, all whitespace and the
escapes \\n \\r \\t removed; for a private key only the characters of its base64 body are kept
(headers, quotes, `+`/`..` concatenation and escapes dropped). Two findings are the same item
when their files are equal (with `./` stripped) and their normalised values are equal or one
contains the other (the shorter at least 8 characters; at least 40 for key bodies). Items are
the connected groups of that relation (union-find), so a finding that spans two others (a URL
that holds a password, a key id with its secret) joins them.
Items are also grouped across files by equal normalised values ("secrets"): a tool that reports
a secret once at its first path (kingfisher dedups, pipeguard scans each blob once) gets the
secret-level recall too.

JUDGED_OUT below is the written mapping of classes that are not credential-shaped leaks; the
recall targets are computed without them (they are counted per class).
"""
import base64
import hashlib
import json
import math
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict

TOOLS = ("pipeguard", "gitleaks", "kingfisher")

# Rules whose findings are keyword/entropy guesses rather than a provider's format: the
# judged-out classes that look at the value's shape apply only to these.
GENERIC = re.compile(
    r"^(generic-api-key|generic-credential|secrets/generic-credential|.*\.generic[._-].*|"
    r".*password.*|.*secret$|.*\.jwt$|secrets/jwt.*|jwt)$",
    re.I,
)

PLACEHOLDER_WORDS = (
    "example", "xxxx", "changeme", "change_me", "placeholder", "redacted", "your_", "your-",
    "<your", "dummy", "sample", "replace", "insert", "fake", "todo", "foobar", "lorem",
    "notasecret", "not-a-secret", "not_a_secret", "secret123", "password123", "******",
)


def entropy(s):
    if not s:
        return 0.0
    c = Counter(s)
    return -sum(n / len(s) * math.log2(n / len(s)) for n in c.values())


# Documented example values that are published as such (SHA-256 of the value, so the mapping
# does not spell them out): they are copied into tests and docs everywhere.
DOCUMENTED = {
    # Google Cloud's customer-supplied encryption key example (Compute Engine / Terraform docs).
    "5cb0601c9a7f328910f5a72a8a3ca33ad198846715b7726221d3df305e7e297d",
}
LEET = str.maketrans("4310578$@!9", "aeiostbsaig")
# Documented example keys that are published as such and copied with edits (`AKIAIOSFODNN7EXAMAAA`,
# `…EXAMPLE` cut off): AWS's example key pair, by the prefix that no generated key shares
# (phase 3; pipeguard's own placeholder list has the same two).
DOCUMENTED_PREFIXES = ("AKIAIOSFODNN7", "wJalrXUtnFEMI/K7MDENG")
# Fixed prefixes of a format, reported alone (a rule source's regex literal): no key material.
FORMAT_PREFIXES = ("bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t",)
# Passwords of URL user-info that say "a password goes here" (`mongodb://user:password@host`).
TRIVIAL_URL_PASSWORDS = ("password", "passwd", "pass", "secret", "changeme", "pwd", "mypassword")


def sequential(v, n=8):
    """A run of n ascending letters or digits (`12345678`, `abcdefgh`): typed, not generated."""
    low = v.lower()
    run = 1
    for a, b in zip(low, low[1:]):
        run = run + 1 if (a.isalnum() and ord(b) == ord(a) + 1) else 1
        if run >= n:
            return True
    return False


def jwt_claims(v):
    """The decoded header and payload text of a JWT-shaped value, or None."""
    parts = v.split(".")
    if len(parts) != 3 or not v.startswith("eyJ"):
        return None
    out = []
    for p in parts[:2]:
        try:
            out.append(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)).decode("utf-8", "replace").lower())
        except ValueError:
            return None
    return " ".join(out)


# The 150 or so most frequent letter pairs of English text: made-of-words passwords are mostly
# these, random strings rarely (a random pair is one of them with p ≈ 0.2).
BIGRAMS = set("""th he in er an re on at en nd ti es or te of ed is it al ar st to nt ng se ha as
ou io le ve co me de hi ri ro ic ne ea ra ce li ch ll be ma si om ur ca el ta la ns di fo ho pe ec
pr no ct us ac ot il tr ly nc et ut ss so rs un lo wa ge ie wh ee wi em ad ol rt po we na ul ni ts
mo ow pa im mi ai sh ir su id os iv ia am fi ci vi pl ig tu ev ld ry mp fe bl ab gh ty op wo sa ay
ex ke fr oo av ag if ap gr od bo sp rd do uc bu ei ov by rm ep tt oc fa ef cu rn sc gi da yo cr cl
du ga qu ue ff ba ey ls va um pp ua up lu go ht ru ug ds lt pi rc rr eg au ck ew mu br bi pt ak pu
ui rg ib tl ny ki rk ys ob mm fu ph og ms ye ud mb ip ub oi dm ks wn ps""".split())
LEET = str.maketrans("4310578$@", "aeiostbsa")


def word_like(v):
    """A password made of words, as test fixtures use: at most 24 characters; letters (leet
    digits 4 3 1 0 5 7 8 and $ @ read as letters) with at most four trailing digits or a `!`, in
    camelCase or separated by - _ .; words of three letters on average, at least 70% of its letter pairs are frequent English
    pairs (BIGRAMS). P4ssw0rd, MindTheGapps, admin123, 4-v3ry-…-p455w0rd are; random
    strings of the same length are not (history_match.py --selftest measures how often)."""
    if len(v) > 24 or len(v) < 4:
        return False
    core = re.sub(r"[0-9]{1,4}[!.#]?$|!$", "", v).translate(LEET)
    if not re.fullmatch(r"[A-Za-z]+([-_.][A-Za-z]+)*", core):
        return False
    words = [w.lower() for w in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])", core)]
    if sum(len(w) for w in words) / len(words) < 3 or sum(len(w) < 2 for w in words) > 1:
        return False
    pairs = [w[i:i + 2] for w in words for i in range(len(w) - 1)]
    return len(pairs) >= 4 and sum(p in BIGRAMS for p in pairs) / len(pairs) >= 0.7


def b64_text(v):
    """`v` base64-decoded when that gives printable text (a documented example hidden in
    base64 is still an example), else None."""
    if len(v) < 12 or not re.fullmatch(r"[A-Za-z0-9+/_-]+={0,2}", v):
        return None
    try:
        d = base64.b64decode(v + "=" * (-len(v) % 4), altchars=b"-_" if ("-" in v or "_" in v) else None)
        t = d.decode("ascii")
    except (ValueError, UnicodeDecodeError):
        return None
    return t if t.isprintable() else None


def judge(values, rules, line, path, lines=None):
    """The judged-out class of an item, or None when it is a credential-shaped leak.
    values: raw values of the item's findings; rules: every rule id that reported it; line:
    one source line of it; path: its file."""
    values = [v.strip().strip("\"'`").strip() for v in values] or [""]
    low = [v.lower() for v in values]
    # 1. Documented examples and placeholders: the providers' published example keys, runs of
    #    x/*, `<your-key>`, and words that say so. Never findings by design (RULES.md).
    decoded = [d.lower() for d in map(b64_text, values) if d]
    # (phase 3) JWTs: their decoded header and payload too; jwt.io's sample claims are examples.
    claims = [c for c in map(jwt_claims, values) if c]
    if any(w in v for v in low + decoded + claims for w in PLACEHOLDER_WORDS) or any(
        re.search(r"(.)\1{7,}", v) for v in low
    ) or any(hashlib.sha256(v.encode()).hexdigest() in DOCUMENTED for v in values):
        return "example-or-placeholder"
    # (phase 3) Edited copies of documented examples, typed runs (`12345678`, `abcdefgh`), a
    # short unit repeated (`TESTtestTESTtest…`), jwt.io's sample claims, and URL user-info
    # whose password is the word "password".
    short_values = [v for v in values if "PRIVATE KEY" not in v and len(v) <= 200]
    if any(p in v for v in values for p in DOCUMENTED_PREFIXES) \
            or any(sequential(v) for v in short_values) \
            or any(re.search(r"(.{2,4})\1{3,}", v.lower()) for v in short_values) \
            or any('"sub":"1234567890"' in c.replace(" ", "") and "john doe" in c for c in claims) \
            or any(re.search(r"://[^:/@\s]*:(" + "|".join(TRIVIAL_URL_PASSWORDS) + r")@", v, re.I) for v in values):
        return "example-or-placeholder"
    # 2. Patterns, not values: regular-expression text that describes a secret (a scanner's own
    #    rules, `-----BEGIN[ A-Z]*PRIVATE KEY-----` in a regex).
    if any(re.search(r"\\[sdwb]|\[[A-Za-z0-9]-[A-Za-z0-9]|\(\?[:i=!<]|\.\*|\{\d+(,\d*)?\}|\[\^|\\-", v) for v in values):
        return "pattern"
    #    And private-key matches without key material: headers only (rule lists, regexes, docs),
    #    or no line with a base64 run of 40 characters.
    if any("PRIVATE KEY" in v and not re.search(r"[A-Za-z0-9+/]{40}", v) for v in values):
        return "pattern"
    # 3. References, not values: ${VAR}, $VAR, %VAR%, {{ … }}, ${{ secrets.X }}, os.environ…
    if any(re.search(r"^\$|\$\{|\{\{|^%[A-Za-z_]+%$|environ|getenv|^<[^>]*>$", v) for v in values):
        return "reference"
    # (phase 3) Format templates: a `{name}`/`{}` placeholder in the value (`admin:{pw}` of a
    # Rust `format!` or a Python f-string), or the value continued by one on its line
    # (`xoxb-…-{}`): the text is a template, its value is made at run time.
    if any(re.search(r"\{(?:[a-z_][a-z0-9_]{0,15})?(?::[^{}]*)?\}", v) for v in values) \
            or any(len(v) >= 8 and (v + "{") in (lines or line) for v in values):
        return "reference"
    if all(v in FORMAT_PREFIXES for v in values):
        return "pattern"
    # (phase 3) A Kubernetes Secret's user-name entries (`db-username: <base64>`): a name.
    if all("kubernetes" in r for r in rules) and all(re.match(r"[\w.-]*user(name)?\s*:", v, re.I) for v in values):
        return "identifier"
    generic = all(GENERIC.match(r) for r in rules)
    if not generic:
        return None
    shortest = min(values, key=len)
    # 4. Code identifiers: dotted attribute paths, calls, ALL_CAPS constant names, file paths,
    #    generic type names (EcPrivateKey<NistP256>), UpperCamelCase names of three words or more.
    if re.fullmatch(r"[A-Za-z_][\w]*(\.[A-Za-z_]\w*)+(\(\))?=?", shortest) or "(" in shortest \
            or re.fullmatch(r"[A-Z][A-Z0-9_]+=?", shortest) or re.fullmatch(r"[\w.-]*/[\w./-]+", shortest) \
            or re.fullmatch(r"[A-Za-z_][\w:]*<[\w:, <>]+>", shortest) \
            or re.fullmatch(r"(?:[A-Z][a-z]+[0-9]*){3,}", shortest):
        return "identifier"
    # 5. Weak test passwords: short, digits only, low entropy, or made of words (word_like).
    if len(shortest) < 8 or re.fullmatch(r"[0-9]+", shortest) or entropy(shortest) < 2.5 or word_like(shortest):
        return "weak-password"
    # (phase 3) The same once base64-decoded (`"auth": "<base64 of not-valid-auth>"`).
    dec = b64_text(shortest)
    if dec and ":" not in dec and word_like(dec.replace("-", "_")):
        return "weak-password"
    # 6. Hashes and ids: hex digests under a name that says so, UUIDs (pipeguard's policy: not
    #    credentials), lockfile/generated files.
    if re.fullmatch(r"[0-9a-fA-F-]{36}", shortest) and shortest.count("-") == 4:
        return "hash-or-uuid"
    if re.fullmatch(r"[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64}", shortest) and re.search(
        r"sha|hash|digest|checksum|integrity|commit|etag|md5", line, re.I
    ):
        return "hash-or-uuid"
    if re.search(r"(package-lock\.json|yarn\.lock|poetry\.lock|Pipfile\.lock|go\.sum|\.min\.js|\.map|\.svg)$", path):
        return "generated-file"
    return None


JUDGED_OUT = ("example-or-placeholder", "pattern", "reference", "identifier", "weak-password", "hash-or-uuid",
              "generated-file")


class CatFile:
    """`git cat-file --batch` for <commit>:<path> specs; None when the object does not exist."""

    def __init__(self, repo):
        self.p = subprocess.Popen(["git", "-C", repo, "cat-file", "--batch"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE)
        self.cache = {}

    def get(self, spec):
        if spec in self.cache:
            return self.cache[spec]
        self.p.stdin.write(spec.encode("utf-8", "surrogateescape") + b"\n")
        self.p.stdin.flush()
        head = self.p.stdout.readline().split()
        if len(head) < 3 or head[1] in (b"missing", b"ambiguous"):
            data = None
        else:
            n = int(head[2])
            data = self.p.stdout.read(n)
            self.p.stdout.read(1)
        if len(self.cache) > 256:
            self.cache.clear()
        self.cache[spec] = data
        return data


def text_of(data):
    return data.decode("utf-8", "replace") if data is not None else None


def member_of(data, name):
    """The bytes of member `name` of the archive `data` (zip and its kin, tar, tar in gzip/
    bzip2/xz; zstd is not in Python's standard library), or None."""
    import bz2
    import gzip
    import io
    import lzma
    import tarfile
    import zipfile
    if data is None:
        return None
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                for info in z.infolist():
                    if os.path.normpath("/" + info.filename).lstrip("/") == name:
                        return z.read(info)
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        return None
    def unzstd(b):  # not in Python's standard library before 3.14: the zstd tool
        return subprocess.run(["zstd", "-dcq"], input=b, stdout=subprocess.PIPE, check=True).stdout

    stream = False
    for magic, opener in ((b"\x1f\x8b", gzip.decompress), (b"BZh", bz2.decompress),
                          (b"\xfd7zXZ\x00", lzma.decompress), (b"\x28\xb5\x2f\xfd", unzstd)):
        if data.startswith(magic):
            try:
                data = opener(data)
            except (OSError, EOFError, ValueError, lzma.LZMAError, subprocess.CalledProcessError):
                return None
            stream = True
            break
    try:
        with tarfile.open(fileobj=io.BytesIO(data)) as t:
            for m in t.getmembers():
                if m.isfile() and os.path.normpath("/" + m.name).lstrip("/") == name:
                    f = t.extractfile(m)
                    return f.read() if f else None
    except (tarfile.TarError, OSError, ValueError, EOFError):
        # A single compressed file (`main.go.gz!main.go`): the stream is the member.
        return data if stream else None
    return None


def blob_of(cat, repo, commit, path):
    """The bytes of `path` at `commit` (the working tree when commit is None); an archive
    member `a.zip!dir/file` (nested: `a.tgz!b.zip!c`) is read out of its archive."""
    parts = path.split("!")
    data = None
    if commit:
        data = cat.get(f"{commit}:{parts[0]}")
    else:
        try:
            with open(os.path.join(repo, parts[0]), "rb") as fh:
                data = fh.read()
        except OSError:
            data = None
    for member in parts[1:]:
        data = member_of(data, member)
    return data


def cut(text, loc):
    lines = text.split("\n")
    sl, sc, el, ec = loc["start_line"], loc["start_column"], loc["end_line"], loc["end_column"]
    if sl > len(lines):
        return None
    if sl == el:
        v = lines[sl - 1][sc - 1:ec - 1]
    else:
        v = "\n".join([lines[sl - 1][sc - 1:]] + lines[sl:el - 1] + [lines[el - 1][:ec - 1] if el <= len(lines) else ""])
    if v.startswith("-----BEGIN"):
        start = sum(len(x) + 1 for x in lines[:sl - 1]) + sc - 1
        m = re.compile(r"-----END[^\n]*?-----").search(text, start)
        if m:
            v = text[start:m.end()]
    return v


def candidates(text, loc, want):
    """Strings that may be a pipeguard finding's secret: its span (a PEM block through its END
    line), then every string of the redacted prefix and length inside the span's lines (rules
    whose span covers a block, e.g. a Kubernetes Secret's data, redact the value inside it)."""
    v = cut(text, loc)
    if v is None:
        return
    yield v
    if want is None:
        return
    region = "\n".join(text.split("\n")[loc["start_line"] - 1:loc["end_line"]])
    for m in re.finditer(re.escape(want[0]), region):
        cand = region[m.start():m.start() + want[1]]
        if len(cand) == want[1] and "\n" not in cand:
            yield cand


def fingerprint_of(rule, path, value, n):
    """pipeguard's fingerprint of a secret finding (policy::assign_fingerprints over the
    content `<secret:SHA-256(value)[..16]>` that analyzers/secrets sets)."""
    content = f"<secret:{hashlib.sha256(value.encode('utf-8', 'surrogateescape')).hexdigest()[:16]}>"
    return hashlib.sha256(f"{rule}\0{path}\0{content}\0{n}".encode()).hexdigest()[:32]


def recover(text, loc, want, rule=None, fingerprint=None, occurrences=8):
    """The secret of a pipeguard finding: the candidate whose fingerprint is the finding's
    (exact), or without a fingerprint the first that agrees with the redacted prefix/length."""
    for v in candidates(text, loc, want):
        if fingerprint:
            if any(fingerprint_of(rule, loc["path"], v, n) == fingerprint for n in range(occurrences)):
                return v
        elif want is None or (v.startswith(want[0]) and len(v) == want[1]):
            return v
    return None


def line_of(text, n):
    if text is None:
        return ""
    lines = text.split("\n")
    return lines[n - 1] if 0 < n <= len(lines) else ""


def norm_path(p, repo):
    if os.path.isabs(p) and p.startswith(repo.rstrip("/") + "/"):
        p = p[len(repo.rstrip("/")) + 1:]
    elif os.path.isabs(p) and "/repo/" in p:  # a report made on a copy of this directory
        p = p.split("/repo/", 1)[1]
    while p.startswith("./"):
        p = p[2:]
    return p


def norm_value(v):
    v = v.strip()
    if "PRIVATE KEY" in v or v.startswith("-----BEGIN"):
        body = re.sub(r"-----(BEGIN|END)[^-]*-----", "", v)
        body = re.sub(r"\\[nrt]", "", body)
        body = re.sub(r"^[A-Za-z-]+:.*$", "", body, flags=re.M)  # Proc-Type:, DEK-Info: headers
        return "K:" + re.sub(r"[^A-Za-z0-9/=]", "", body)
    v = v.strip("\"'` ")
    v = re.sub(r"\\[nrt]|\s", "", v)
    return v


def load(out, repo):
    cat = CatFile(repo)
    findings = []  # dict(tool, rule, path, commit, line, values, raw_values)
    stats = Counter()
    pg = os.path.join(out, "pg.json")
    if os.path.exists(pg):
        pg_findings = json.load(open(pg))["findings"]
        # The occurrence index of a fingerprint counts findings of one rule and path.
        per_rule_path = Counter((f["rule_id"], f["location"]["path"]) for f in pg_findings)
        for f in pg_findings:
            if not f["rule_id"].startswith("secrets/"):
                continue
            loc = f["location"]
            commit = (f.get("provenance") or {}).get("commit")
            red = (f.get("properties") or {}).get("redacted", "")
            m = re.match(r"(.*)…\[redacted (\d+) chars\]", red, re.S)
            want = (m.group(1), int(m.group(2))) if m else None
            # The version at the provenance commit first; a history finding merged into a
            # working-tree finding keeps the tree's location, so the working tree second.
            versions = []
            if commit:
                versions.append(text_of(blob_of(cat, repo, commit, loc["path"])))
            versions.append(text_of(blob_of(cat, repo, None, loc["path"])))
            v = None
            for text in versions:
                if text is None:
                    continue
                got = recover(text, loc, want, f["rule_id"], f.get("fingerprint"),
                              per_rule_path[(f["rule_id"], loc["path"])] + 1)
                if got is not None:
                    v = got
                    break
            if v is None:
                stats["pipeguard value not recovered (no candidate has its fingerprint)"] += 1
                v = ""
            values = [v] if v else []
            # An encoded secret: its span is the encoded text; the decoded text is what the
            # peers report (gitleaks decodes in place), so it is a value too.
            chain = (f.get("properties") or {}).get("decoded")
            if v and chain:
                d = decode_chain(v, chain.split(">"))
                if d:
                    values.append(d)
            findings.append(dict(tool="pipeguard", rule=f["rule_id"], path=loc["path"], commit=commit,
                                 line=loc["start_line"], values=values))
            # The same blob at other paths (a copied file): reported as related locations.
            for rel in f.get("related") or []:
                if rel.get("message", "").startswith("the same content at this path"):
                    findings.append(dict(tool="pipeguard", rule=f["rule_id"], path=rel["location"]["path"],
                                         commit=commit, line=rel["location"]["start_line"], values=values))
    gl = os.path.join(out, "gl.json")
    if os.path.exists(gl) and os.path.getsize(gl):
        for f in json.load(open(gl)) or []:
            findings.append(dict(tool="gitleaks", rule=f["RuleID"], path=norm_path(f["File"], repo),
                                 commit=f.get("Commit") or None, line=f["StartLine"],
                                 values=[f["Secret"]] if f.get("Secret") else [], tags=f.get("Tags") or []))
    kf = os.path.join(out, "kf.json")
    if os.path.exists(kf) and os.path.getsize(kf):
        for f in json.load(open(kf)).get("findings", []):
            fi = f["finding"]
            gm = fi.get("git_metadata") or {}
            path = (gm.get("file") or {}).get("path") or fi.get("path", "")
            vals = [fi.get("snippet", "")] + list((fi.get("dependent_captures") or {}).values())
            findings.append(dict(tool="kingfisher", rule=f["rule"]["id"], path=norm_path(path, repo),
                                 commit=(gm.get("commit") or {}).get("id"), line=fi.get("line", 0),
                                 values=[v for v in vals if v], confidence=fi.get("confidence")))
    for f in findings:
        f["norm"] = [n for n in (norm_value(v) for v in f["values"] + decoded_variants(f["values"])) if n and n != "K:"]
        text = text_of(blob_of(cat, repo, f["commit"], f["path"])) if f["commit"] else None
        if text is None:
            text = text_of(blob_of(cat, repo, None, f["path"]))
        f["src_line"] = line_of(text, f["line"])
    return findings, stats


def decode_chain(v, chain):
    """`v` decoded along pipeguard's `decoded` chain (outermost first); None if it fails."""
    import binascii
    import urllib.parse
    t = v
    for i, enc in enumerate(chain):
        if i > 0 and enc != "percent":
            # An inner encoding is a run inside the outer decoded text: the longest one.
            pat = r"[0-9A-Fa-f]{32,}" if enc == "hex" else r"[A-Za-z0-9+/_-]{16,}={0,2}"
            runs = re.findall(pat, t)
            if runs:
                t = max(runs, key=len)
        try:
            if enc == "percent":
                t = urllib.parse.unquote(t, errors="strict")
            elif enc == "hex":
                t = binascii.unhexlify(t[: len(t) & ~1]).decode("utf-8")
            elif enc in ("base64", "base64url"):
                s = t.strip("=")
                s = s[: len(s) - 1] if len(s) % 4 == 1 else s
                alt = b"-_" if enc == "base64url" else None
                t = base64.b64decode(s + "=" * (-len(s) % 4), altchars=alt).decode("utf-8")
            else:
                return None
        except (ValueError, UnicodeDecodeError):
            return None
    return t


def decoded_variants(values):
    """(phase 3) What a value reads as once percent-decoded and once base64-decoded (when that
    is text): one tool reports `Basic <base64>` or `…%3D%3D` as written, another the decoded
    `user:key` or the base64 inside; matching needs both forms. Used for matching only, not
    for judging."""
    import urllib.parse
    out = []
    for v in values:
        if "PRIVATE KEY" in v:
            continue
        forms = [v]
        if "%" in v:
            u = urllib.parse.unquote(v)
            if u != v:
                forms.append(u)
                out.append(u)
        for f in forms:
            for run in re.findall(r"[A-Za-z0-9+/_-]{16,}={0,2}", f):
                t = b64_text(run)
                if t and len(t) >= 8:
                    out.append(t)
    return out


def same(a, b):
    if a == b:
        return True
    if a.startswith("K:") != b.startswith("K:"):
        return False
    s, l = (a, b) if len(a) <= len(b) else (b, a)
    if len(s) >= (42 if s.startswith("K:") else 8) and s in l:
        return True
    # (phase 3) Overlapping spans of one secret: one tool's match cut short (kingfisher's Slack
    # webhook URL ends 24 characters into the token), the other's starting later (pipeguard's
    # begins at the team id): the end of one is the start of the other, over 20+ characters.
    if s.startswith("K:") or len(l) > 400:
        return False
    for k in range(len(s) - 1, 19, -1):
        if a.endswith(b[:k]) or b.endswith(a[:k]):
            return True
    return False


class UF:
    def __init__(self, n):
        self.p = list(range(n))

    def find(self, x):
        while self.p[x] != x:
            self.p[x] = self.p[self.p[x]]
            x = self.p[x]
        return x

    def union(self, a, b):
        a, b = self.find(a), self.find(b)
        if a != b:
            self.p[max(a, b)] = min(a, b)


def cluster(findings):
    uf = UF(len(findings))
    by_path = defaultdict(list)
    for i, f in enumerate(findings):
        by_path[f["path"]].append(i)
    for idx in by_path.values():
        for x in range(len(idx)):
            for y in range(x + 1, len(idx)):
                fa, fb = findings[idx[x]], findings[idx[y]]
                if any(same(a, b) for a in fa["norm"] for b in fb["norm"]):
                    uf.union(idx[x], idx[y])
    groups = defaultdict(list)
    for i in range(len(findings)):
        groups[uf.find(i)].append(i)
    items = []
    for members in groups.values():
        fs = [findings[i] for i in members]
        items.append(dict(
            path=fs[0]["path"],
            tools=sorted({f["tool"] for f in fs}),
            rules=sorted({f["rule"] for f in fs}),
            norm=sorted({n for f in fs for n in f["norm"]}),
            findings=members,
        ))
    # Secret level: items with an equal normalised value, whatever the file.
    suf = UF(len(items))
    first = {}
    for i, it in enumerate(items):
        for n in it["norm"]:
            if n in first:
                suf.union(first[n], i)
            else:
                first[n] = i
    for i, it in enumerate(items):
        it["secret"] = suf.find(i)
    return items


def time_row(out, tool):
    p = os.path.join(out, f"{tool}.time")
    if not os.path.exists(p):
        return None
    parts = open(p).read().split()
    # GNU time writes "Command exited with non-zero status N" before the figures on failure.
    wall, user, sys_, rss, rc = parts[-5:]
    return float(wall), float(user) + float(sys_), int(rss) / 1024, int(rc)


def score_plants(findings, meta, present):
    """Generated repositories (make_big_history.py): recall against the plants by form, and
    findings on decoys. A finding hits a plant at one of its paths (or inside it, for archives:
    `a.zip!x`, `a.zip/x`) when one of its values is, contains or is contained in one of the
    plant's secrets, or lies inside the planted text (an encoded form reported as such)."""
    plants = json.load(open(os.path.join(meta, "plants.json")))
    decoys = json.load(open(os.path.join(meta, "decoys.json")))
    for p in plants:
        p["snorm"] = [norm_value(x) for x in p["secrets"]]
        p["tnorm"] = norm_value(p["text"]) if p.get("text") else ""

    def hits(f, p):
        if not any(f["path"] == q or f["path"].startswith(q + "!") or f["path"].startswith(q + "/") for q in p["paths"]):
            return False
        return any(same(n, s) for n in f["norm"] for s in p["snorm"]) or any(
            len(n) >= 8 and n in p["tnorm"] for n in f["norm"])

    by_path = defaultdict(list)
    for f in findings:
        by_path[f["path"].split("!")[0]].append(f)
    found = defaultdict(set)
    for i, p in enumerate(plants):
        cands = [f for q in p["paths"] for k, fs in by_path.items() if k == q or k.startswith(q + "/") for f in fs]
        for f in cands:
            if hits(f, p):
                found[f["tool"]].add(i)
    forms = sorted({p["kind"] for p in plants})
    print(f"Planted: {len(plants)} credentials of {len(forms)} forms; decoys {len(decoys)}\n")
    print("| tool | planted found | missed forms (count) | findings on decoys |")
    print("|---|---|---|---|")
    for t in present:
        miss = Counter(plants[i]["kind"] for i in range(len(plants)) if i not in found[t])
        dec = sum(1 for d in decoys for f in by_path.get(d["path"], []) if f["tool"] == t
                  and any(len(n) >= 4 and n in norm_value(d["text"]) for n in f["norm"]))
        print(f"| {t} | {len(found[t])}/{len(plants)} = {100 * len(found[t]) / len(plants):.0f}% | "
              + ", ".join(f"{k.removeprefix('f_')} ({v})" for k, v in sorted(miss.items())) + f" | {dec} |")
    print()
    by_form = defaultdict(dict)
    for t in present:
        for i, p in enumerate(plants):
            by_form[p["kind"]].setdefault(t, [0, 0])
            by_form[p["kind"]][t][1] += 1
            by_form[p["kind"]][t][0] += i in found[t]
    print("| form | " + " | ".join(present) + " |")
    print("|---|" + "---|" * len(present))
    for k in forms:
        print(f"| {k.removeprefix('f_')} | " + " | ".join(f"{by_form[k][t][0]}/{by_form[k][t][1]}" for t in present) + " |")
    print()


def main(out, repo, name, commits, meta=None):
    findings, stats = load(out, repo)
    items = cluster(findings)
    for it in items:
        fs = [findings[i] for i in it["findings"]]
        raw = [v for f in fs for v in f["values"]] or [""]
        lines = "\n".join(dict.fromkeys(f["src_line"] for f in fs))
        it["judged"] = judge(raw, it["rules"], fs[0]["src_line"], it["path"], lines)
    present = [t for t in TOOLS if any(f["tool"] == t for f in findings) or time_row(out, t)]
    kept = [it for it in items if not it["judged"]]
    print(f"### {name}: {commits} commits\n")
    print("| tool | CPU s (user+sys) | wall s | peak RSS MB | findings | items (file, secret) | "
          "recall vs union, all | recall vs union, credential-shaped | secrets (any file), credential-shaped |")
    print("|---|---|---|---|---|---|---|---|---|")
    n_all, n_kept = len(items), len(kept)
    secrets_kept = {it["secret"] for it in kept}
    for t in present:
        tr = time_row(out, t)
        nf = sum(f["tool"] == t for f in findings)
        got = [it for it in items if t in it["tools"]]
        got_k = [it for it in kept if t in it["tools"]]
        sec = {it["secret"] for it in got_k}
        cpu = f"{tr[1]:.1f}" if tr else "-"
        wall = f"{tr[0]:.1f}" if tr else "-"
        rss = f"{tr[2]:.0f}" if tr else "-"
        if tr and tr[3] != 0 and not (t == "kingfisher" and tr[3] == 200):  # 200: findings
            cpu += f" (exit {tr[3]})"
        pct = lambda a, b: f"{a}/{b} = {100 * a / b:.0f}%" if b else "-"
        print(f"| {t} | {cpu} | {wall} | {rss} | {nf} | {len(got)} | {pct(len(got), n_all)} | "
              f"{pct(len(got_k), n_kept)} | {pct(len(sec), len(secrets_kept))} |")
    print()
    # pipeguard against each peer and against the peers' union (the issue's figures).
    if "pipeguard" in present:
        print("| pipeguard finds … | items, all | items, credential-shaped | secrets, credential-shaped |")
        print("|---|---|---|---|")
        peers = [t for t in present if t != "pipeguard"]
        sets = [(p, lambda it, p=p: p in it["tools"]) for p in peers]
        if len(peers) > 1:
            sets.append(("union of " + " and ".join(peers), lambda it: any(p in it["tools"] for p in peers)))
        for label, pred in sets:
            a = [it for it in items if pred(it)]
            k = [it for it in kept if pred(it)]
            s_all = {it["secret"] for it in k}
            s_pg = {it["secret"] for it in k if "pipeguard" in it["tools"]}
            fa = sum("pipeguard" in it["tools"] for it in a)
            fk = sum("pipeguard" in it["tools"] for it in k)
            pct = lambda x, y: f"{x} of {y} ({100 * x / y:.0f}%)" if y else "-"
            print(f"| of {label} | {pct(fa, len(a))} | {pct(fk, len(k))} | {pct(len(s_pg), len(s_all))} |")
        print()
    judged = Counter(it["judged"] for it in items if it["judged"])
    if judged:
        print("Judged out (not credential-shaped, see JUDGED_OUT in history_match.py): "
              + ", ".join(f"{k} {v}" for k, v in sorted(judged.items())) + "\n")
    overlap = Counter("+".join(it["tools"]) for it in kept)
    print("Credential-shaped items by the tools that report them: "
          + ", ".join(f"{k} {v}" for k, v in sorted(overlap.items())) + "\n")
    for k, v in stats.items():
        print(f"note: {k}: {v}")
    if meta:
        score_plants(findings, meta, present)
    # Everything the miss analysis needs (holds secret values: stays in OUT).
    json.dump(dict(findings=findings, items=items), open(os.path.join(out, "items.json"), "w"))


def selftest():
    """How often word_like() judges a random string out (the mapping's error rate)."""
    import random
    import string
    r = random.Random(1)
    for alpha, name in ((string.ascii_letters + string.digits, "alnum"), (string.ascii_letters, "letters")):
        for n in (8, 10, 12, 16, 20):
            k = sum(word_like("".join(r.choice(alpha) for _ in range(n))) for _ in range(20000))
            print(f"random {name} of {n}: {100 * k / 20000:.2f}% judged word-like")


if __name__ == "__main__":
    if sys.argv[1:] == ["--selftest"]:
        selftest()
    else:
        main(*sys.argv[1:6])
