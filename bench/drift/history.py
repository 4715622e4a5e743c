#!/usr/bin/env python3
"""Drift over the first-parent history of a local git repository.

For each of the newest N first-parent commits that touch CI files, check the commit out in a
temporary clone and run `pipeguard drift --against <first parent> --format json`. Writes, in the
output directory:

  commits.jsonl   one line per commit: changed CI files, exit code, CPU, findings, drift entries,
                  formatting-only verdict, hint tags
  summary.json    per-rule / per-severity counts, exit codes, CPU, formatting-only and false drift
  sample.md       a seeded random sample of high/critical findings with the git diff of the file,
                  for judging by hand (+ sample.jsonl)
  candidates.md   commits reported only as job-added/changed/removed whose diff matches a
                  security-change pattern (issue 24's classes): leads to read, not verdicts

`aggregate OUT...` merges several output directories: one Markdown table of per-rule counts per
repository and one seeded sample over all of them.

Nothing here judges a finding: the hint tags (`new-job-existing-trigger`, `move:*`, `step-label`,
`new-stage-any-build`, `ignored-path`, `symlink`) say which known false-alarm shape a finding has, so that a reader
knows what to check in the diff.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

import yaml

try:
    YAML_LOADER = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    YAML_LOADER = yaml.SafeLoader

# What counts as a CI file when choosing commits: wider than what pipeguard reads, so that
# changes to files it does not cover (Jenkinsfile_*, JenkinsfileBase) are visible.
PATHSPECS = [
    ":(glob)**/.github/workflows/*.yml",
    ":(glob)**/.github/workflows/*.yaml",
    ":(glob,icase)**/*jenkinsfile*",
    ":(glob)**/config.xml",
]

# Sparse checkout: the job files plus everything that decides what the walk ignores.
SPARSE = [
    ".github/",
    "*[jJ][eE][nN][kK][iI][nN][sS][fF][iI][lL][eE]*",  # names are matched case-insensitively
    "[cC][oO][nN][fF][iI][gG].[xX][mM][lL]",
    ".gitignore",
    ".ignore",
    ".pipeguardignore",
    ".pipeguard.yml",
]

HIGH = {"high", "critical"}


def git(gitdir: str, *args: str, check: bool = True, text: bool = True) -> str:
    r = subprocess.run(
        ["git", "--git-dir", gitdir, *args],
        capture_output=True,
        text=text,
        errors="replace" if text else None,
        check=False,
    )
    if check and r.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {r.stderr.strip()}")
    return r.stdout


def blob(gitdir: str, rev: str, path: str) -> bytes | None:
    r = subprocess.run(
        ["git", "--git-dir", gitdir, "cat-file", "blob", f"{rev}:{path}"],
        capture_output=True,
        check=False,
    )
    return r.stdout if r.returncode == 0 else None


# --- which files pipeguard treats as job files (mirrors cli/src/discover.rs by name) ---------


def kind_of(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    lower = name.lower()
    parent = path.rsplit("/", 1)[0] if "/" in path else ""
    if lower.endswith((".yml", ".yaml")):
        if parent == ".github/workflows" or parent.endswith("/.github/workflows"):
            return "workflow"
        return "other"
    if name == "Jenkinsfile" or name.startswith("Jenkinsfile.") or lower.endswith(".jenkinsfile"):
        return "jenkinsfile"
    if lower == "config.xml":
        return "config-xml"
    if "jenkinsfile" in lower:
        return "jenkinsfile-uncovered"  # Jenkinsfile_k8s, Jenkinsfile-ci, JenkinsfileBase ...
    return "other"


# --- meaning-equality heuristics for the formatting-only verdict -----------------------------

GROOVY_TOKEN = re.compile(
    r"""'''(?:\\.|(?!''').)*'''|\"\"\"(?:\\.|(?!\"\"\").)*\"\"\""""
    r"""|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|[A-Za-z_$][\w$]*|\d[\w.]*|\S""",
    re.S,
)


def strip_groovy_comments(text: str) -> str:
    """Remove // and /* */ comments (and a #! line) outside string literals."""
    out = []
    i, n = 0, len(text)
    if text.startswith("#!"):
        i = text.find("\n") if "\n" in text else n
    while i < n:
        c = text[i]
        if text.startswith("'''", i) or text.startswith('"""', i):
            q = text[i : i + 3]
            j = text.find(q, i + 3)
            while j != -1 and text[j - 1] == "\\":
                j = text.find(q, j + 1)
            j = n if j == -1 else j + 3
            out.append(text[i:j])
            i = j
        elif c in "'\"":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j == -1 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j == -1 else j + 2
            out.append(" ")
        else:
            out.append(c)
            i += 1
    return "".join(out)


