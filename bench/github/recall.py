#!/usr/bin/env python3
"""Recall and precision of pipeguard's GitHub analyzer and zizmor on three public labelled corpora.

Run through bench/github/recall.sh (which finds the binaries and a Python with PyYAML); see its
header for how to prepare the corpus directory. Nothing is fetched: every corpus is read from the
directory given on the command line.

Matching rule (the same for the three corpora; it is ActionsBench's published "region" rule):
a finding matches a label when the rule/audit is mapped to the label's kind, the file is the
same, and both lines lie in the same *region* of the YAML file: the same step (a list item of a
`steps:` sequence, in a job or in a composite action's `runs:`), else the same job outside its
steps (which covers a reusable-workflow call's `uses:` + `secrets:`), else the same top-level key
(`on:`, `permissions:`, `env:` ...). Matching is one-to-one (maximum bipartite matching, nearest
line first), so a tool cannot satisfy two labels with one finding nor inflate recall with
duplicates. Only a finding's primary location counts; the "+rel" figures also accept a related
location (pipeguard relates the trigger of an untrusted checkout, zizmor relates the upload of an
artipacked checkout). gha-hazmat adds one refinement, because several markers can share a region
(three env entries of one step): a finding that lies inside the YAML node a marker annotates (the
marker comment through the end of the next node) can only match that marker; if that marker is
an OK marker the finding is a false positive.
"""
from __future__ import annotations

import argparse
import bisect
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

PERSONAS = ("regular", "pedantic", "auditor")

# ---------------------------------------------------------------------------------------------
# Mappings (data). zizmor audit -> pipeguard rules that report the same weakness today
# ("shared"), and the rule ids proposed in issue 17 for audits pipeguard lacks ("proposed"; they
# count as soon as a rule with that id exists, so the same script measures the work as it lands).
# ---------------------------------------------------------------------------------------------
SHARED = {
    "template-injection": ["github/script-injection"],
    "github-env": ["github/env-file-injection"],
    "dangerous-triggers": ["github/untrusted-checkout", "github/artifact-poisoning",
                           "github/secrets-to-untrusted", "github/dangerous-trigger"],
    "excessive-permissions": ["github/excessive-permissions"],
    "unpinned-uses": ["github/unpinned-action"],
    "secrets-inherit": ["github/secrets-inherit"],
    "overprovisioned-secrets": ["github/secrets-dump"],
    "artipacked": ["github/persisted-credentials"],
    "self-hosted-runner": ["github/self-hosted-untrusted"],
    "hardcoded-container-credentials": ["github/hardcoded-credentials"],
    "insecure-commands": ["github/insecure-commands"],
    "bot-conditions": ["github/spoofable-actor-check"],
    # pipeguard's unpinned-action covers `uses: docker://` only, not container:/services: images
    "unpinned-images": ["github/unpinned-action", "github/unpinned-image"],
    # added by issue 17
    "cache-poisoning": ["github/cache-poisoning"],
    "unredacted-secrets": ["github/unredacted-secrets"],
    "use-trusted-publishing": ["github/use-trusted-publishing"],
    # added by issue 17 (offline zizmor audits, first batch)
    "adhoc-packages": ["github/adhoc-packages"],
    "github-app": ["github/github-app"],
    "dependabot-execution": ["github/dependabot-execution"],
    "dependabot-cooldown": ["github/dependabot-cooldown"],
    "concurrency-limits": ["github/concurrency-limits"],
    "anonymous-definition": ["github/anonymous-definition"],
    "forbidden-uses": ["github/forbidden-uses"],
    "insecure-url-scheme": ["github/insecure-url-scheme"],
    # added by issue 17, phase 3
    "unsound-condition": ["github/unsound-condition"],
    "unsound-contains": ["github/unsound-contains"],
    "unsound-ternary": ["github/unsound-ternary"],
    # added by issue 17 (offline audits, second batch)
    "misfeature": ["github/misfeature"],
    "obfuscation": ["github/obfuscation"],
    "ref-version-mismatch": ["github/ref-version-mismatch"],
    "secrets-outside-env": ["github/secrets-outside-env"],
    "self-repository": ["github/self-repository"],
    "superfluous-actions": ["github/superfluous-actions"],
    "typosquat-uses": ["github/typosquat-uses"],
    "undocumented-permissions": ["github/undocumented-permissions"],
    "unpinned-tools": ["github/unpinned-tools"],
}
PROPOSED = {
    "archived-uses": ["github/archived-uses"],
    "stale-action-refs": ["github/stale-action-refs"],
}
# Online audits: zizmor --offline cannot run them, pipeguard scans offline. Labels that need
# them are reported apart ("online only") and are not in the offline denominators.
ONLINE = {"impostor-commit", "known-vulnerable-actions", "ref-confusion", "stale-action-refs"}


def pg_rules_for(audit: str) -> list[str]:
    return SHARED.get(audit, []) + PROPOSED.get(audit, [])


