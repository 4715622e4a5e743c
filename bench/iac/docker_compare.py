#!/usr/bin/env python3
"""Compare pipeguard's docker rules with hadolint (and checkov --framework dockerfile) on the
same Dockerfiles: per-rule counts of the rules we share, and the disagreements by file and line.

Usage: docker_compare.py PIPEGUARD_JSON HADOLINT_JSON [CHECKOV_JSON] [--root DIR] [--samples N]
"""
import collections
import json
import os
import sys

# Our rule -> hadolint codes and checkov ids that check the same thing.
MAP = [
    ("docker/root-user", ["DL3002"], ["CKV_DOCKER_3", "CKV_DOCKER_8"]),
    ("docker/unpinned-base", ["DL3006", "DL3007"], ["CKV_DOCKER_7"]),
    ("docker/base-not-digest", [], []),
    ("docker/untrusted-registry", ["DL3026"], []),
    ("docker/add-remote", [], []),
    ("docker/curl-pipe-shell", [], []),
    ("docker/secret-in-build", [], []),
    ("docker/copy-sensitive", [], []),
    ("docker/apt-unpinned", ["DL3008"], []),
    ("docker/apt-no-recommends", ["DL3015"], []),
    ("docker/apt-lists-not-cleaned", ["DL3009"], []),
    ("docker/apk-unpinned", ["DL3018"], []),
    ("docker/apk-cache", ["DL3019"], []),
    ("docker/sudo", ["DL3004"], []),
    ("docker/world-writable", [], []),
    ("docker/workdir-relative", ["DL3000"], []),
    ("docker/cd-in-run", ["DL3003"], []),
    ("docker/expose-ssh", [], ["CKV_DOCKER_1"]),
    ("docker/exec-form", ["DL3025"], []),
    ("docker/no-healthcheck", [], ["CKV_DOCKER_2"]),
    ("docker/multiple-cmd", ["DL4003", "DL4004"], []),
    ("docker/pip-no-cache", ["DL3042"], []),
    ("docker/latest-in-from-stage", ["DL3022", "DL3023"], []),
]


INSTRUCTIONS = {
    "FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT",
    "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL",
}
_starts = {}


def instruction_line(path, line, base):
    """The line where the instruction containing `line` starts: the tools report RUN-level
    problems at different lines of a multi-line instruction (hadolint at the RUN, pipeguard at
    the command), so they are compared per instruction."""
    full = os.path.join(base, path)
    if full not in _starts:
        starts = []
        try:
            lines = open(full, encoding="utf-8", errors="replace").read().split("\n")
        except OSError:
            lines = []
        continued = False
        heredoc = None
        for i, text in enumerate(lines, 1):
            t = text.strip()
            if heredoc:
                if t == heredoc:
                    heredoc = None
                continue
            if not continued and t and not t.startswith("#"):
                word = t.split()[0].upper()
                if word in INSTRUCTIONS:
                    starts.append(i)
                    if "<<" in t:
                        tag = t.split("<<", 1)[1].lstrip("-").strip().split()[0:1]
                        if tag:
                            heredoc = tag[0].strip("'\"")
            if t.startswith("#") and continued:
                continue
            continued = t.endswith("\\") or (continued and not t)
        _starts[full] = starts
    best = line
    for s in _starts[full]:
        if s <= line:
            best = s
    return best


def norm(path, root):
    p = os.path.normpath(path)
    if root and p.startswith(os.path.normpath(root) + os.sep):
        p = p[len(os.path.normpath(root)) + 1:]
    return p


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    root = None
    samples = 5
    for i, a in enumerate(sys.argv):
        if a == "--root":
            root = sys.argv[i + 1]
        if a == "--samples":
            samples = int(sys.argv[i + 1])
    args = [a for a in args if a not in (root, str(samples))]
    base = root or "."
    pg = json.load(open(args[0]))
    hl = json.load(open(args[1]))
    ck = []
    if len(args) > 2 and os.path.exists(args[2]):
        raw = json.load(open(args[2]))
        for rep in raw if isinstance(raw, list) else [raw]:
            ck.extend(rep.get("results", {}).get("failed_checks", []))

    ours = collections.defaultdict(set)
    for f in pg["findings"]:
        # root-user without any USER is not something hadolint reports (DL3002 needs USER root).
        p = norm(f["location"]["path"], None)
        ours[f["rule_id"]].add((p, instruction_line(p, f["location"]["start_line"], base), f["message"]))
    theirs = collections.defaultdict(set)
    for f in hl:
        p = norm(f["file"], root)
        theirs[f["code"]].add((p, instruction_line(p, f["line"], base)))
    cks = collections.defaultdict(set)
    for f in ck:
        path = f.get("repo_file_path") or f.get("file_path", "")
        p = norm(path.lstrip("/"), root)
        cks[f["check_id"]].add((p, instruction_line(p, (f.get("file_line_range") or [0])[0], base)))

    print(f"{'pipeguard rule':32} {'ours':>6} {'hadolint':>18} {'checkov':>22}  same-line agreement (ours vs hadolint)")
    report = []
    for rule, dls, ckvs in MAP:
        o = ours.get(rule, set())
        o_lines = {(p, l) for p, l, _ in o}
        if rule == "docker/root-user":
            # Compare like with like: hadolint only sees an explicit `USER root`.
            o_explicit = {(p, l) for p, l, m in o if "last USER is root" in m}
        else:
            o_explicit = o_lines
        h = set().union(*[theirs.get(d, set()) for d in dls]) if dls else set()
        c = set().union(*[cks.get(x, set()) for x in ckvs]) if ckvs else set()
        hl_s = f"{len(h)} ({'+'.join(dls)})" if dls else "-"
        ck_s = f"{len(c)} ({'+'.join(ckvs)})" if ckvs else "-"
        agree = ""
        if dls:
            both = o_explicit & h
            agree = f"both {len(both)}, only ours {len(o_explicit - h)}, only hadolint {len(h - o_explicit)}"
            report.append((rule, sorted(o_explicit - h)[:samples], sorted(h - o_explicit)[:samples]))
        print(f"{rule:32} {len(o):>6} {hl_s:>18} {ck_s:>22}  {agree}")
    print()
    for rule, only_o, only_h in report:
        if not only_o and not only_h:
            continue
        print(f"## {rule}")
        for p, l in only_o:
            print(f"  only pipeguard: {p}:{l}")
        for p, l in only_h:
            print(f"  only hadolint:  {p}:{l}")


if __name__ == "__main__":
    main()
