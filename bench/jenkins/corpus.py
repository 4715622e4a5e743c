#!/usr/bin/env python3
"""pipeguard's Jenkins analyzer over the real-file corpus (../shared/corpus/jenkins).

Every pipeline file of MANIFEST.jsonl and every job config.xml of MANIFEST_jobs.jsonl is placed,
alone, in a temporary tree (hard link, else copy; `Jenkinsfile` or `config.xml`, since the corpus
names are not names pipeguard reads) and scanned with `scan --only jenkins --format json`. Each
file is classified:

  parsed     no jenkins/parse-error finding, exit code not 2
  recovered  a jenkins/parse-error finding, but the exit code is not 2 and the file was analysed
             (the recovery the Jenkins issue asks for: skip a statement, say so at low severity)
  failed     exit code 2 or the file counted as failed

CPU per file is user+sys of that scan minus the median of five empty-tree scans; the whole corpus
is then scanned once in one tree for total CPU and peak RSS. Outputs (in --out): results.jsonl
(one line per file with its findings), summary.json, failures.md (parser message and the source
line, for reading), sample.md (seeded random sample of high/critical findings with context, to
judge by hand) and injection.json (jenkins/script-injection findings by source variable, locals
resolved to the variables they were assigned from).
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

HIGH = {"high", "critical"}

# The model's PR_CONTROLLED list (cli/src/analyzers/jenkins/model.rs), to resolve locals.
SOURCES = [
    "CHANGE_TITLE", "CHANGE_BRANCH", "BRANCH_NAME", "CHANGE_AUTHOR", "CHANGE_AUTHOR_DISPLAY_NAME",
    "CHANGE_AUTHOR_EMAIL", "CHANGE_FORK", "CHANGE_URL", "GIT_BRANCH", "GIT_LOCAL_BRANCH", "TAG_NAME",
    "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL",
    "ghprbPullTitle", "ghprbPullDescription",
    # not in the model's list, used only to attribute findings on locals to their source:
    "ghprbCommentBody", "ghprbSourceBranch", "ghprbPullLongDescription", "ghprbActualCommitAuthor",
    "ghprbActualCommitAuthorEmail", "ghprbPullAuthorLogin", "ghprbTargetBranch", "CHANGE_TARGET",
    "gitlabSourceBranch", "gitlabMergeRequestTitle", "gitlabMergeRequestDescription", "gitlabUserName",
]


def run(binary: str, root: str) -> dict:
    with tempfile.TemporaryFile() as err:
        p = subprocess.Popen(
            [binary, "scan", root, "--only", "jenkins", "--format", "json", "--fail-on", "never", "--color", "never"],
            stdout=subprocess.PIPE,
            stderr=err,
        )
        out = p.stdout.read()
        p.stdout.close()
        _, status, ru = os.wait4(p.pid, 0)
        rc = os.waitstatus_to_exitcode(status)
        err.seek(0)
        errtext = err.read().decode("utf-8", "replace")
    try:
        rep = json.loads(out)
    except json.JSONDecodeError:
        rep = None
    return {"rc": rc, "cpu": ru.ru_utime + ru.ru_stime, "rss_kb": ru.ru_maxrss, "report": rep, "stderr": errtext.strip()[:400]}


def place(src: str, dst: str) -> None:
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


ASSIGN = re.compile(r"^\s*(?:(?:def|final|String|var)\s+)+(\w+)\s*=\s*(.+)$|^\s*(\w+)\s*=(?!=)\s*(.+)$")


def local_origins(text: str) -> dict[str, set[str]]:
    """local name → the source variables it is (transitively) assigned from. A line-based
    approximation of the model's fixpoint, good enough to attribute findings on locals."""
    direct: dict[str, set[str]] = collections.defaultdict(set)
    refs: dict[str, set[str]] = collections.defaultdict(set)
    for line in text.splitlines():
        m = ASSIGN.match(line)
        if not m:
            continue
        name, rhs = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        for s in SOURCES:
            if re.search(rf"\b{s}\b", rhs):
                direct[name].add(s)
        for w in set(re.findall(r"\b[A-Za-z_]\w*\b", rhs)):
            if w != name:
                refs[name].add(w)
    out = {k: set(v) for k, v in direct.items()}
    for _ in range(6):
        changed = False
        for name, ws in refs.items():
            for w in ws:
                if w in out and not out[w] <= out.get(name, set()):
                    out.setdefault(name, set()).update(out[w])
                    changed = True
        if not changed:
            break
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default="/work/shared/corpus/jenkins")
    ap.add_argument("--bin", default=os.environ.get("PIPEGUARD", "/work/bin/pipeguard"))
    ap.add_argument("--out", default="/work/corpora/jenkins-bench")
    ap.add_argument("--seed", type=int, default=18)
    ap.add_argument("--sample", type=int, default=20)
    ap.add_argument("--copies", type=int, default=20, help="copies of each file for its CPU time")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    entries = []
    for manifest, kind in (("MANIFEST.jsonl", "pipeline"), ("MANIFEST_jobs.jsonl", "job-xml")):
        with open(os.path.join(args.corpus, manifest)) as fh:
            for line in fh:
                e = json.loads(line)
                e["_kind"] = kind
                entries.append(e)
    tmp = tempfile.mkdtemp(prefix="jenkins-corpus-")
    try:
        empty = os.path.join(tmp, "empty")
        os.makedirs(empty)
        base = statistics.median(run(args.bin, empty)["cpu"] for _ in range(5))
        whole = os.path.join(tmp, "all")
        results = []
        for i, e in enumerate(entries):
            src = os.path.join(args.corpus, e["corpus_path"])
            name = "Jenkinsfile" if e["_kind"] == "pipeline" else "config.xml"
            one = os.path.join(tmp, "one", f"{i:04d}")
            place(src, os.path.join(one, name))
            place(src, os.path.join(whole, f"{i:04d}", name))
            r = run(args.bin, one)
            # CPU: the same file `--copies` times in one tree, so that the per-file cost is above
            # the clock's resolution and the process start-up is paid once.
            many = os.path.join(tmp, "many")
            for c in range(args.copies):
                place(src, os.path.join(many, f"{c:03d}", name))
            rm = run(args.bin, many)
            shutil.rmtree(many)
            shutil.rmtree(one)
            rep = r["report"] or {}
            findings = []
            for f in rep.get("findings", []):
                loc = f.get("location") or {}
                findings.append({
                    "rule": f["rule_id"], "severity": f["severity"], "line": loc.get("start_line"),
                    "column": loc.get("start_column"), "message": f.get("message", ""),
                    "variable": (f.get("properties") or {}).get("variable"),
                })
            perr = [f for f in findings if f["rule"] == "jenkins/parse-error"]
            failed_count = (rep.get("files") or {}).get("failed", 0)
            by_kind = (rep.get("files") or {}).get("by_kind", {})
            if r["rc"] == 2 or r["report"] is None:
                status = "failed"
            elif not (by_kind.get("jenkinsfile") or by_kind.get("jenkins-job")):
                status = "not-read"  # e.g. a config.xml whose root element is not a known job kind
            elif perr:
                status = "recovered"
            else:
                status = "parsed"
            results.append({
                "i": i, "kind": e["_kind"], "corpus_path": e["corpus_path"], "repo": e["repo"],
                "path": e["path"], "commit": e["commit"], "bytes": e["bytes"], "style": e.get("style"),
                "status": status, "rc": r["rc"], "files_failed": failed_count,
                "cpu_s": round(r["cpu"], 4),
                "cpu_net_s": round(max(0.0, rm["cpu"] - base) / args.copies, 6),
                "rss_kb": r["rss_kb"], "findings": findings,
                "diagnostics": rep.get("diagnostics", []), "stderr": r["stderr"],
            })
            if i % 100 == 0:
                print(f"{i}/{len(entries)}", file=sys.stderr)
        w = run(args.bin, whole)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    with open(os.path.join(args.out, "results.jsonl"), "w") as fh:
        for r in results:
            fh.write(json.dumps(r, sort_keys=True) + "\n")

    def text_of(r):
        with open(os.path.join(args.corpus, r["corpus_path"]), encoding="utf-8", errors="replace") as fh:
            return fh.read()

    by_status = collections.Counter((r["kind"], r["status"]) for r in results)
    by_rule = collections.Counter()
    by_rule_sev = collections.Counter()
    for r in results:
        for f in r["findings"]:
            by_rule[f["rule"]] += 1
            by_rule_sev[f"{f['rule']} {f['severity']}"] += 1
    # script-injection by source
    inj_direct = collections.Counter()
    inj_root = collections.Counter()
    inj_files = collections.defaultdict(set)
    for r in results:
        fs = [f for f in r["findings"] if f["rule"] == "jenkins/script-injection"]
        if not fs:
            continue
        origins = local_origins(text_of(r))
        for f in fs:
            v = f["variable"] or "?"
            local = "assigned from a pull-request-controlled value" in f["message"]
            key = f"local {v}" if local else v
            inj_direct["local" if local else v] += 1
            roots = sorted(origins.get(v, set())) if local else [v]
            root = "+".join(roots) if roots else "?"
            inj_root[("via local: " if local else "") + root] += 1
            inj_files[key].add(r["corpus_path"])
            f["root_source"] = root
    cpus = sorted(r["cpu_net_s"] for r in results if r["kind"] == "pipeline")
    xcpus = sorted(r["cpu_net_s"] for r in results if r["kind"] == "job-xml")
    wrep = w["report"] or {}
    summary = {
        "files": len(results),
        "status": {f"{k} {s}": n for (k, s), n in sorted(by_status.items())},
        "by_rule": dict(sorted(by_rule.items())),
        "by_rule_severity": dict(sorted(by_rule_sev.items())),
        "script_injection_by_variable": dict(inj_direct.most_common()),
        "script_injection_by_root_source": dict(inj_root.most_common()),
        "script_injection_files": len({p for s in inj_files.values() for p in s}),
        "empty_tree_cpu_s": round(base, 4),
        "cpu_net_per_pipeline_ms": {"median": round(statistics.median(cpus) * 1000, 3), "p95": round(cpus[int(0.95 * (len(cpus) - 1))] * 1000, 3), "max": round(cpus[-1] * 1000, 3), "mean": round(statistics.mean(cpus) * 1000, 3)},
        "slowest_pipelines": [(r["corpus_path"], r["bytes"], round(r["cpu_net_s"] * 1000, 2)) for r in sorted(results, key=lambda r: -r["cpu_net_s"])[:5]],
        "cpu_net_per_job_xml_ms": {"median": round(statistics.median(xcpus) * 1000, 3), "max": round(xcpus[-1] * 1000, 3)} if xcpus else None,
        "not_read": [r["corpus_path"] for r in results if r["status"] == "not-read"],
        "max_rss_kb_single_file": max(r["rss_kb"] for r in results),
        "whole_corpus": {"rc": w["rc"], "cpu_s": round(w["cpu"], 3), "max_rss_kb": w["rss_kb"],
                         "per_file_us": round((w["cpu"] - base) / len(results) * 1e6, 1),
                         "findings": (wrep.get("summary") or {}).get("total"), "files": wrep.get("files")},
    }
    with open(os.path.join(args.out, "summary.json"), "w") as fh:
        json.dump(summary, fh, indent=1, sort_keys=True)
    with open(os.path.join(args.out, "injection.json"), "w") as fh:
        json.dump({k: sorted(v) for k, v in sorted(inj_files.items())}, fh, indent=1)

    with open(os.path.join(args.out, "failures.md"), "w") as md:
        bad = [r for r in results if r["status"] != "parsed"]
        md.write(f"# {len(bad)} files not parsed fully\n\n")
        for r in bad:
            lines = text_of(r).splitlines()
            for f in r["findings"]:
                if f["rule"] != "jenkins/parse-error":
                    continue
                ln = f["line"] or 0
                ctx = "\n".join(f"{n:5d}| {lines[n - 1][:220]}" for n in range(max(1, ln - 2), min(len(lines), ln + 1) + 1))
                md.write(f"## {r['corpus_path']} ({r['status']}, exit {r['rc']})\n\n- origin: {r['repo']} `{r['path']}` @ {r['commit'][:12]}\n- {ln}:{f['column']} {f['message']}\n\n```groovy\n{ctx}\n```\n\n")
            for d in r["diagnostics"]:
                md.write(f"- diagnostic: {d}\n")

    pool = [(r, f) for r in results for f in r["findings"] if f["severity"] in HIGH]
    pool.sort(key=lambda x: (x[0]["corpus_path"], x[1]["line"] or 0, x[1]["rule"], x[1]["message"]))
    pick = random.Random(args.seed).sample(pool, min(args.sample, len(pool)))
    with open(os.path.join(args.out, "sample.md"), "w") as md, open(os.path.join(args.out, "sample.jsonl"), "w") as js:
        md.write(f"# {len(pick)} random high/critical Jenkins findings (seed {args.seed}, pool {len(pool)})\n\n")
        for n, (r, f) in enumerate(pick, 1):
            js.write(json.dumps({"n": n, "corpus_path": r["corpus_path"], "repo": r["repo"], "path": r["path"], **f}, sort_keys=True) + "\n")
            lines = text_of(r).splitlines()
            ln = f["line"] or 1
            ctx = "\n".join(f"{k:5d}| {lines[k - 1][:200]}" for k in range(max(1, ln - 8), min(len(lines), ln + 4) + 1))
            md.write(f"## {n}. {f['rule']} ({f['severity']}) {r['corpus_path']}:{ln}\n\n- origin: {r['repo']} `{r['path']}`\n- {f['message']}\n- verdict: \n\n```groovy\n{ctx}\n```\n\n")
    print(json.dumps(summary, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