# gha-hazmat: every `# NOT OK` / `# OK` marker comment, keyed (file, marker line), with the zizmor
# audit that names the weakness the marker describes. The pipeguard rules are pg_rules_for(audit).
# For OK markers the audit is the one whose finding there would be a false positive. Keep this
# table in step with the corpus: the script stops if a marker is found that is not listed.
HAZMAT_MARKERS = {
    ("artipacked.yml", 33): "artipacked",            # checkout keeps credentials (default)
    ("artipacked.yml", 37): "artipacked",            # upload-artifact of `.`
    ("artipacked.yml", 51): "artipacked",            # checkout keeps credentials
    ("artipacked.yml", 54): "artipacked",            # tar of the workspace in a run step
    ("artipacked.yml", 61): "artipacked",            # upload of that archive
    ("artipacked.yml", 76): "artipacked",            # checkout keeps credentials
    ("artipacked.yml", 80): "artipacked",            # upload of ${{ github.workspace }}
    ("cache-poisoning.yml", 33): "cache-poisoning",  # setup-java cache: gradle on release
    ("cache-poisoning.yml", 53): "cache-poisoning",  # rust-cache (caches by default) on release
    ("excessive-permissions.yml", 18): "excessive-permissions",  # workflow-level id-token: write
    ("excessive-permissions.yml", 20): "excessive-permissions",  # workflow-level contents: write
    ("excessive-permissions.yml", 31): "excessive-permissions",  # job permissions: write-all
    ("excessive-permissions.yml", 38): "excessive-permissions",  # OK: job-level id-token: write
    ("github-env.yml", 20): "dangerous-triggers",    # pull_request_target trigger
    ("github-env.yml", 30): "github-env",            # title -> shell var -> GITHUB_ENV
    ("hardcoded-credentials.yml", 29): "hardcoded-container-credentials",
    ("hardcoded-credentials.yml", 36): "hardcoded-container-credentials",
    ("hardcoded-credentials.yml", 42): "hardcoded-container-credentials",  # OK: from secrets
    ("impostor-commit.yml", 25): "impostor-commit",  # online
    ("insecure-commands.yml", 6): "insecure-commands",
    ("insecure-commands.yml", 13): "insecure-commands",
    ("insecure-commands.yml", 18): "insecure-commands",
    ("known-vulnerable-actions.yml", 18): "known-vulnerable-actions",  # online
    ("known-vulnerable-actions.yml", 21): "known-vulnerable-actions",  # online
    ("known-vulnerable-actions.yml", 24): "known-vulnerable-actions",  # OK, online
    ("known-vulnerable-actions.yml", 27): "known-vulnerable-actions",  # online
    ("overprovisioned-secrets.yml", 20): "overprovisioned-secrets",
    ("overprovisioned-secrets.yml", 22): "overprovisioned-secrets",  # OK: one secret
    ("overprovisioned-secrets.yml", 24): "overprovisioned-secrets",  # OK: toJSON(one secret)
    ("overprovisioned-secrets.yml", 30): "overprovisioned-secrets",
    ("pull-request-target.yml", 21): "dangerous-triggers",   # the trigger itself
    ("pull-request-target.yml", 30): "dangerous-triggers",   # checkout of the PR head
    ("pull-request-target.yml", 37): "dangerous-triggers",   # npm install runs PR code
    ("pypi-manual-credential.yml", 21): "use-trusted-publishing",  # OK
    ("pypi-manual-credential.yml", 25): "use-trusted-publishing",
    ("pypi-manual-credential.yml", 31): "use-trusted-publishing",  # OK
    ("pypi-manual-credential.yml", 37): "use-trusted-publishing",  # OK
    ("pypi-manual-credential.yml", 43): "use-trusted-publishing",  # OK
    ("pypi-manual-credential.yml", 49): "use-trusted-publishing",  # OK: non-PyPI index
    ("pypi-manual-credential.yml", 56): "use-trusted-publishing",
    ("pypi-manual-credential.yml", 64): "use-trusted-publishing",
    ("pypi-manual-credential.yml", 71): "use-trusted-publishing",
    ("pypi-manual-credential.yml", 79): "use-trusted-publishing",
    ("ref-confusion.yml", 25): "ref-confusion",      # online
    ("secrets-inherit.yml", 19): "secrets-inherit",
    ("secrets-inherit.yml", 24): "secrets-inherit",  # OK: explicit secrets
    ("secrets-inherit.yml", 30): "secrets-inherit",  # OK: none
    ("secrets-inherit.yml", 34): "secrets-inherit",  # OK: secrets: {}
    ("self-hosted.yml", 27): "self-hosted-runner",
    ("template-injection.yml", 48): "template-injection",  # issue title
    ("template-injection.yml", 53): "template-injection",  # workflow_dispatch input
    ("template-injection.yml", 58): "template-injection",  # OK: secret
    ("template-injection.yml", 63): "template-injection",  # workflow_call input
    ("template-injection.yml", 68): "template-injection",  # OK: through env
    ("template-injection.yml", 75): "template-injection",  # env.X (static, but unescaped)
    ("template-injection.yml", 80): "template-injection",  # OK: static matrix value
    ("template-injection.yml", 85): "template-injection",  # matrix value from client_payload
    ("template-injection.yml", 90): "template-injection",  # whole matrix (has dynamic members)
    ("template-injection.yml", 95): "template-injection",  # OK: github.workspace
    ("template-injection.yml", 107): "template-injection",  # matrix is client_payload
    ("template-injection.yml", 118): "template-injection",  # github-script, issue title
    ("template-injection.yml", 127): "template-injection",  # OK: boolean expression
    ("unpinned.yml", 19): "unpinned-images",         # uses: docker://ubuntu
    ("unpinned.yml", 25): "unpinned-images",         # uses: docker://ghcr.io/...
    ("unredacted-secrets.yml", 19): "unredacted-secrets",
    ("unredacted-secrets.yml", 22): "unredacted-secrets",
    ("workflow-run.yml", 18): "dangerous-triggers",
}
MARKER_RE = re.compile(r"^\s*#\s*(NOT OK|OK)\b")

# ActionsBench: weakness class of each tool's rules. zizmor's is ActionsBench's own reviewed
# adapter mapping (its scope) plus the audits marked "+", which name the class unambiguously;
# the "+" ones are reported apart so both readings can be compared. pipeguard's is ours.
AB_ZIZMOR = {
    "template-injection": "injection",
    "unpinned-uses": "unpinned-dependency",
    "excessive-permissions": "excessive-permission",
    "dangerous-triggers": "privileged-trigger",
    "secrets-inherit": "secrets-exposure",
    "hardcoded-container-credentials": "secrets-exposure",
    "overprovisioned-secrets": "secrets-exposure",
    "artipacked": "artifact-integrity",
}
AB_ZIZMOR_EXTRA = {  # "+": not in ActionsBench's adapter
    "unsound-condition": "control-flow",
    "unpinned-images": "unpinned-dependency",
    "github-env": "injection",
    "unredacted-secrets": "secrets-exposure",
}
AB_PIPEGUARD = {
    "github/script-injection": "injection",
    "github/env-file-injection": "injection",
    "github/unpinned-action": "unpinned-dependency",
    "github/excessive-permissions": "excessive-permission",
    "github/untrusted-checkout": "privileged-trigger",
    "github/dangerous-trigger": "privileged-trigger",
    "github/secrets-inherit": "secrets-exposure",
    "github/hardcoded-credentials": "secrets-exposure",
    "github/secrets-dump": "secrets-exposure",
    "github/unredacted-secrets": "secrets-exposure",
    "github/persisted-credentials": "artifact-integrity",
    "github/artifact-poisoning": "artifact-integrity",
    "github/unsound-condition": "control-flow",
    "github/unpinned-image": "unpinned-dependency",
    # no zizmor audit: a secret sent to a foreign host is ActionsBench's secrets-exposure class
    "github/secret-exfiltration": "secrets-exposure",
    # secrets-to-untrusted is the consequence of an untrusted checkout (same path, other end):
    # mapped to the trigger class so it can match a pwn-request label
    "github/secrets-to-untrusted": "privileged-trigger",
}
AB_CLASSES = ("injection", "unpinned-dependency", "excessive-permission", "privileged-trigger",
              "secrets-exposure", "artifact-integrity", "control-flow",
              "known-vulnerable-component", "runner-compatibility", "hardening-gap")