def groovy_tokens(text: str) -> list[str]:
    return GROOVY_TOKEN.findall(strip_groovy_comments(text.lstrip("\ufeff")))


def load_yaml(data: bytes):
    return yaml.load(data.decode("utf-8", "replace").lstrip("\ufeff"), Loader=YAML_LOADER)


XML_DECL = re.compile(rb"^\s*<\?xml[^>]*\?>")


def xml_canon(data: bytes, drop_plugin: bool):
    data = XML_DECL.sub(b"", data.lstrip(b"\xef\xbb\xbf"), count=1)
    root = ET.fromstring(data)  # comments and processing instructions are dropped

    def walk(e):
        attrs = sorted((k, v) for k, v in e.attrib.items() if not (drop_plugin and k == "plugin"))
        text = (e.text or "").strip()
        if e.tag == "script" and text:
            text = tuple(groovy_tokens(text))
        return (e.tag, tuple(attrs), text, tuple(walk(c) for c in e))

    return walk(root)


def same_meaning(path: str, old: bytes, new: bytes) -> str | None:
    """'formatting' / 'plugin-version' when the two versions mean the same, else None."""
    k = kind_of(path)
    try:
        if k == "workflow":
            return "formatting" if load_yaml(old) == load_yaml(new) else None
        if k in ("jenkinsfile", "jenkinsfile-uncovered"):
            return (
                "formatting"
                if groovy_tokens(old.decode("utf-8", "replace"))
                == groovy_tokens(new.decode("utf-8", "replace"))
                else None
            )
        if k == "config-xml":
            if xml_canon(old, False) == xml_canon(new, False):
                return "formatting"
            if xml_canon(old, True) == xml_canon(new, True):
                return "plugin-version"
            return None
    except Exception:  # unparsable on one side: not a formatting-only change
        return None
    return None


# --- hints --------------------------------------------------------------------------------


def workflow_triggers(data: bytes | None) -> set[str]:
    if data is None:
        return set()
    try:
        doc = load_yaml(data)
    except Exception:
        return set()
    if not isinstance(doc, dict):
        return set()
    on = doc.get("on", doc.get(True))
    if isinstance(on, str):
        return {on}
    if isinstance(on, list):
        return {str(x) for x in on}
    if isinstance(on, dict):
        return {str(x) for x in on}
    return set()


STEP_LABEL = re.compile(
    r"""\b(?:sh|bat|powershell|pwsh)\s*\((?:[^()]|\([^()]*\))*?\blabel\s*:\s*(['"])(.*?)\1""", re.S
)


def step_labels(text: str) -> set[str]:
    return {m.group(2) for m in STEP_LABEL.finditer(text)}


def canon_lines(diff: str, sign: str) -> str:
    lines = [ln[1:] for ln in diff.splitlines() if ln.startswith(sign) and not ln.startswith(sign * 3)]
    return "\n".join(lines)


# Security-change patterns for the job-changed-only leads (issue 24 classes). Matched on the
# added (+) or removed (-) lines of the git diff of CI files.
USES = re.compile(r"^\s*-?\s*uses:\s*['\"]?([^@\s'\"]+)@([^\s'\"#]+)")
LEADS = [
    ("remote-script", "+", re.compile(r"(curl|wget)\b[^|#\n]*\|\s*(sudo\s+)?(ba|z|)sh\b|bash\s+<\(\s*curl|iex\s*\(.*downloadstring", re.I)),
    ("untrusted-ref", "+", re.compile(r"github\.event\.(pull_request\.head\.(sha|ref)|workflow_run\.head_(branch|sha)|pull_request\.title|pull_request\.body|issue\.title|issue\.body|comment\.body|head_commit\.message)|github\.head_ref")),
    ("image-push", "+", re.compile(r"\b(skopeo\s+copy|crane\s+(push|copy|append)|oras\s+push|buildah\s+push|podman\s+push|ko\s+(build|publish|apply|resolve))\b")),
    ("persist-credentials", "+", re.compile(r"persist-credentials:\s*true")),
    ("if-removed", "-", re.compile(r"^\s*if:\s")),
    ("jenkins-sandbox-off", "+", re.compile(r"<sandbox>\s*false")),
    ("jenkins-trust", "+", re.compile(r"TrustEveryone|permitAll>\s*true|<permitAll>true|allowMembersOfWhitelistedOrgsAsAdmin>true")),
    ("jenkins-credentials", "+", re.compile(r"withCredentials|credentialsId|<credentialsId>|usernamePassword\(|string\(credentialsId")),
    ("jenkins-input-removed", "-", re.compile(r"^\s*input\b|<hudson\.model\.ParametersDefinitionProperty")),
]