# ---------------------------------------------------------------------------------------------
# Regions
# ---------------------------------------------------------------------------------------------
class Regions:
    """Region of each line of one YAML file (see module docstring), plus node spans by start line."""

    def __init__(self, text: str):
        self.ok = False
        self.nlines = len(text.splitlines())
        self.spans: dict[int, int] = {}  # start line of a key or list item -> last line of its value
        self.bounds: list[tuple[int, int, tuple]] = []  # (first, last, region), innermost last
        try:
            root = yaml.compose(text)
        except yaml.YAMLError:
            return
        if not isinstance(root, MappingNode):
            return
        self.ok = True
        self._index_spans(root)
        top = [(k.start_mark.line + 1, str(k.value), v) for k, v in root.value if isinstance(k, ScalarNode)]
        for i, (start, name, value) in enumerate(top):
            end = (top[i + 1][0] - 1) if i + 1 < len(top) else self.nlines
            self.bounds.append((start, end, (name,)))
            if name == "jobs" and isinstance(value, MappingNode):
                jobs = [(k.start_mark.line + 1, str(k.value), v) for k, v in value.value if isinstance(k, ScalarNode)]
                for j, (js, jname, jv) in enumerate(jobs):
                    je = (jobs[j + 1][0] - 1) if j + 1 < len(jobs) else end
                    self.bounds.append((js, je, ("jobs", jname)))
                    self._steps(jv, js, je, ("jobs", jname))
            elif name == "runs":
                self._steps(value, start, end, ("runs",))

    def _index_spans(self, node):
        stack = [node]
        while stack:
            n = stack.pop()
            if isinstance(n, MappingNode):
                for k, v in n.value:
                    self.spans[k.start_mark.line + 1] = max(self.spans.get(k.start_mark.line + 1, 0), self._last(v))
                    stack.append(v)
            elif isinstance(n, SequenceNode):
                for item in n.value:
                    # a list item's own line is the dash line, one column left of the node
                    self.spans[item.start_mark.line + 1] = max(self.spans.get(item.start_mark.line + 1, 0), self._last(item))
                    stack.append(item)

    @staticmethod
    def _last(node) -> int:
        end = node.end_mark
        # end_mark points just past the node; at column 0 that is the start of the next line
        return end.line if end.column == 0 else end.line + 1

    def _steps(self, container, first, end, prefix):
        if not isinstance(container, MappingNode):
            return
        entries = [(k.start_mark.line + 1, str(k.value), v) for k, v in container.value if isinstance(k, ScalarNode)]
        for i, (start, name, value) in enumerate(entries):
            if name != "steps" or not isinstance(value, SequenceNode) or not value.value:
                continue
            limit = (entries[i + 1][0] - 1) if i + 1 < len(entries) else end
            later = [s for s, _, _ in entries if s > start]
            if later:
                limit = min(limit, min(later) - 1)
            starts = [item.start_mark.line + 1 for item in value.value]
            for idx, s in enumerate(starts):
                e = (starts[idx + 1] - 1) if idx + 1 < len(starts) else limit
                if first <= s <= end:  # an alias (`steps: *x`) points at a node elsewhere in the file
                    self.bounds.append((s, e, prefix + ("steps", idx)))

    def region(self, line: int):
        if not self.ok:
            return ("line", line)
        best = ("",)
        for first, last, reg in self.bounds:  # outer regions come first, inner ones later
            if first <= line <= last:
                best = reg
        return best


_region_cache: dict[str, Regions] = {}


def regions_of(path: str) -> Regions:
    if path not in _region_cache:
        try:
            text = open(path, encoding="utf-8").read()
        except (OSError, UnicodeDecodeError):
            text = ""
        _region_cache[path] = Regions(text)
    return _region_cache[path]


# ---------------------------------------------------------------------------------------------
# Tool output
# ---------------------------------------------------------------------------------------------
class F:
    """One finding: rule/audit, file (absolute), line, related lines, and a short text."""

    __slots__ = ("rule", "path", "line", "related", "text", "severity", "persona")

    def __init__(self, rule, path, line, related=(), text="", severity="", persona=""):
        self.rule, self.path, self.line, self.related = rule, path, line, tuple(related)
        self.text, self.severity, self.persona = text, severity, persona

    def __repr__(self):
        return f"{self.rule}@{os.path.basename(self.path)}:{self.line}"


def run(cmd, cwd=None, timeout=300):
    t0 = os.times()
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    t1 = os.times()
    cpu = (t1.children_user - t0.children_user) + (t1.children_system - t0.children_system)
    return p, cpu


CPU = collections.Counter()

# Open pipeguard misses: key -> set of (label persona, kind). Keys are those of recall-misses.tsv.
OPEN: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
RANK = {p: i for i, p in enumerate(PERSONAS)}


def pipeguard(args, tree, persona=None):
    cmd = [args.pipeguard, "scan", "--only", "github", "--format", "json", "--fail-on", "never"]
    if persona:
        cmd += ["--persona", persona]
    p, cpu = run(cmd + [tree])
    CPU["pipeguard"] += cpu
    try:
        doc = json.loads(p.stdout)
    except json.JSONDecodeError:
        raise SystemExit(f"pipeguard produced no JSON for {tree} (exit {p.returncode}): {p.stderr[-500:]}")
    out = []
    for f in doc.get("findings", []):
        loc = f["location"]
        path = os.path.normpath(os.path.join(tree, loc["path"]))
        rel = [(os.path.normpath(os.path.join(tree, r["location"]["path"])), r["location"]["start_line"])
               for r in f.get("related", []) if "location" in r]
        out.append(F(f["rule_id"], path, loc["start_line"], rel, f.get("message", ""), f.get("severity", "")))
    return out


ZCACHE = {"dir": None}


def zizmor(args, inputs, persona, cwd, config=None, extra=()):
    cmd = [args.zizmor, "--offline", "--no-progress", "--format", "json", f"--persona={persona}"]
    cmd += ["--config", config] if config else ["--no-config"]
    cmd += list(extra) + list(inputs)
    cached = None
    if ZCACHE["dir"]:
        # Keyed by the command and the input files' bytes (temp dirs differ between runs).
        import hashlib
        h = hashlib.sha256(json.dumps([os.path.basename(c) if c == args.zizmor else c for c in cmd[1:-len(inputs)]]).encode())
        for inp in inputs:
            base = os.path.join(cwd, inp)
            for dp, _, fns in sorted(os.walk(base)) if os.path.isdir(base) else [(os.path.dirname(base), [], [os.path.basename(base)])]:
                for n in sorted(fns):
                    fp = os.path.join(dp, n)
                    h.update(os.path.relpath(fp, base).encode())
                    try:
                        h.update(open(fp, "rb").read())
                    except OSError:
                        pass
        cached = os.path.join(ZCACHE["dir"], h.hexdigest() + ".json")
    if cached and os.path.exists(cached):
        stdout, stderr = json.load(open(cached))
    else:
        p, cpu = run(cmd, cwd=cwd)
        CPU["zizmor"] += cpu
        stdout, stderr = p.stdout, p.stderr
        if cached:
            os.makedirs(ZCACHE["dir"], exist_ok=True)
            json.dump([stdout, stderr], open(cached, "w"))
    try:
        doc = json.loads(stdout or "[]")
    except json.JSONDecodeError:
        return None, stderr
    out = []
    for x in doc:
        prim = [l for l in x["locations"] if l["symbolic"]["kind"] == "Primary"] or x["locations"][:1]
        if not prim:
            continue
        rel = []
        for l in x["locations"]:
            if l is prim[0]:
                continue
            key = l["symbolic"]["key"].get("Local", {}).get("verbatim_path")
            if key:
                rel.append((os.path.normpath(os.path.join(cwd, key)), l["concrete"]["location"]["start_point"]["row"] + 1))
        key = prim[0]["symbolic"]["key"].get("Local", {}).get("verbatim_path")
        if not key:
            continue
        d = x["determinations"]
        out.append(F(x["ident"], os.path.normpath(os.path.join(cwd, key)),
                     prim[0]["concrete"]["location"]["start_point"]["row"] + 1, rel,
                     prim[0]["symbolic"].get("annotation", ""), d["severity"].lower(), d["persona"].lower()))
    return out, stderr


# ---------------------------------------------------------------------------------------------
# Matching
# ---------------------------------------------------------------------------------------------
def bipartite(cands: list[list[int]]) -> dict[int, int]:
    """cands[i]: finding indices label i may take, best first. Returns finding -> label."""
    owner: dict[int, int] = {}

    def augment(i, seen):
        for j in cands[i]:
            if j in seen:
                continue
            seen.add(j)
            if j not in owner or augment(owner[j], seen):
                owner[j] = i
                return True
        return False

    for i in range(len(cands)):
        augment(i, set())
    return owner


def locs(f: F, related: bool):
    yield f.path, f.line
    if related:
        yield from f.related


MATCH = {"mode": "region"}


def same_region(path, line_a, line_b) -> bool:
    if MATCH["mode"] == "line":
        return line_a == line_b
    r = regions_of(path)
    return r.region(line_a) == r.region(line_b)


def match(labels, findings, ok, related=False, exclusive=None):
    """labels: list of (path, line, rules); findings: list of F. ok(label, finding) filters.
    exclusive(finding, path, line) -> label index the finding is confined to, or None.
    Returns (matched label indices -> finding, set of used finding indices)."""
    cands = []
    for li, (path, line, rules) in enumerate(labels):
        c = []
        for fi, f in enumerate(findings):
            if f.rule not in rules or not ok(li, f):
                continue
            best = None
            for p, l in locs(f, related):
                if p != path:
                    continue
                if exclusive is not None:
                    ex = exclusive(f, p, l)
                    if ex is not None and ex != li:
                        continue
                if same_region(path, line, l):
                    d = abs(l - line)
                    best = d if best is None else min(best, d)
            if best is not None:
                c.append((best, fi))
        cands.append([fi for _, fi in sorted(c)])
    owner = bipartite(cands)
    return {li: fi for fi, li in owner.items()}, set(owner)


# ---------------------------------------------------------------------------------------------
# gha-hazmat
# ---------------------------------------------------------------------------------------------
def hazmat(args, root, report):
    wfdir = os.path.join(root, ".github", "workflows")
    markers = []  # dicts: file, path, mline, aline, end, kind, audit
    for name in sorted(os.listdir(wfdir)):
        path = os.path.join(wfdir, name)
        lines = open(path, encoding="utf-8").read().splitlines()
        reg = regions_of(path)
        for i, text in enumerate(lines, 1):
            m = MARKER_RE.match(text)
            if not m:
                continue
            audit = HAZMAT_MARKERS.get((name, i))
            if audit is None:
                raise SystemExit(f"gha-hazmat: marker {name}:{i} is not in HAZMAT_MARKERS (corpus changed?)")
            a = i + 1
            while a <= len(lines) and (not lines[a - 1].strip() or lines[a - 1].lstrip().startswith("#")):
                a += 1
            end = max(a, reg.spans.get(a, a))
            markers.append(dict(file=name, path=path, mline=i, aline=a, end=end,
                                kind="NOT OK" if m.group(1) == "NOT OK" else "OK", audit=audit))
    if len(markers) != len(HAZMAT_MARKERS):
        raise SystemExit("gha-hazmat: HAZMAT_MARKERS lists markers the corpus does not have")
    for mk in markers:  # a node never reaches into the next marker
        nxt = [o["mline"] for o in markers if o["path"] == mk["path"] and o["mline"] > mk["mline"]]
        if nxt:
            mk["end"] = min(mk["end"], min(nxt) - 1)

    def exclusive(f, p, l):
        for idx, mk in enumerate(markers):
            if mk["path"] == p and mk["mline"] <= l <= mk["end"] and f.rule in mk["rules"]:
                return idx
        return None

    tools = {}
    pg_runs = {}
    for persona in PERSONAS:
        key = persona if args.pg_personas else "current"
        if key not in pg_runs:
            pg_runs[key] = pipeguard(args, root, persona if args.pg_personas else None)
        tools[("pipeguard", persona)] = pg_runs[key]
        zz, err = zizmor(args, ["."], persona, root)
        if zz is None:
            raise SystemExit(f"zizmor failed on gha-hazmat: {err[-400:]}")
        tools[("zizmor", persona)] = zz

    results = {}
    for (tool, persona), fs in tools.items():
        for mk in markers:
            mk["rules"] = pg_rules_for(mk["audit"]) if tool == "pipeguard" else [mk["audit"]]
        for related in (False, True):
            labels = [(mk["path"], mk["aline"], mk["rules"]) for mk in markers]
            okf = lambda li, f: True
            matched, used = match(labels, fs, okf, related, exclusive)
            res = {}
            for li, mk in enumerate(markers):
                res[li] = fs[matched[li]] if li in matched else None
            results[(tool, persona, related)] = res

    for persona in PERSONAS:
        r0 = results[("pipeguard", persona, False)]
        for i, mk in enumerate(markers):
            if mk["kind"] == "NOT OK" and not r0[i]:
                OPEN[f"hazmat:{mk['file']}:{mk['mline']}"][(persona, "FN")] += 1
            elif mk["kind"] == "OK" and r0[i]:
                OPEN[f"hazmat:{mk['file']}:{mk['mline']}"][(persona, "FP")] += 1

    # Tables
    notok = [i for i, mk in enumerate(markers) if mk["kind"] == "NOT OK"]
    okm = [i for i, mk in enumerate(markers) if mk["kind"] == "OK"]
    online = [i for i in notok if markers[i]["audit"] in ONLINE]
    report.append(f"## gha-hazmat: {len(notok)} NOT OK markers ({len(online)} need online audits), {len(okm)} OK markers\n")
    report.append("TP = NOT OK markers matched; FN = NOT OK markers missed; FP = findings of the marker's rule on an OK marker.")
    report.append("+rel: a related location may match too.\n")
    report.append("| persona | pipeguard TP | FN | FP(OK) | TP +rel | zizmor TP | FN | FP(OK) | TP +rel |")
    report.append("|---|---|---|---|---|---|---|---|---|")
    summary = {}
    for persona in PERSONAS:
        row = [persona]
        for tool in ("pipeguard", "zizmor"):
            r0, r1 = results[(tool, persona, False)], results[(tool, persona, True)]
            tp = sum(1 for i in notok if r0[i])
            fp = sum(1 for i in okm if r0[i])
            tpr = sum(1 for i in notok if r1[i])
            row += [str(tp), str(len(notok) - tp), str(fp), str(tpr)]
            summary[(tool, persona)] = (tp, len(notok) - tp, fp)
        report.append("| " + " | ".join(row) + " |")
    report.append("")
    # per audit
    report.append("Per marker kind (zizmor audit of the marker; pipeguard rules mapped to it):\n")
    report.append("| marker audit | NOT OK | pipeguard | zizmor regular | zizmor pedantic | zizmor auditor | FP on OK (pg / zz reg / zz aud) |")
    report.append("|---|---|---|---|---|---|---|")
    byaudit = collections.OrderedDict()
    for i, mk in enumerate(markers):
        byaudit.setdefault(mk["audit"], []).append(i)
    for audit, idx in sorted(byaudit.items(), key=lambda kv: -len(kv[1])):
        n = [i for i in idx if markers[i]["kind"] == "NOT OK"]
        o = [i for i in idx if markers[i]["kind"] == "OK"]
        cnt = lambda t, p, s: sum(1 for i in s if results[(t, p, False)][i])
        tag = " (online)" if audit in ONLINE else ""
        report.append(f"| {audit}{tag} | {len(n)} | {cnt('pipeguard', 'regular', n)} | {cnt('zizmor', 'regular', n)} | "
                      f"{cnt('zizmor', 'pedantic', n)} | {cnt('zizmor', 'auditor', n)} | "
                      f"{cnt('pipeguard', 'regular', o)} / {cnt('zizmor', 'regular', o)} / {cnt('zizmor', 'auditor', o)} |")
    report.append("")
    if args.details:
        report.append("Every marker (pg = pipeguard, zr/zp/za = zizmor regular/pedantic/auditor; the matched finding's line):\n")
        report.append("| file:marker | kind | audit | pg | zr | zp | za |")
        report.append("|---|---|---|---|---|---|---|")
        for i, mk in enumerate(markers):
            cell = lambda t, p: (f"{results[(t, p, False)][i].rule.split('/')[-1]}:{results[(t, p, False)][i].line}"
                                 if results[(t, p, False)][i] else
                                 ("rel" if results[(t, p, True)][i] else "-"))
            report.append(f"| {mk['file']}:{mk['mline']} | {mk['kind']} | {mk['audit']} | {cell('pipeguard', 'regular')} | "
                          f"{cell('zizmor', 'regular')} | {cell('zizmor', 'pedantic')} | {cell('zizmor', 'auditor')} |")
        report.append("")
    return summary