def diff_leads(diff_text: str) -> list[dict]:
    """Patterns of security changes in a unified diff (file by file)."""
    found = []
    path = None
    minus_uses: dict[str, tuple[str, str]] = {}
    minus_if = collections.Counter()
    plus_if = collections.Counter()
    for ln in diff_text.splitlines():
        if ln.startswith("+++ "):
            path = ln[6:] if ln.startswith("+++ b/") else ln[4:]
            continue
        if ln.startswith("--- ") or ln.startswith("@@"):
            continue
        if not ln or ln[0] not in "+-":
            continue
        sign, body = ln[0], ln[1:]
        if body.strip().startswith("#"):
            continue
        for cls, want, rx in LEADS:
            if want == sign and rx.search(body):
                if cls == "if-removed":
                    minus_if[(path, body.strip())] += 1
                    continue
                found.append({"class": cls, "path": path, "line": body.strip()[:200]})
        if sign == "+" and re.match(r"^\s*if:\s", body):
            plus_if[(path, body.strip())] += 1
        m = USES.match(body)
        if m:
            action, ref = m.group(1), m.group(2)
            if sign == "-":
                minus_uses[action] = (ref, path)
            else:
                old = minus_uses.get(action)
                if old and re.fullmatch(r"[0-9a-f]{40}", old[0]) and not re.fullmatch(r"[0-9a-f]{40}", ref):
                    found.append({"class": "pin-downgraded", "path": path, "line": f"{action}@{old[0][:12]}… → @{ref}"})
                if (
                    not old
                    and not action.startswith(("actions/", "github/", "./", "docker://"))
                    and not re.fullmatch(r"[0-9a-f]{40}", ref)
                ):
                    found.append({"class": "new-unpinned-action", "path": path, "line": body.strip()[:200]})
    removed_ifs = sum((minus_if - plus_if).values())
    if removed_ifs:
        found.append({"class": "if-removed", "path": None, "line": f"{removed_ifs} `if:` line(s) removed and not re-added"})
    return found


# --- one repository ----------------------------------------------------------------------


def resolve_gitdir(repo: str) -> str:
    r = subprocess.run(["git", "-C", repo, "rev-parse", "--absolute-git-dir"], capture_output=True, text=True)
    if r.returncode == 0:
        return r.stdout.strip()
    r = subprocess.run(["git", "--git-dir", repo, "rev-parse", "--absolute-git-dir"], capture_output=True, text=True)
    if r.returncode == 0:
        return r.stdout.strip()
    sys.exit(f"not a git repository: {repo}")


def changed_ci_files(gitdir: str, parent: str, commit: str) -> list[dict]:
    out = git(gitdir, "diff-tree", "-r", "-M", "--no-commit-id", "--name-status", "-z", parent, commit, "--", *PATHSPECS)
    parts = out.split("\0")
    files = []
    i = 0
    while i < len(parts) - 1:
        st = parts[i]
        if not st:
            i += 1
            continue
        if st[0] in "RC":
            files.append({"status": st[0], "score": st[1:], "old_path": parts[i + 1], "path": parts[i + 2]})
            i += 3
        else:
            files.append({"status": st[0], "path": parts[i + 1]})
            i += 2
    for f in files:
        f["kind"] = kind_of(f["path"])
    return files


def run_drift(binary: str, cwd: str, parent: str) -> tuple[int, float, float, int, str, str]:
    """exit code, wall s, CPU s (user+sys of this child alone), max RSS KB, stdout, stderr."""
    t0 = time.monotonic()
    with tempfile.TemporaryFile() as err:
        p = subprocess.Popen(
            [binary, "drift", "--against", parent, "--format", "json", "--color", "never"],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=err,
        )
        out = p.stdout.read()
        p.stdout.close()
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        errtext = err.read().decode("utf-8", "replace")
    wall = time.monotonic() - t0
    return p.returncode, wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, out.decode("utf-8", "replace"), errtext