# ---------------------------------------------------------------------------------------------
# zizmor integration fixtures
# ---------------------------------------------------------------------------------------------
SNAP_START = re.compile(r"insta::assert_snapshot!\(")
FINDING_RE = re.compile(r"^\s*(error|warning|help|info|note)\[([a-z0-9-]+)\]: .*$")
ARROW_RE = re.compile(r"^\s*--> (\S+):(\d+):(\d+)\s*$")
LEVEL_SEVERITY = {"error": "high", "warning": "medium", "help": "low", "info": "informational", "note": "informational"}


def rust_literal(text, i):
    """Parse a Rust string literal starting at text[i] (after '@'). Returns (value, end index)."""
    if text.startswith("r", i):
        j = i + 1
        hashes = 0
        while text[j] == "#":
            hashes += 1
            j += 1
        assert text[j] == '"'
        term = '"' + "#" * hashes
        k = text.index(term, j + 1)
        return text[j + 1:k], k + len(term)
    assert text[i] == '"'
    out, j = [], i + 1
    while text[j] != '"':
        if text[j] == "\\":
            nxt = text[j + 1]
            out.append({"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'"}.get(nxt, nxt))
            if nxt == "\n":  # line continuation
                out.pop()
                j += 2
                while text[j] in " \t\n":
                    j += 1
                continue
            j += 2
        else:
            out.append(text[j])
            j += 1
    return "".join(out), j + 1


def parse_fixture_tests(itdir):
    """Every inline snapshot of tests/integration/audit/*.rs that runs zizmor on test-data inputs.
    Returns (cases, skipped) where a case is a dict: test, inputs, persona, config, args, expected
    [(input-relative path, line, audit, severity)]."""
    cases, skipped = [], collections.Counter()
    auditdir = os.path.join(itdir, "audit")
    for name in sorted(os.listdir(auditdir)):
        if not name.endswith(".rs") or name == "mod.rs":
            continue
        text = open(os.path.join(auditdir, name), encoding="utf-8").read()
        fn_starts = [(m.start(), m.group(1)) for m in re.finditer(r"\bfn\s+(\w+)\s*\(", text)]
        for m in SNAP_START.finditer(text):
            fns = [f for f in fn_starts if f[0] < m.start()]
            test = fns[-1][1] if fns else "?"
            attr_from = text.rfind("#[test]", 0, fns[-1][0] if fns else m.start())
            attrs = text[max(0, attr_from - 200):fns[-1][0]] if fns else ""
            at = text.find("@", m.end())
            while at != -1 and text[at + 1] not in '"r':
                at = text.find("@", at + 1)
            if at == -1:
                continue
            chain = text[m.end():at]
            try:
                snap, _ = rust_literal(text, at + 1)
            except (AssertionError, ValueError, IndexError):
                skipped["unparsed literal"] += 1
                continue
            tid = f"{name[:-3]}::{test}"
            if "gh-token-tests" in attrs or "AssertOnline" in chain or "NetworkMode::Implicit" in chain:
                skipped["online test"] += 1
                continue
            if "workspace" in chain or ".stdin(" in chain:
                skipped["workspace/stdin (fix diff) test"] += 1
                continue
            args = []
            for am in re.finditer(r"\.args\(\[([^\]]*)\]\)", chain):
                args += re.findall(r'"([^"]*)"', am.group(1))
            if any(a.startswith("--fix") for a in args):
                skipped["--fix test"] += 1
                continue
            if "expects_failure" in chain:
                skipped["expects failure"] += 1
                continue
            inputs = re.findall(r'\.input\(\s*input_under_test\(\s*"([^"]+)"', chain)
            cfg = re.findall(r'\.config\(\s*input_under_test\(\s*"([^"]+)"', chain)
            if not inputs:
                skipped["no test-data input"] += 1
                continue
            persona = "regular"
            rest = []
            for a in args:
                if a.startswith("--persona="):
                    persona = a.split("=", 1)[1]
                elif a in ("--pedantic", "-p"):
                    persona = "pedantic"
                else:
                    rest.append(a)
            if any(not a.startswith("--") for a in rest) or any(a.startswith("--format") for a in rest):
                skipped["unsupported args"] += 1
                continue
            expected = []
            lines = snap.splitlines()
            for k, ln in enumerate(lines):
                fm = FINDING_RE.match(ln)
                if not fm:
                    continue
                for ln2 in lines[k + 1:k + 3]:
                    am = ARROW_RE.match(ln2)
                    if am:
                        p = am.group(1)
                        rel = p[len("@@INPUT@@"):].lstrip("/") if p.startswith("@@INPUT@@") else None
                        expected.append((rel, int(am.group(2)), fm.group(2), LEVEL_SEVERITY[fm.group(1)]))
                        break
            if len(inputs) > 1 and expected:
                skipped["several inputs (paths ambiguous)"] += 1
                continue
            cases.append(dict(test=tid, inputs=inputs, persona=persona, config=cfg[0] if cfg else None,
                              args=rest, expected=expected, snap_empty="No findings" in snap))
    return cases, skipped


def fixture_tree(tdir, inp, work):
    """Lay an input out as a repository pipeguard recognises; return (tree, map tree path -> source)."""
    src = os.path.join(tdir, inp)
    tree = os.path.join(work, re.sub(r"[^A-Za-z0-9]+", "_", inp))
    if os.path.isdir(tree):
        return tree
    os.makedirs(tree)
    if os.path.isdir(src):
        for n in os.listdir(src):
            s = os.path.join(src, n)
            if os.path.isfile(s):
                shutil.copy(s, os.path.join(tree, n))
        return tree
    base = os.path.basename(src)
    if base in ("action.yml", "action.yaml"):
        shutil.copy(src, os.path.join(tree, base))
    elif base in ("dependabot.yml", "dependabot.yaml"):
        os.makedirs(os.path.join(tree, ".github"))
        shutil.copy(src, os.path.join(tree, ".github", base))
    else:
        os.makedirs(os.path.join(tree, ".github", "workflows"))
        shutil.copy(src, os.path.join(tree, ".github", "workflows", base))
    return tree


def zizmor_ignores(path):
    """line -> set of audits named in a `# zizmor: ignore[a, b]` comment on that line."""
    out = {}
    try:
        for i, ln in enumerate(open(path, encoding="utf-8"), 1):
            m = re.search(r"zizmor:\s*ignore\[([^\]]+)\]", ln)
            if m:
                out[i] = {a.strip() for a in m.group(1).split(",")}
    except OSError:
        pass
    return out


def fixtures(args, zroot, report):
    itdir = os.path.join(zroot, "crates", "zizmor", "tests", "integration")
    tdir = os.path.join(itdir, "test-data")
    cases, skipped = parse_fixture_tests(itdir)
    work = tempfile.mkdtemp(prefix="recall-fixtures-")
    pg_cache = {}
    rows = []  # per case and tool: expected, tp list, fn list, fp list
    detail = []
    seen = set()
    excluded = collections.Counter()
    for c in cases:
        key = (tuple(c["inputs"]), c["persona"], c["config"], tuple(c["args"]))
        if key in seen:
            continue
        seen.add(key)
        inp = c["inputs"][0]
        src = os.path.realpath(os.path.join(tdir, inp))
        files = {}  # rel -> abs source path
        if os.path.isdir(src):
            for n in os.listdir(src):
                files[n] = os.path.join(src, n)
        else:
            files[""] = src
        exp = []
        for rel, line, audit, sev in c["expected"]:
            path = os.path.join(src, rel) if (rel and os.path.isdir(src)) else src
            exp.append((os.path.realpath(path), line, audit, sev))
        # pipeguard
        pkey = (inp, c["persona"] if args.pg_personas else None)
        if pkey not in pg_cache:
            tree = fixture_tree(tdir, inp, work)
            fs = pipeguard(args, tree, c["persona"] if args.pg_personas else None)
            back = {}
            for dp, _, fns in os.walk(tree):
                for n in fns:
                    t = os.path.join(dp, n)
                    back[t] = (os.path.join(src, n) if os.path.isdir(src) else src)
            for f in fs:
                f.path = back.get(f.path, f.path)
                f.related = tuple((back.get(p, p), l) for p, l in f.related)
            pg_cache[pkey] = fs
        pg = pg_cache[pkey]
        cfg = os.path.join(tdir, c["config"]) if c["config"] else None
        zz, err = zizmor(args, [src], c["persona"], os.path.dirname(src), cfg, c["args"])
        if zz is None:
            zz = []
        for f in zz:
            f.path = os.path.realpath(f.path)
        ign = {p: zizmor_ignores(p) for p in set(files.values())}
        # audits a test's zizmor config configures are not comparable with pipeguard's defaults
        cfg_audits = set()
        if cfg:
            try:
                cfg_audits = set((yaml.safe_load(open(cfg, encoding="utf-8")) or {}).get("rules", {}) or {})
            except (OSError, yaml.YAMLError, AttributeError):
                pass
        excluded["config"] += sum(1 for e in exp if e[2] in cfg_audits)
        exp = [e for e in exp if e[2] not in cfg_audits]
        cfg_rules = {r for a in cfg_audits for r in pg_rules_for(a)}
        pg = [f for f in pg if f.rule not in cfg_rules]
        zz = [f for f in zz if f.rule not in cfg_audits]
        for tool, fs, rules_of in (("pipeguard", pg, pg_rules_for), ("zizmor", zz, lambda a: [a])):
            for related in (False, True):
                labels = [(p, l, rules_of(a)) for p, l, a, _ in exp]
                matched, used = match(labels, fs, lambda li, f: True, related)
                if related:
                    rows.append(dict(tool=tool + "+rel", case=c, exp=exp, matched=matched, fp=[]))
                    continue
                mapped_rules = set()
                for a in (set(SHARED) | set(PROPOSED)):
                    mapped_rules.update(rules_of(a))
                fp = []
                for fi, f in enumerate(fs):
                    if fi in used or f.rule not in mapped_rules:
                        continue
                    audits = [a for a in set(SHARED) | set(PROPOSED) if f.rule in rules_of(a)]
                    ig = ign.get(f.path, {})
                    if any(a in ig.get(l, ()) for a in audits for l in range(f.line - 3, f.line + 4)):
                        continue  # the fixture silences this audit there
                    if tool == "zizmor" and f.rule not in SHARED and f.rule not in PROPOSED:
                        continue
                    fp.append(f)
                rows.append(dict(tool=tool, case=c, exp=exp, matched=matched, fp=fp))
    shutil.rmtree(work, ignore_errors=True)
    for r in rows:
        if r["tool"] != "pipeguard":
            continue
        c = r["case"]
        for li, (p, l, a, s) in enumerate(r["exp"]):
            if a in SHARED and li not in r["matched"]:
                OPEN[f"fixtures:{c['test']}:{os.path.relpath(p, tdir)}:{l}:{a}"][(c["persona"], "FN")] += 1
        for f in r["fp"]:
            OPEN[f"fixtures:{c['test']}:{os.path.relpath(f.path, tdir)}:{f.line}:{f.rule}"][(c["persona"], "FP")] += 1

    def agg(tool, persona, audits, sev_ok=lambda s: True):
        tp = fn = 0
        fp = 0
        for r in rows:
            if r["tool"] != tool or r["case"]["persona"] != persona:
                continue
            for li, (p, l, a, s) in enumerate(r["exp"]):
                if a not in audits or not sev_ok(s):
                    continue
                if li in r["matched"]:
                    tp += 1
                else:
                    fn += 1
            for f in r["fp"]:
                if tool.startswith("pipeguard"):
                    if any(f.rule in pg_rules_for(a) for a in audits):
                        fp += 1
                elif f.rule in audits:
                    fp += 1
        return tp, fn, fp

    ncases = len(seen)
    report.append(f"## zizmor integration fixtures: {ncases} snapshot runs of tests/integration/audit/*.rs "
                  f"(skipped: {', '.join(f'{v} {k}' for k, v in sorted(skipped.items()))})\n")
    report.append("Expected = the findings in the inline snapshot (zizmor at the repository's commit), at the test's persona.")
    report.append("zizmor column = the installed zizmor run on the same input with the same arguments.")
    report.append(f"Not scored: {excluded['config']} expected findings of audits that the test's zizmor config configures"
                  " (pipeguard runs with its defaults); pipeguard findings on lines carrying `zizmor: ignore[audit]`.\n")
    shared = set(SHARED)
    allaud = {a for r in rows for _, _, a, _ in r["exp"]} - ONLINE
    report.append("| test persona | audits | expected | pipeguard TP | FN | FP | TP +rel | zizmor TP | FN | FP |")
    report.append("|---|---|---|---|---|---|---|---|---|---|")
    summary = {}
    for persona in PERSONAS:
        for label, auds in (("shared", shared), ("all offline", allaud)):
            tp, fn, fp = agg("pipeguard", persona, auds)
            tpr, _, _ = agg("pipeguard+rel", persona, auds)
            ztp, zfn, zfp = agg("zizmor", persona, auds)
            summary[(persona, label)] = (tp, fn, fp, ztp, zfn, zfp)
            report.append(f"| {persona} | {label} | {tp + fn} | {tp} | {fn} | {fp} | {tpr} | {ztp} | {zfn} | {zfp} |")
    tot = [sum(summary[(p, "shared")][i] for p in PERSONAS) for i in range(6)]
    report.append(f"| all | shared | {tot[0] + tot[1]} | {tot[0]} | {tot[1]} | {tot[2]} | | {tot[3]} | {tot[4]} | {tot[5]} |")
    summary[("all", "shared")] = tuple(tot)
    report.append("")
    report.append("Per audit (all personas; pipeguard rules mapped to the audit):\n")
    report.append("| audit | pipeguard rules | expected | pipeguard TP | FP | zizmor TP | FP |")
    report.append("|---|---|---|---|---|---|---|")
    for a in sorted(allaud | shared, key=lambda a: (a not in shared, a)):
        t = [agg("pipeguard", p, {a}) for p in PERSONAS]
        z = [agg("zizmor", p, {a}) for p in PERSONAS]
        e = sum(x[0] + x[1] for x in t)
        rules = ", ".join(r.split("/")[1] for r in SHARED.get(a, [])) or "(proposed: " + ", ".join(
            r.split("/")[1] for r in PROPOSED.get(a, [])) + ")"
        report.append(f"| {a} | {rules} | {e} | {sum(x[0] for x in t)} | {sum(x[2] for x in t)} | "
                      f"{sum(x[0] for x in z)} | {sum(x[2] for x in z)} |")
    report.append("")
    if args.details:
        report.append("Every expected finding of a shared audit pipeguard misses, and every FP (file:line audit/rule):\n")
        for r in rows:
            if r["tool"] != "pipeguard":
                continue
            c = r["case"]
            for li, (p, l, a, s) in enumerate(r["exp"]):
                if a in shared and li not in r["matched"]:
                    report.append(f"- FN [{c['persona']}] {os.path.relpath(p, tdir)}:{l} {a} ({s}) — {c['test']}")
            for f in r["fp"]:
                report.append(f"- FP [{c['persona']}] {os.path.relpath(f.path, tdir)}:{f.line} {f.rule} — {c['test']}: {f.text[:110]}")
        for r in rows:
            if r["tool"] != "zizmor":
                continue
            c = r["case"]
            for li, (p, l, a, s) in enumerate(r["exp"]):
                if a in shared and li not in r["matched"]:
                    report.append(f"- zizmor-FN [{c['persona']}] {os.path.relpath(p, tdir)}:{l} {a} — {c['test']}")
            for f in r["fp"]:
                if f.rule in shared:
                    report.append(f"- zizmor-FP [{c['persona']}] {os.path.relpath(f.path, tdir)}:{f.line} {f.rule} — {c['test']}")
        report.append("")
    return summary