class WalkVisibility:
    """Why a file tracked at a commit would not be seen by pipeguard's working-tree walk:
    `symlink` (the walk never follows links; git stores the link target as a blob), `ignored`
    (a .gitignore rule matches it), or None. Rebuilds the commit's .gitignore files in a scratch
    work tree and asks `git check-ignore --no-index`."""

    def __init__(self, gitdir: str):
        self.gitdir = gitdir
        self.cache: dict[tuple[str, str], str | None] = {}
        self.trees: dict[str, str] = {}
        self.tmp = tempfile.mkdtemp(prefix="driftbench-ignore-")

    def _tree(self, commit: str) -> str:
        if commit not in self.trees:
            d = os.path.join(self.tmp, commit[:12])
            files = git(self.gitdir, "ls-tree", "-r", "--name-only", "-z", commit).split("\0")
            for p in files:
                if p == ".gitignore" or p.endswith("/.gitignore"):
                    os.makedirs(os.path.join(d, os.path.dirname(p)), exist_ok=True)
                    with open(os.path.join(d, p), "wb") as fh:
                        fh.write(blob(self.gitdir, commit, p) or b"")
            os.makedirs(d, exist_ok=True)
            if len(self.trees) > 8:
                old = next(iter(self.trees))
                shutil.rmtree(self.trees.pop(old), ignore_errors=True)
            self.trees[commit] = d
        return self.trees[commit]

    def why(self, commit: str, path: str) -> str | None:
        key = (commit, path)
        if key in self.cache:
            return self.cache[key]
        mode = git(self.gitdir, "ls-tree", commit, "--", path).split(" ", 1)[0]
        result = None
        if mode == "120000":
            result = "symlink"
        elif mode:
            r = subprocess.run(
                ["git", "--git-dir", self.gitdir, "--work-tree", self._tree(commit), "check-ignore", "--no-index", "-q", path],
                capture_output=True,
            )
            if r.returncode == 0:
                result = "ignored"
        self.cache[key] = result
        return result

    def close(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


def tag_walk_asymmetry(recs: list[dict], gitdir: str) -> None:
    """job-removed for a file still tracked at the commit but invisible to the walk:
    tag `ignored-path` or `symlink` (replaces earlier, looser tags)."""
    vis = WalkVisibility(gitdir)
    try:
        for r in recs:
            for f in r["findings"]:
                tags = [t for t in f.get("tags", []) if t not in ("ignored-path", "symlink")]
                if f["rule"] == "drift/job-removed":
                    src = (f.get("job") or "").partition("#")[0]
                    why = vis.why(r["commit"], src) if src else None
                    if why == "ignored":
                        tags.append("ignored-path")
                    elif why == "symlink":
                        tags.append("symlink")
                f["tags"] = tags
    finally:
        vis.close()


def tag_findings(rec: dict, gitdir: str, commit: str, parent: str) -> None:
    """Attach hint tags to each finding (see the module docstring)."""
    drift = rec["drift"]
    by_key = {(d["source"], d["id"]): d for d in drift}
    added = [d for d in drift if d["status"] == "added"]
    removed = [d for d in drift if d["status"] == "removed"]
    removed_canon = {canon_lines(d["diff"], "-"): d for d in removed}
    removed_ids = collections.defaultdict(list)
    for d in removed:
        removed_ids[d["id"]].append(d)
    renamed = {f["path"]: f["old_path"] for f in rec["files"] if f["status"] == "R"}
    moved = {}
    for d in added:
        c = canon_lines(d["diff"], "+")
        if c in removed_canon:
            moved[(d["source"], d["id"])] = "same-content"
        elif d["id"] in removed_ids or renamed.get(d["source"]):
            old = renamed.get(d["source"])
            if any(r["source"] == old for r in removed_ids.get(d["id"], [])) or d["id"] in removed_ids:
                moved[(d["source"], d["id"])] = "same-id"
    old_triggers_cache: dict[str, set[str]] = {}
    new_text_cache: dict[str, str] = {}
    for f in rec["findings"]:
        tags = []
        job = f.get("job") or ""
        src, _, jid = job.partition("#")
        d = by_key.get((src, jid))
        status = d["status"] if d else None
        if (src, jid) in moved:
            tags.append(f"move:{moved[(src, jid)]}")
        rule = f["rule"]
        if rule == "drift/trigger-widened" and status == "added" and kind_of(src) == "workflow":
            if src not in old_triggers_cache:
                old_triggers_cache[src] = workflow_triggers(blob(gitdir, parent, src))
            old = old_triggers_cache[src]
            m = re.search(r"outsiders: (.*)$", f["message"])
            widened = {t.strip() for t in m.group(1).split(",")} if m else set()
            if old and widened and widened <= old:
                tags.append("new-job-existing-trigger")
            elif not old:
                tags.append("new-workflow")
        if rule == "drift/trigger-widened" and "any-build" in f["message"] and status == "added":
            tags.append("new-stage-any-build")
        if rule == "drift/runner-changed" and kind_of(src) in ("jenkinsfile", "config-xml"):
            if src not in new_text_cache:
                b = blob(gitdir, commit, src)
                new_text_cache[src] = b.decode("utf-8", "replace") if b else ""
            labels = step_labels(new_text_cache[src])
            m = re.search(r"now runs on (.*) \(before: (.*)\)$", f["message"])
            if m and labels:
                now = {x.strip() for x in m.group(1).split(",")}
                before = {x.strip() for x in m.group(2).split(",")}
                if (now ^ before) & labels:
                    tags.append("step-label")
        f["tags"] = tags


def analyse_repo(args) -> None:
    gitdir = resolve_gitdir(args.repo)
    base = gitdir.rstrip("/").removesuffix("/.git")
    name = args.name or os.path.basename(os.path.dirname(base) if os.path.basename(base) == "repo" else base)
    out = args.out or os.path.join("/work/corpora/drift-bench", name)
    os.makedirs(out, exist_ok=True)
    binary = os.path.abspath(args.bin)
    commits = git(gitdir, "rev-list", "--first-parent", f"--max-count={args.n * 2 + 10}", args.rev, "--", *PATHSPECS).split()
    selected = []
    for c in commits:
        parents = git(gitdir, "rev-list", "--parents", "-n", "1", c).split()[1:]
        if not parents:
            continue  # root commit: nothing to compare with
        selected.append((c, parents[0]))
        if len(selected) >= args.n:
            break
    tmp = tempfile.mkdtemp(prefix="driftbench-")
    wt = os.path.join(tmp, "wt")
    try:
        subprocess.run(["git", "clone", "-q", "--shared", "--no-checkout", gitdir, wt], check=True)
        wtgit = os.path.join(wt, ".git")
        subprocess.run(["git", "-C", wt, "config", "core.hooksPath", "/dev/null"], check=True)
        if not args.full_checkout:
            subprocess.run(["git", "-C", wt, "sparse-checkout", "set", "--no-cone", *SPARSE], check=True, capture_output=True)
        recs = []
        with open(os.path.join(out, "commits.jsonl"), "w") as fh:
            for idx, (c, p) in enumerate(selected):
                subprocess.run(["git", "-C", wt, "checkout", "-q", "--force", "--detach", c], check=True, capture_output=True)
                rc, wall, cpu, rss, stdout, stderr = run_drift(binary, wt, p)
                meta = git(gitdir, "log", "-1", "--format=%cs%x00%s", c).rstrip("\n").split("\0")
                files = changed_ci_files(gitdir, p, c)
                rec = {
                    "repo": name,
                    "commit": c,
                    "parent": p,
                    "date": meta[0],
                    "subject": meta[1] if len(meta) > 1 else "",
                    "files": files,
                    "rc": rc,
                    "cpu_s": round(cpu, 4),
                    "wall_s": round(wall, 4),
                    "max_rss_kb": rss,
                    "stderr": stderr.strip()[:500],
                    "findings": [],
                    "drift": [],
                    "diagnostics": [],
                }
                try:
                    rep = json.loads(stdout)
                except json.JSONDecodeError:
                    rep = None
                    rec["error"] = "no JSON report"
                if rep:
                    for f in rep.get("findings", []):
                        loc = f.get("location") or {}
                        rec["findings"].append(
                            {
                                "rule": f["rule_id"],
                                "severity": f["severity"],
                                "path": loc.get("path"),
                                "line": loc.get("start_line"),
                                "message": f.get("message", ""),
                                "job": (f.get("properties") or {}).get("job"),
                            }
                        )
                    rec["drift"] = rep.get("drift", [])
                    rec["diagnostics"] = rep.get("diagnostics", [])
                # formatting-only: every changed CI file modified in place and meaning the same
                verdicts = []
                for f in files:
                    if f["status"] != "M":
                        verdicts.append(None)
                        continue
                    old, new = blob(gitdir, p, f["path"]), blob(gitdir, c, f["path"])
                    verdicts.append(same_meaning(f["path"], old or b"", new or b"") if old is not None and new is not None else None)
                    f["same_meaning"] = verdicts[-1]
                rec["formatting_only"] = bool(files) and all(v is not None for v in verdicts)
                rec["covered_change"] = any(f["kind"] in ("workflow", "jenkinsfile", "config-xml") for f in files)
                rec["uncovered_files"] = [f["path"] for f in files if f["kind"] == "jenkinsfile-uncovered"]
                tag_findings(rec, gitdir, c, p)
                only_generic = rec["findings"] and all(
                    x["rule"] in ("drift/job-changed", "drift/job-added", "drift/job-removed") for x in rec["findings"]
                )
                if only_generic:
                    d = git(gitdir, "diff", "-U0", p, c, "--", *PATHSPECS)
                    rec["leads"] = diff_leads(d)
                # diffs are big: keep them out of the JSONL (they are re-derived from git)
                for d in rec["drift"]:
                    d["diff_lines"] = d["diff"].count("\n")
                    d.pop("diff", None)
                fh.write(json.dumps(rec, sort_keys=True) + "\n")
                recs.append(rec)
                if args.progress and idx % 25 == 0:
                    print(f"{name}: {idx + 1}/{len(selected)} {c[:12]} rc={rc} {len(rec['findings'])} findings", file=sys.stderr)
    finally:
        if args.keep:
            print(f"kept {wt}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    tag_walk_asymmetry(recs, gitdir)
    with open(os.path.join(out, "commits.jsonl"), "w") as fh:
        for r in recs:
            fh.write(json.dumps(r, sort_keys=True) + "\n")
    summary = summarise(name, recs, gitdir)
    with open(os.path.join(out, "summary.json"), "w") as fh:
        json.dump(summary, fh, indent=1, sort_keys=True)
    write_sample(out, gitdir, recs, args.seed, args.sample, os.path.join(out, "sample"))
    write_candidates(out, recs)
    print(json.dumps({k: summary[k] for k in ("repo", "commits", "rc", "by_rule", "formatting_only", "false_drift_on_formatting")}, sort_keys=True))


def summarise(name: str, recs: list[dict], gitdir: str) -> dict:
    by_rule = collections.Counter()
    by_sev = collections.Counter()
    tags = collections.Counter()
    tag_rule = collections.Counter()
    rc = collections.Counter()
    for r in recs:
        rc[str(r["rc"])] += 1
        for f in r["findings"]:
            by_rule[f["rule"]] += 1
            by_sev[f["severity"]] += 1
            for t in f.get("tags", []):
                tags[t] += 1
                tag_rule[f"{f['rule']} {t}"] += 1
    fmt = [r for r in recs if r["formatting_only"]]
    false_fmt = [r for r in fmt if r["findings"]]
    artefact = ("ignored-path", "symlink")
    false_fmt_real = [r for r in fmt if any(not set(f.get("tags", [])) & set(artefact) for f in r["findings"])]
    cpus = sorted(r["cpu_s"] for r in recs) or [0]
    # today's side failing is an error (exit 2 expected); the old side failing is only a note
    def errs(r):
        return [d for d in r["diagnostics"] if d.get("level") == "error"]

    errors = [r for r in recs if errs(r)]
    masked = [r for r in recs if r["rc"] == 1 and errs(r)]
    bom_cache: dict[str, bool] = {}

    def has_bom(commit: str, path: str) -> bool:
        oid = git(gitdir, "rev-parse", "-q", "--verify", f"{commit}:{path}", check=False).strip()
        if oid not in bom_cache:
            data = blob(gitdir, commit, path) if oid else None
            bom_cache[oid] = bool(data and data.startswith(b"\xef\xbb\xbf"))
        return bom_cache[oid]

    error_files = collections.Counter()
    bom_files = set()
    for r in errors:
        for d in errs(r):
            error_files[(d.get("path"), d["message"][:120])] += 1
            if d.get("path") and has_bom(r["commit"], d["path"]):
                bom_files.add(d["path"])
    uncovered_only = [r for r in recs if r["uncovered_files"] and not r["covered_change"]]
    leads = collections.Counter(l["class"] for r in recs for l in r.get("leads", []))
    lead_commits = collections.Counter()
    for r in recs:
        for cls in {l["class"] for l in r.get("leads", [])}:
            lead_commits[cls] += 1
    return {
        "repo": name,
        "gitdir": gitdir,
        "commits": len(recs),
        "first": recs[-1]["commit"] if recs else None,
        "last": recs[0]["commit"] if recs else None,
        "date_range": [recs[-1]["date"], recs[0]["date"]] if recs else None,
        "rc": dict(rc),
        "by_rule": dict(sorted(by_rule.items())),
        "by_severity": dict(by_sev),
        "hint_tags": dict(tags),
        "hint_tags_by_rule": dict(sorted(tag_rule.items())),
        "formatting_only": len(fmt),
        "formatting_only_commits": [r["commit"] for r in fmt],
        "false_drift_on_formatting": len(false_fmt),
        "false_drift_on_formatting_not_walk_artefact": len(false_fmt_real),
        "false_drift_commits": [{"commit": r["commit"], "rules": sorted({f["rule"] for f in r["findings"]})} for r in false_fmt],
        "commits_with_fingerprint_errors": len(errors),
        "fingerprint_errors_by_file": [{"path": p, "message": m, "commits": n} for (p, m), n in error_files.most_common(20)],
        "bom_files": sorted(bom_files),
        "exit1_masks_exit2": len(masked),
        "uncovered_only_commits": len(uncovered_only),
        "uncovered_files": sorted({p for r in recs for p in r["uncovered_files"]}),
        "no_covered_change_but_findings": sum(1 for r in recs if not r["covered_change"] and r["findings"]),
        "cpu_s": {"median": statistics.median(cpus), "p95": cpus[int(0.95 * (len(cpus) - 1))], "max": cpus[-1], "total": round(sum(cpus), 3)},
        "leads_by_class": dict(leads),
        "lead_commits_by_class": dict(lead_commits),
    }


def file_diff(gitdir: str, parent: str, commit: str, path: str, limit: int = 160) -> str:
    d = git(gitdir, "diff", "-M", "-U3", parent, commit, "--", path)
    lines = d.splitlines()
    if len(lines) > limit:
        lines = lines[:limit] + [f"… ({len(lines) - limit} more diff lines)"]
    return "\n".join(lines)


def write_sample(out: str, gitdir_or_map, recs: list[dict], seed: int, k: int, stem: str) -> None:
    pool = []
    for r in recs:
        for f in r["findings"]:
            if f["severity"] in HIGH:
                pool.append((r, f))
    pool.sort(key=lambda rf: (rf[0]["repo"], rf[0]["commit"], rf[1]["rule"], rf[1]["path"] or "", rf[1]["line"] or 0, rf[1]["message"]))
    rng = random.Random(seed)
    pick = rng.sample(pool, min(k, len(pool)))
    with open(stem + ".jsonl", "w") as js, open(stem + ".md", "w") as md:
        md.write(f"# Sample of {len(pick)} high/critical drift findings (seed {seed}, pool {len(pool)})\n\n")
        for i, (r, f) in enumerate(pick, 1):
            gitdir = gitdir_or_map[r["repo"]] if isinstance(gitdir_or_map, dict) else gitdir_or_map
            js.write(json.dumps({"n": i, "repo": r["repo"], "commit": r["commit"], "parent": r["parent"], **f}, sort_keys=True) + "\n")
            md.write(f"## {i}. {r['repo']} {r['commit'][:12]} {f['rule']} ({f['severity']})\n\n")
            md.write(f"- subject: {r['subject']}\n- {f['path']}:{f['line']} — {f['message']}\n- hint tags: {', '.join(f.get('tags', [])) or '—'}\n")
            md.write(f"- files: {', '.join(x['status'] + ' ' + x['path'] + (' (from ' + x['old_path'] + ')' if x.get('old_path') else '') for x in r['files'])}\n")
            md.write(f"- other findings in the commit: {', '.join(sorted(x['rule'] + '@' + (x['job'] or '?') for x in r['findings'] if x is not f))[:1500]}\n")
            md.write(f"- verdict: \n\n```diff\n{file_diff(gitdir, r['parent'], r['commit'], f['path'] or '.')}\n```\n\n")


def write_candidates(out: str, recs: list[dict]) -> None:
    with open(os.path.join(out, "candidates.md"), "w") as md:
        md.write("# Commits reported only as job-added/changed/removed whose diff matches a security-change pattern\n\n")
        for r in recs:
            leads = r.get("leads") or []
            if not leads:
                continue
            md.write(f"## {r['repo']} {r['commit'][:12]} — {r['subject']}\n\n")
            for l in leads:
                md.write(f"- {l['class']}: `{l['path']}`: `{l['line']}`\n")
            md.write("\n")


# --- aggregate ------------------------------------------------------------------------------


def aggregate(args) -> None:
    allrecs = []
    gitdirs = {}
    rows = []
    for d in args.dirs:
        s = json.load(open(os.path.join(d, "summary.json")))
        rows.append(s)
        gitdirs[s["repo"]] = s["gitdir"]
        with open(os.path.join(d, "commits.jsonl")) as fh:
            allrecs.extend(json.loads(l) for l in fh)
    rules = sorted({r for s in rows for r in s["by_rule"]})
    short = [r.removeprefix("drift/") for r in rules]
    out = []
    out.append("### Findings per rule\n")
    out.append("| repository | commits | " + " | ".join(short) + " |")
    out.append("|---|---:|" + "---:|" * len(rules))
    tot = collections.Counter()
    for s in rows:
        for r in rules:
            tot[r] += s["by_rule"].get(r, 0)
        tot["commits"] += s["commits"]
        out.append(f"| {s['repo']} | {s['commits']} | " + " | ".join(str(s["by_rule"].get(r, 0)) for r in rules) + " |")
    out.append(f"| **total** | {tot['commits']} | " + " | ".join(str(tot[r]) for r in rules) + " |")
    out.append("\n### Runs\n")
    out.append("| repository | exit 0/1/2 | commits with a fingerprint error | of them exit 1 (masks 2) | formatting-only | any finding on them | of them not a walk artefact | only uncovered Jenkinsfile_* changed | CPU median / p95 ms |")
    out.append("|---|---|---:|---:|---:|---:|---:|---:|---|")
    for s in rows:
        rcs = "/".join(str(s["rc"].get(k, 0)) for k in "012")
        out.append(f"| {s['repo']} | {rcs} | {s['commits_with_fingerprint_errors']} | {s['exit1_masks_exit2']} | {s['formatting_only']} | {s['false_drift_on_formatting']} | {s.get('false_drift_on_formatting_not_walk_artefact', '?')} | {s['uncovered_only_commits']} | {s['cpu_s']['median'] * 1000:.0f} / {s['cpu_s']['p95'] * 1000:.0f} |")
        for k in ("formatting_only", "false_drift_on_formatting", "false_drift_on_formatting_not_walk_artefact", "commits_with_fingerprint_errors", "exit1_masks_exit2", "uncovered_only_commits"):
            tot[k] += s.get(k, 0)
        for k in "012":
            tot["rc" + k] += s["rc"].get(k, 0)
    out.append(f"| **total** | {tot['rc0']}/{tot['rc1']}/{tot['rc2']} | {tot['commits_with_fingerprint_errors']} | {tot['exit1_masks_exit2']} | {tot['formatting_only']} | {tot['false_drift_on_formatting']} | {tot['false_drift_on_formatting_not_walk_artefact']} | {tot['uncovered_only_commits']} | |")
    tags = collections.Counter()
    for s in rows:
        tags.update(s["hint_tags_by_rule"])
    out.append("\n### Hint tags (known false-alarm shapes) by rule, all repositories\n")
    out.append("| rule | tag | findings | of the rule's total |")
    out.append("|---|---|---:|---:|")
    for k, n in sorted(tags.items()):
        rule, tag = k.split(" ", 1)
        out.append(f"| {rule} | {tag} | {n} | {n / max(1, tot[rule]):.0%} |")
    print("\n".join(out))
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, "tables.md"), "w") as fh:
            fh.write("\n".join(out) + "\n")
        write_sample(args.out, gitdirs, allrecs, args.seed, args.sample, os.path.join(args.out, "sample"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="one repository")
    r.add_argument("repo", help="a local repository: work tree or (bare) git dir")
    r.add_argument("-n", type=int, default=300, help="newest N CI-touching first-parent commits (default 300)")
    r.add_argument("--rev", default="HEAD")
    r.add_argument("--bin", default=os.environ.get("PIPEGUARD", "/work/bin/pipeguard"))
    r.add_argument("--out", help="output directory (default /work/corpora/drift-bench/<name>)")
    r.add_argument("--name", help="repository name in the reports")
    r.add_argument("--seed", type=int, default=24)
    r.add_argument("--sample", type=int, default=25)
    r.add_argument("--full-checkout", action="store_true", help="check out every file, not only CI and ignore files")
    r.add_argument("--keep", action="store_true", help="keep the temporary clone")
    r.add_argument("--progress", action="store_true")
    s_ = sub.add_parser("summarise", help="rewrite summary.json, sample and candidates from commits.jsonl")
    s_.add_argument("dirs", nargs="+")
    s_.add_argument("--seed", type=int, default=24)
    s_.add_argument("--sample", type=int, default=25)
    a = sub.add_parser("aggregate", help="merge several output directories")
    a.add_argument("dirs", nargs="+")
    a.add_argument("--out", help="write the merged sample here")
    a.add_argument("--seed", type=int, default=24)
    a.add_argument("--sample", type=int, default=25)
    args = ap.parse_args()
    if args.cmd == "run":
        analyse_repo(args)
    elif args.cmd == "summarise":
        for d in args.dirs:
            prev = json.load(open(os.path.join(d, "summary.json")))
            with open(os.path.join(d, "commits.jsonl")) as fh:
                recs = [json.loads(l) for l in fh]
            tag_walk_asymmetry(recs, prev["gitdir"])
            with open(os.path.join(d, "commits.jsonl"), "w") as fh:
                for r in recs:
                    fh.write(json.dumps(r, sort_keys=True) + "\n")
            summary = summarise(prev["repo"], recs, prev["gitdir"])
            with open(os.path.join(d, "summary.json"), "w") as fh:
                json.dump(summary, fh, indent=1, sort_keys=True)
            write_sample(d, prev["gitdir"], recs, args.seed, args.sample, os.path.join(d, "sample"))
            write_candidates(d, recs)
    else:
        aggregate(args)


if __name__ == "__main__":
    main()