# ---------------------------------------------------------------------------------------------
# ActionsBench
# ---------------------------------------------------------------------------------------------
def actionsbench_cases(root):
    """root: the unpacked wheel (has actionsbench/_corpus/cases) or a directory holding the wheel."""
    cand = [os.path.join(root, "actionsbench", "_corpus", "cases"), os.path.join(root, "_corpus", "cases"),
            os.path.join(root, "corpus", "cases")]
    for c in cand:
        if os.path.isdir(c):
            return c, None
    wheels = sorted(n for n in os.listdir(root) if n.startswith("actionsbench-") and n.endswith(".whl"))
    if not wheels:
        raise SystemExit(f"ActionsBench: no cases under {root} and no actionsbench-*.whl")
    tmp = tempfile.mkdtemp(prefix="recall-ab-")
    with zipfile.ZipFile(os.path.join(root, wheels[-1])) as z:
        for n in z.namelist():
            if n.startswith("actionsbench/_corpus/") and ".." not in n:
                z.extract(n, tmp)
    return os.path.join(tmp, "actionsbench", "_corpus", "cases"), tmp


def actionsbench(args, root, report):
    cdir, tmp = actionsbench_cases(root)
    cases = []
    for cid in sorted(os.listdir(cdir)):
        meta = os.path.join(cdir, cid, "case.yaml")
        if not os.path.isfile(meta):
            continue
        doc = yaml.safe_load(open(meta, encoding="utf-8"))
        cases.append(dict(id=cid, neg=bool(doc.get("is_negative")), title=doc.get("title", ""),
                          expected=[(e["weakness_class"], e["file"], int(e["line"])) for e in doc.get("expected") or []],
                          root=os.path.join(cdir, cid)))
    work = tempfile.mkdtemp(prefix="recall-abrun-")
    zscope = set(AB_ZIZMOR.values())
    zscope_x = zscope | set(AB_ZIZMOR_EXTRA.values())
    pscope = set(AB_PIPEGUARD.values())
    variants = [("pipeguard", p) for p in PERSONAS] + [("zizmor", p) for p in PERSONAS] + [("zizmor+", p) for p in PERSONAS]
    res = {v: collections.defaultdict(lambda: [0, 0, 0, 0, 0]) for v in variants}  # class -> tp fn fp fp_on_neg tp+rel
    per_case = collections.defaultdict(dict)
    pg_cache = {}
    for c in cases:
        scan = os.path.join(work, c["id"])
        shutil.copytree(os.path.join(c["root"], ".github"), os.path.join(scan, ".github"), symlinks=True)
        outs = {}
        for persona in PERSONAS:
            k = (c["id"], persona if args.pg_personas else None)
            if k not in pg_cache:
                pg_cache[k] = pipeguard(args, scan, persona if args.pg_personas else None)
            outs[("pipeguard", persona)] = [(AB_PIPEGUARD.get(f.rule), f) for f in pg_cache[k]]
            zz, err = zizmor(args, ["."], persona, scan)
            zz = zz or []
            outs[("zizmor", persona)] = [(AB_ZIZMOR.get(f.rule), f) for f in zz]
            outs[("zizmor+", persona)] = [(AB_ZIZMOR.get(f.rule) or AB_ZIZMOR_EXTRA.get(f.rule), f) for f in zz]
        for v, fl in outs.items():
            scope = pscope if v[0] == "pipeguard" else (zscope if v[0] == "zizmor" else zscope_x)
            for cls in AB_CLASSES:
                exp = [(os.path.join(c["root"], fi), ln, {cls}) for k2, fi, ln in c["expected"] if k2 == cls]
                found = [F(cls, os.path.join(c["root"], os.path.relpath(f.path, scan)), f.line,
                           [(os.path.join(c["root"], os.path.relpath(p, scan)), l) for p, l in f.related], f.rule)
                         for k2, f in fl if k2 == cls]
                if cls not in scope:
                    continue
                matched, used = match(exp, found, lambda li, f: True)
                matched_rel, _ = match(exp, found, lambda li, f: True, related=True)
                r = res[v][cls]
                r[4] += len(matched_rel)
                r[0] += len(matched)
                r[1] += len(exp) - len(matched)
                extra = [found[i] for i in range(len(found)) if i not in used]
                r[2] += len(extra)
                if c["neg"]:
                    r[3] += len(extra)
                if v[0] == "pipeguard":
                    for li, e in enumerate(exp):
                        if li not in matched:
                            OPEN[f"ab:{c['id']}:{e[1]}:{cls}"][(v[1], "FN")] += 1
                    for x in extra:
                        OPEN[f"ab:{c['id']}:{x.line}:{x.text}"][(v[1], "FP" if not c["neg"] else "FP-benign")] += 1
                per_case[c["id"]][v] = per_case[c["id"]].get(v, []) + [("TP", found[fi]) for fi in matched.values()] + \
                    [("FN", e) for li, e in enumerate(exp) if li not in matched] + [("FP", x) for x in extra]
    shutil.rmtree(work, ignore_errors=True)
    if tmp:
        shutil.rmtree(tmp, ignore_errors=True)
    npos = sum(1 for c in cases if not c["neg"])
    nlab = sum(len(c["expected"]) for c in cases)
    report.append(f"## ActionsBench: {len(cases)} cases ({npos} labelled, {len(cases) - npos} benign), {nlab} labels\n")
    report.append("Scored as ActionsBench scores (region matching, one-to-one, each tool judged on the classes of its mapping only).")
    report.append("'zizmor' uses ActionsBench's own zizmor mapping; 'zizmor+' adds " +
                  ", ".join(f"{a}→{c}" for a, c in AB_ZIZMOR_EXTRA.items()) + ".")
    report.append("FP = findings matching no label (in a mapped class); FP neg = of those, on the benign cases.\n")
    report.append("| tool | persona | labels in scope | TP | FN | FP | FP neg | TP +rel |")
    report.append("|---|---|---|---|---|---|---|---|")
    summary = {}
    for v in variants:
        tp = sum(x[0] for x in res[v].values())
        fn = sum(x[1] for x in res[v].values())
        fp = sum(x[2] for x in res[v].values())
        fpn = sum(x[3] for x in res[v].values())
        tpr = sum(x[4] for x in res[v].values())
        summary[v] = (tp, fn, fp, fpn)
        report.append(f"| {v[0]} | {v[1]} | {tp + fn} | {tp} | {fn} | {fp} | {fpn} | {tpr} |")
    report.append("")
    report.append("Per class (TP/labels; pipeguard, zizmor regular, zizmor auditor, zizmor+ auditor):\n")
    report.append("| class | labels | pipeguard | zizmor reg | zizmor aud | zizmor+ aud |")
    report.append("|---|---|---|---|---|---|")
    for cls in AB_CLASSES:
        n = sum(1 for c in cases for e in c["expected"] if e[0] == cls)
        if not n:
            continue
        cell = lambda v, s: (f"{res[v][cls][0]}" if cls in s else "out of scope")
        report.append(f"| {cls} | {n} | {cell(('pipeguard', 'regular'), pscope)} | {cell(('zizmor', 'regular'), zscope)} | "
                      f"{cell(('zizmor', 'auditor'), zscope)} | {cell(('zizmor+', 'auditor'), zscope_x)} |")
    report.append("")
    if args.details:
        report.append("Per case (pipeguard current; zizmor+ regular and auditor):\n")
        for c in cases:
            bits = []
            for v in (("pipeguard", "regular"), ("zizmor+", "regular"), ("zizmor+", "auditor")):
                items = per_case[c["id"]].get(v, [])
                s = ", ".join(f"FN {next(iter(x[2]))}:{x[1]}" if k == "FN" else f"{k} {x.text.split('/')[-1]}:{x.line}"
                              for k, x in items)
                bits.append(f"{v[0]}/{v[1][:3]}: {s or '-'}")
            lab = "; ".join(f"{k}@{os.path.basename(fi)}:{ln}" for k, fi, ln in c["expected"]) or "benign"
            report.append(f"- {c['id']} ({lab}) — " + " | ".join(bits))
        report.append("")
    return summary


def misses_report(path, report):
    """Group pipeguard's open misses by the work item recall-misses.tsv assigns them."""
    table = {}
    with open(path, encoding="utf-8") as fh:
        for ln in fh:
            if ln.startswith("#") or ln.startswith("key\t") or not ln.strip():
                continue
            key, kind, item, persona, cause = ln.rstrip("\n").split("\t", 4)
            table[key] = (kind, item, persona, cause)
    gain = collections.defaultdict(collections.Counter)
    unclassified = []
    for key, occ in sorted(OPEN.items()):
        if key not in table:
            unclassified.append((key, sorted(occ.items())))
            continue
        kind, item, persona, _ = table[key]
        corpus = key.split(":", 1)[0]
        for (row_persona, k), n in occ.items():
            reachable = persona != "-" and RANK[persona] <= RANK[row_persona]
            col = f"{corpus} {row_persona}" if corpus != "fixtures" else "fixtures"
            if k == "FN":
                gain[item][(col, "open")] += n
                if reachable:
                    gain[item][(col, "gain")] += n
            else:
                gain[item][("fp", key)] = 1
    cols = ["hazmat regular", "hazmat auditor", "fixtures", "ab regular", "ab auditor"]
    report.append("## Open pipeguard misses by work item (recall-misses.tsv)\n")
    report.append("gain/open: misses the item fixes at that persona (the item's persona <= the row's) / misses still open;"
                  " fixtures at each test's persona, shared audits only. fp: false positives the item removes.\n")
    report.append("| item | " + " | ".join(cols) + " | fp |")
    report.append("|---|" + "---|" * (len(cols) + 1))
    for item in sorted(gain, key=lambda i: (-sum(v for (c, k), v in gain[i].items() if k == "gain"), i)):
        g = gain[item]
        cells = [f"{g[(c, 'gain')]}/{g[(c, 'open')]}" if g[(c, "open")] else "" for c in cols]
        fps = sum(1 for (c, k) in g if c == "fp")
        report.append(f"| {item} | " + " | ".join(cells) + f" | {fps or ''} |")
    report.append("")
    if unclassified:
        report.append(f"Not classified in {os.path.basename(path)} ({len(unclassified)}): new misses or FPs to judge:\n")
        for key, occ in unclassified:
            report.append(f"- {key} {occ}")
        report.append("")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpora", help="directory with gha-hazmat/, zizmor/ and actionsbench/ (see recall.sh)")
    ap.add_argument("--pipeguard", required=True)
    ap.add_argument("--zizmor", required=True)
    ap.add_argument("--pg-personas", action="store_true",
                    help="run pipeguard once per persona with --persona P (once the flag exists)")
    ap.add_argument("--only", default="hazmat,fixtures,actionsbench")
    ap.add_argument("--details", action="store_true", help="list every label and finding behind the tables")
    ap.add_argument("--json", help="write the summary figures here")
    ap.add_argument("--misses", help="recall-misses.tsv: group pipeguard's misses by work item, list unjudged ones")
    ap.add_argument("--match", choices=("region", "line"), default="region",
                    help="region (default): same step/job/top-level key; line: the very same line")
    ap.add_argument("--zizmor-cache", help="directory caching zizmor's output per command and input bytes "
                    "(iterating on pipeguard; the CPU line then counts only zizmor runs not cached)")
    args = ap.parse_args()
    ZCACHE["dir"] = args.zizmor_cache
    only = set(args.only.split(","))
    MATCH["mode"] = args.match
    report = []
    zv = subprocess.run([args.zizmor, "--version"], capture_output=True, text=True).stdout.strip()
    pv = subprocess.run([args.pipeguard, "--version"], capture_output=True, text=True).stdout.strip()
    report.append(f"# GitHub recall: {pv} ({'per persona' if args.pg_personas else 'single behaviour'}) vs {zv} --offline, "
                  f"{args.match} matching\n")
    for name in ("gha-hazmat", "zizmor"):
        d = os.path.join(args.corpora, name)
        rev = subprocess.run(["git", "-C", d, "log", "-1", "--format=%h %cs"], capture_output=True, text=True).stdout.strip()
        report.append(f"- {name}: {rev or 'not a git checkout'}")
    abd = os.path.join(args.corpora, "actionsbench")
    abv = sorted(n for n in (os.listdir(abd) if os.path.isdir(abd) else []) if n.startswith("actionsbench-"))
    report.append(f"- actionsbench: {', '.join(abv) or '?'}\n")
    out = {}
    t0 = time.time()
    if "hazmat" in only:
        out["hazmat"] = {f"{k[0]}/{k[1]}": v for k, v in hazmat(args, os.path.join(args.corpora, "gha-hazmat"), report).items()}
    if "fixtures" in only:
        out["fixtures"] = {f"{k[0]}/{k[1]}": v for k, v in fixtures(args, os.path.join(args.corpora, "zizmor"), report).items()}
    if "actionsbench" in only:
        out["actionsbench"] = {f"{k[0]}/{k[1]}": v for k, v in actionsbench(args, os.path.join(args.corpora, "actionsbench"), report).items()}
    if args.misses:
        misses_report(args.misses, report)
    report.append(f"(CPU of the tool runs: pipeguard {CPU['pipeguard']:.2f} s, zizmor {CPU['zizmor']:.2f} s; wall {time.time() - t0:.0f} s)")
    print("\n".join(report))
    if args.json:
        json.dump(out, open(args.json, "w"), indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
