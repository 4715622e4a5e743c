#!/usr/bin/env python3
"""pipeguard vs checkov (and hadolint) on public *labelled* IaC fixtures.

Three fixture sets, read from a directory given on the command line (nothing is fetched):
  FIXTURES/kics/assets/queries/...   KICS query tests: test/positive*.*, negative*.*,
                                     positive_expected_result.json (line numbers), metadata.json
  FIXTURES/trivy-checks/checks/...   trivy-checks: each check's .rego METADATA + the examples
                                     YAML beside it (good/bad per language)
  FIXTURES/hadolint/test/Hadolint/Rule/DL*Spec.hs   hadolint's spec cases
                                     (ruleCatches / ruleCatchesNot with a literal Dockerfile)

Sub-commands (labelled.sh runs them in order):
  stage FIXTURES OUT          write every case as its own file/directory under OUT/stage and the
                              case index OUT/cases.json
  report OUT MAPPING [--worklist CSV] [--json FILE]
                              read the tools' reports from OUT and print the coverage tables
  list FIXTURES PLATFORM      the queries of a platform (id, severity, name), for editing MAPPING
  worklist-summary CSV        the work list grouped by proposed rule (markdown)
  show OUT MAPPING QUERY…     a query's staged cases with expected lines (>>), the mapped tools'
                              findings on them and the score (QUERY: KICS slug, id or trivy id)

Matching (what "found" means), per query Q with mapped ids in MAPPING:
  KICS    each expectation is (file, line). pipeguard finds it when a finding of a mapped rule
          in that file has start_line - NEAR <= line <= end_line + NEAR ("line ±2": KICS often
          points at a sibling key of the same object, e.g. `name:` of the container or the
          `destination_port_range` next to `source_address_prefix`); "exact" without the slack.
          checkov: a failed mapped check whose resource range (± NEAR) contains the line (checkov
          reports whole resources, its finest level); hadolint: a mapped DL code on that line ± NEAR.
          "file" = any finding of a mapped id in the positive file.
  trivy / hadolint examples have no line numbers: a bad example is found when a mapped id is
          reported anywhere in it.
  covered: a mapped query whose every expectation is found (line ±2) with no false positive.
  false positive: a finding of an id mapped to Q on one of Q's *negative* cases (good example).
          Findings of ids mapped to other queries are not counted: negatives of one query often
          violate others on purpose.
"""

import csv
import json
import os
import re
import sys
from collections import defaultdict

PLATFORMS = {
    # platform: (kics dir under assets/queries, file name in the stage, checkov framework)
    "dockerfile": ("dockerfile", "Dockerfile", "dockerfile"),
    "compose": ("dockerCompose", "docker-compose.yml", None),
    "kubernetes": ("k8s", None, "kubernetes"),
    "terraform-aws": ("terraform/aws", None, "terraform"),
    "terraform-gcp": ("terraform/gcp", None, "terraform"),
    "terraform-azure": ("terraform/azure", None, "terraform"),
}
TRIVY_PLATFORMS = {  # trivy-checks dir, examples key -> platform
    "docker": ("dockerfile", "dockerfile"),
    "kubernetes": ("kubernetes", "kubernetes"),
    "cloud/aws": ("terraform", "terraform-aws"),
    "cloud/google": ("terraform", "terraform-gcp"),
    "cloud/azure": ("terraform", "terraform-azure"),
}
NEAR = 2  # "line level": the finding's span, give or take NEAR lines (sibling key of the same object)
BATCH = 40  # queries per stage batch directory (one checkov run each)
SEV_ORDER = {"CRITICAL": 0, "HIGH": 1, "MEDIUM": 2, "LOW": 3, "INFO": 4, "TRACE": 5}


# --------------------------------------------------------------------------- loading fixtures

def load_kics(fixtures, platform):
    base = os.path.join(fixtures, "kics", "assets", "queries", PLATFORMS[platform][0])
    out = []
    if not os.path.isdir(base):
        return out
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames.sort()
        if "metadata.json" not in filenames or not os.path.isdir(os.path.join(dirpath, "test")):
            continue
        with open(os.path.join(dirpath, "metadata.json")) as f:
            meta = json.load(f)
        tdir = os.path.join(dirpath, "test")
        expected = defaultdict(list)
        try:
            with open(os.path.join(tdir, "positive_expected_result.json")) as f:
                exp = json.load(f)
        except (OSError, ValueError):
            exp = []
        if isinstance(exp, dict):
            exp = [exp]
        cases = []
        files = sorted(os.listdir(tdir))
        for name in files:
            p = os.path.join(tdir, name)
            if not os.path.isfile(p) or name == "positive_expected_result.json":
                continue
            if name.startswith("positive"):
                kind = "pos"
            elif name.startswith("negative"):
                kind = "neg"
            else:
                continue
            cases.append({"case": name, "kind": kind, "src": p})
        # files a case refers to (`file("rsa1024.pem")`, terraform.tfvars): copied beside every case
        support = [os.path.join(tdir, n) for n in files if os.path.isfile(os.path.join(tdir, n))
                   and not n.startswith(("positive", "negative"))]
        pos_names = [c["case"] for c in cases if c["kind"] == "pos"]
        for e in exp:
            if not isinstance(e, dict):
                continue
            fn = e.get("fileName") or e.get("filename") or (pos_names[0] if len(pos_names) == 1 else None)
            if isinstance(e.get("line"), int):
                # no fileName with several positive files: KICS matches the line in any of them
                expected[os.path.basename(fn) if fn else None].append(e["line"])
        for c in cases:
            if c["kind"] == "pos":
                c["expected"] = sorted(set(expected.get(c["case"], [])))
        out.append({
            "source": "kics", "platform": platform, "key": meta["id"],
            "name": meta.get("queryName", ""), "severity": meta.get("severity", "").upper(),
            "slug": os.path.relpath(dirpath, base).replace(os.sep, "+"),
            "category": meta.get("category", ""), "url": meta.get("providerUrl") or "",
            "cases": cases, "expected_any": sorted(set(expected.get(None, []))), "support": support,
        })
    return out


def rego_metadata(path):
    """The `# METADATA` YAML block at the top of a trivy-checks .rego file."""
    import yaml  # PyYAML: checkov depends on it, and it is in Debian (python3-yaml)
    lines = []
    with open(path) as f:
        started = False
        for line in f:
            if line.startswith("# METADATA"):
                started = True
                continue
            if started:
                if not line.startswith("#"):
                    break
                lines.append(line[2:] if line.startswith("# ") else line[1:])
    try:
        return yaml.safe_load("".join(lines)) or {}
    except yaml.YAMLError:
        return {}


def load_trivy(fixtures, platform):
    import yaml
    out = []
    base = os.path.join(fixtures, "trivy-checks", "checks")
    for sub, (key, plat) in TRIVY_PLATFORMS.items():
        if plat != platform:
            continue
        root = os.path.join(base, sub)
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in sorted(filenames):
                if not name.endswith(".rego") or name.endswith("_test.rego"):
                    continue
                meta = rego_metadata(os.path.join(dirpath, name))
                custom = meta.get("custom") or {}
                cid = str(custom.get("id") or custom.get("avd_id") or "")
                if not cid:
                    continue
                ex = os.path.join(dirpath, name[:-5] + ".yaml")
                cases = []
                if os.path.isfile(ex):
                    try:
                        with open(ex) as f:
                            data = yaml.safe_load(f) or {}
                    except yaml.YAMLError:
                        data = {}
                    lang = data.get(key) or {}
                    for kind, label in (("bad", "pos"), ("good", "neg")):
                        for i, text in enumerate(lang.get(kind) or []):
                            if isinstance(text, str):
                                cases.append({"case": f"{kind}{i + 1}", "kind": label, "text": text,
                                              "expected": None})
                links = ((data.get(key) or {}).get("links") if os.path.isfile(ex) else None) or []
                out.append({
                    "source": "trivy", "platform": platform, "key": cid,
                    "name": meta.get("title", ""), "severity": str(custom.get("severity", "")).upper(),
                    "slug": cid, "deprecated": bool(custom.get("deprecated")),
                    "url": (links or meta.get("related_resources") or [""])[0]
                    if isinstance((links or meta.get("related_resources") or [""])[0], str) else "",
                    "cases": cases,
                })
    return out


HS_STRING = r'"(?:[^"\\]|\\.)*"'


def hs_unquote(s):
    body = s[1:-1]
    out, i = [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append({"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r", "'": "'"}.get(nxt, "\\" + nxt))
            if nxt == "&":
                out[-1] = ""
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def load_hadolint(fixtures, platform):
    """ruleCatches / ruleCatchesNot cases whose Dockerfile is a literal (a string, or
    `Text.unlines [..]` inline or through a `let name = [..]` of the same `it`)."""
    if platform != "dockerfile":
        return []
    base = os.path.join(fixtures, "hadolint", "test", "Hadolint", "Rule")
    out = []
    if not os.path.isdir(base):
        return out
    call = re.compile(r'\b(ruleCatchesNot|ruleCatches)\s+"(DL\d{4})"\s*(?:\$\s*)?\(?\s*'
                      r'(' + HS_STRING + r'|Text\.unlines\s+\[|Text\.unlines\s+([a-zA-Z_][\w\']*))')
    binding = re.compile(r'let\s+([a-zA-Z_][\w\']*)\s*=\s*\[((?:\s*' + HS_STRING + r'\s*,?)*)\s*\]', re.S)
    for name in sorted(os.listdir(base)):
        m = re.match(r"(DL\d{4})Spec\.hs$", name)
        if not m:
            continue
        code = m.group(1)
        with open(os.path.join(base, name)) as f:
            text = f.read()
        blocks = re.split(r'\n\s+it\s+(?=")', text)
        cases, n = [], 0
        for block in blocks[1:]:
            title = re.match(HS_STRING, block)
            binds = {b.group(1): [hs_unquote(s) for s in re.findall(HS_STRING, b.group(2))]
                     for b in binding.finditer(block)}
            for c in call.finditer(block):
                fn, rcode, arg, var = c.group(1), c.group(2), c.group(3), c.group(4)
                if rcode != code:
                    continue
                if arg.startswith('"'):
                    df = hs_unquote(arg)
                elif var:
                    if var not in binds:
                        continue
                    df = "\n".join(binds[var])
                else:
                    rest = block[c.end():]
                    end = rest.find("]")
                    df = "\n".join(hs_unquote(s) for s in re.findall(HS_STRING, rest[:end]))
                n += 1
                kind = "neg" if fn == "ruleCatchesNot" else "pos"
                # hadolint's cases are often fragments without FROM, which hadolint accepts and
                # docker build (and pipeguard) do not: give them a base so the rule is what is tested
                first = next((ln.split()[0].upper() for ln in df.splitlines()
                              if ln.strip() and not ln.lstrip().startswith("#")), "")
                if first not in ("FROM", "ARG"):
                    df = "FROM scratch\n" + df
                cases.append({"case": f"{kind}{n}", "kind": kind, "text": df + "\n", "expected": None,
                              "title": hs_unquote(title.group(0)) if title else ""})
        out.append({"source": "hadolint", "platform": "dockerfile", "key": code, "name": code,
                    "severity": "", "slug": code, "url": f"https://github.com/hadolint/hadolint/wiki/{code}",
                    "cases": cases})
    return out


def load_all(fixtures):
    queries = []
    for plat in PLATFORMS:
        queries += load_kics(fixtures, plat)
        queries += load_trivy(fixtures, plat)
        queries += load_hadolint(fixtures, plat)
    return queries


# --------------------------------------------------------------------------- staging

def staged_name(platform, case_name, source):
    fixed = PLATFORMS[platform][1]
    if fixed:
        return fixed
    if platform == "kubernetes":
        return case_name if source == "kics" else "manifest.yaml"
    if source == "kics":
        return case_name  # .tf, and the few plan-JSON / YAML cases under their own names
    return "main.tf"


def stage(fixtures, out):
    queries = load_all(fixtures)
    index = {}
    per_group = defaultdict(int)
    for q in queries:
        group = f"{q['source']}-{q['platform']}"
        b = per_group[group] // BATCH
        per_group[group] += 1
        q["batch"] = f"{group}/b{b:02d}"
        for c in q["cases"]:
            cname = re.sub(r"[^A-Za-z0-9_.-]", "_", c["case"])
            rel = os.path.join(group, f"b{b:02d}", q["slug"], cname.rsplit(".", 1)[0] if "." in cname else cname,
                               staged_name(q["platform"], cname, q["source"]))
            dst = os.path.join(out, "stage", rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            if "src" in c:
                with open(c["src"], "rb") as f:
                    data = f.read()
            else:
                data = c["text"].encode()
            with open(dst, "wb") as f:
                f.write(data)
            for sup in q.get("support") or []:
                with open(sup, "rb") as f_in, open(os.path.join(os.path.dirname(dst), os.path.basename(sup)), "wb") as f_out:
                    f_out.write(f_in.read())
            index[rel] = {"source": q["source"], "platform": q["platform"], "key": q["key"],
                          "case": c["case"], "kind": c["kind"], "expected": c.get("expected")}
        for c in q["cases"]:
            c.pop("text", None)
            c.pop("src", None)
    with open(os.path.join(out, "cases.json"), "w") as f:
        json.dump({"queries": queries, "files": index}, f, indent=0, sort_keys=True)
    groups = sorted({q["batch"] for q in queries})
    with open(os.path.join(out, "batches.txt"), "w") as f:
        for g in groups:
            src, plat = g.split("/")[0].split("-", 1)
            fw = PLATFORMS[plat][2]
            f.write(f"{g} {plat} {fw or '-'}\n")
    counts = defaultdict(lambda: [0, 0, 0])
    for q in queries:
        k = f"{q['source']}-{q['platform']}"
        counts[k][0] += 1
        counts[k][1] += sum(1 for c in q["cases"] if c["kind"] == "pos")
        counts[k][2] += sum(1 for c in q["cases"] if c["kind"] == "neg")
    for k, (nq, npos, nneg) in sorted(counts.items()):
        print(f"staged {k}: {nq} queries, {npos} positive and {nneg} negative cases", file=sys.stderr)


# --------------------------------------------------------------------------- tool reports

def load_pipeguard(out):
    """rel path -> list of (rule, start, end)"""
    res = defaultdict(list)
    for name in sorted(os.listdir(out)):
        if not (name.startswith("pg-") and name.endswith(".json")):
            continue
        with open(os.path.join(out, name)) as f:
            data = json.load(f)
        group = name[3:-5]
        for x in data.get("findings", []):
            loc = x["location"]
            rel = os.path.join(group, loc["path"])
            res[rel].append((x["rule_id"], loc.get("start_line", 0), loc.get("end_line", loc.get("start_line", 0)),
                             x.get("message", "")))
    return res


def load_checkov(out):
    """rel path -> list of (check id, start, end) for *failed* checks."""
    res = defaultdict(list)
    ckdir = os.path.join(out, "ck")
    if not os.path.isdir(ckdir):
        return res, False
    for dirpath, _, files in os.walk(ckdir):
        for name in files:
            if not name.endswith(".json"):
                continue
            batch = os.path.relpath(os.path.join(dirpath, name[:-5]), ckdir)  # group/bNN
            with open(os.path.join(dirpath, name)) as f:
                text = f.read().strip()
            if not text:
                continue
            try:
                data = json.loads(text)
            except ValueError:
                continue
            for rep in (data if isinstance(data, list) else [data]):
                if not isinstance(rep, dict):
                    continue
                for c in (rep.get("results") or {}).get("failed_checks", []):
                    rng = c.get("file_line_range") or [0, 0]
                    p = (c.get("file_path") or "").lstrip("/")
                    # some checkov runners report paths relative to the scanned directory,
                    # others relative to the working directory (OUT, where stage/ lives)
                    k = p.find("stage/" + batch + "/")
                    rel = p[k + len("stage/"):] if k >= 0 else os.path.join(batch, p)
                    res[rel].append((c["check_id"], rng[0], rng[1]))
    return res, True


def load_hadolint_report(out):
    res = defaultdict(list)
    p = os.path.join(out, "hadolint.json")
    if not os.path.isfile(p):
        return res, False
    stage_dir = os.path.join(out, "stage")
    with open(p) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                items = json.loads(line)
            except ValueError:
                continue
            for x in items:
                rel = os.path.relpath(os.path.join(stage_dir, x["file"]) if not os.path.isabs(x["file"])
                                      else x["file"], stage_dir)
                res[rel].append((x["code"], x["line"], x["line"]))
    return res, True


def cpu_of(out, prefix):
    total, n = 0.0, 0
    for dirpath, _, files in os.walk(out):
        for name in files:
            if name.endswith(".time") and os.path.relpath(os.path.join(dirpath, name), out).startswith(prefix):
                try:
                    with open(os.path.join(dirpath, name)) as f:
                        last = f.read().strip().splitlines()[-1].split()
                    total += float(last[0]) + float(last[1])
                    n += 1
                except (OSError, IndexError, ValueError):
                    pass
    return total if n else None


# --------------------------------------------------------------------------- scoring

def ids_for(mapping, q, tool):
    m = (mapping.get(q["source"]) or {}).get(q["key"]) or {}
    return set(m.get(tool) or [])


def matches(finding, ids):
    """A mapped id is a rule id, or `rule~regex`: that rule, and only findings whose message
    matches the regex (case-insensitive) — for rules that cover several KICS queries at once
    (no-resource-limits: cpu or memory; host-namespace: which namespace; the public access
    block: which setting)."""
    rule, msg = finding[0], (finding[3] if len(finding) > 3 else "")
    for i in ids:
        if "~" in i:
            r, rx = i.split("~", 1)
            if r == rule and re.search(rx, msg, re.I):
                return True
        elif i == rule:
            return True
    return False


def score(q, files_by_query, reports, ids):
    """Per tool: found/expected (line), found (file), fp negatives / negatives."""
    r = {"exp": 0, "line": 0, "exact": 0, "file": 0, "pos": 0, "posfile": 0, "neg": 0, "fp": 0, "missed": [], "fps": []}
    any_hits = []
    for rel, meta in files_by_query:
        hits = [f[:3] for f in reports.get(rel, []) if matches(f, ids)]
        if meta["kind"] == "pos":
            any_hits += hits
        if meta["kind"] == "neg":
            r["neg"] += 1
            if hits:
                r["fp"] += 1
                r["fps"].append(rel)
            continue
        r["pos"] += 1
        if hits:
            r["posfile"] += 1
        exp = meta.get("expected")
        if exp is None:  # example without lines: the whole file is one expectation
            r["exp"] += 1
            if hits:
                r["line"] += 1
                r["exact"] += 1
                r["file"] += 1
            else:
                r["missed"].append((rel, None))
            continue
        for line in exp:
            r["exp"] += 1
            if any(s <= line <= max(e, s) for _, s, e in hits):
                r["exact"] += 1
            if any(s - NEAR <= line <= max(e, s) + NEAR for _, s, e in hits):
                r["line"] += 1
            else:
                r["missed"].append((rel, line))
            if hits:
                r["file"] += 1
    for line in q.get("expected_any") or []:
        r["exp"] += 1
        if any(s <= line <= max(e, s) for _, s, e in any_hits):
            r["exact"] += 1
        if any(s - NEAR <= line <= max(e, s) + NEAR for _, s, e in any_hits):
            r["line"] += 1
        else:
            r["missed"].append(("(any positive file)", line))
        if any_hits:
            r["file"] += 1
    return r


def pct(a, b):
    return f"{100.0 * a / b:.1f}%" if b else "–"


def load_mapping(path):
    """The mapping CSV (labelled-mapping.csv) as {source: {key: {column: value}}}; the id
    columns become lists (space-separated in the file). A JSON file of that shape works too."""
    if path.endswith(".json"):
        with open(path) as f:
            return json.load(f)
    mapping = defaultdict(dict)
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            m = dict(row)
            for col in ("pipeguard", "checkov", "hadolint", "trivy"):
                m[col] = (row.get(col) or "").split()
            mapping[row["source"]][row["key"]] = m
    return mapping


def report(out, mapping_path, worklist=None, json_out=None):
    with open(os.path.join(out, "cases.json")) as f:
        cases = json.load(f)
    mapping = load_mapping(mapping_path)
    pg = load_pipeguard(out)
    ck, have_ck = load_checkov(out)
    hl, have_hl = load_hadolint_report(out)
    by_query = defaultdict(list)
    for rel, meta in cases["files"].items():
        by_query[(meta["source"], meta["key"])].append((rel, meta))
    tools = [("pipeguard", pg, True), ("checkov", ck, have_ck), ("hadolint", hl, have_hl)]
    lines = []
    summary = {}
    missed_rows = []
    groups = defaultdict(list)
    for q in cases["queries"]:
        groups[(q["source"], q["platform"])].append(q)
    order = [(s, p) for p in PLATFORMS for s in ("kics", "trivy", "hadolint") if (s, p) in groups]
    lines.append("| set | platform | queries | with cases | tool | mapped | unmapped | expectations on mapped "
                 "| found (line ±2) | found (exact) | found (file) | negatives on mapped | FP negatives | covered |")
    lines.append("|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    shared_lines = []
    for src, plat in order:
        qs = [q for q in groups[(src, plat)] if not q.get("deprecated")]
        with_cases = [q for q in qs if any(c["kind"] == "pos" for c in q["cases"])]
        for tool, rep, present in tools:
            if tool == "hadolint" and plat != "dockerfile":
                continue
            if tool == "checkov" and PLATFORMS[plat][2] is None:
                continue
            mapped = [q for q in qs if ids_for(mapping, q, tool)]
            tot = defaultdict(int)
            for q in mapped:
                s = score(q, by_query[(q["source"], q["key"])], rep, ids_for(mapping, q, tool))
                for k in ("exp", "line", "exact", "file", "neg", "fp"):
                    tot[k] += s[k]
                # covered: every expectation found at line level and no false positive
                if s["exp"] and s["line"] == s["exp"] and s["fp"] == 0:
                    tot["covered"] += 1
                if tool == "pipeguard":
                    for rel, line in s["missed"]:
                        missed_rows.append((q, rel, line))
            note = "" if present else " (not run)"
            lines.append(f"| {src} | {plat} | {len(qs)} | {len(with_cases)} | {tool}{note} | {len(mapped)} | "
                         f"{len(qs) - len(mapped)} | {tot['exp']} | {tot['line']} ({pct(tot['line'], tot['exp'])}) | {tot['exact']} | "
                         f"{tot['file']} | {tot['neg']} | {tot['fp']} ({pct(tot['fp'], tot['neg'])}) | {tot['covered']} |")
            summary.setdefault(f"{src}/{plat}", {})[tool] = {
                "queries": len(qs), "mapped": len(mapped), **{k: tot[k] for k in ("exp", "line", "exact", "file", "neg", "fp", "covered")}}
        # shared subset: queries mapped to pipeguard and checkov (and hadolint for Dockerfile)
        peers = [t for t in tools[1:] if t[2] and (t[0] != "hadolint" or plat == "dockerfile")
                 and (t[0] != "checkov" or PLATFORMS[plat][2])]
        for peer, prep, _ in peers:
            shared = [q for q in qs if ids_for(mapping, q, "pipeguard") and ids_for(mapping, q, peer)]
            a = defaultdict(int)
            b = defaultdict(int)
            for q in shared:
                fq = by_query[(q["source"], q["key"])]
                sa = score(q, fq, pg, ids_for(mapping, q, "pipeguard"))
                sb = score(q, fq, prep, ids_for(mapping, q, peer))
                for k in ("exp", "line", "neg", "fp"):
                    a[k] += sa[k]
                    b[k] += sb[k]
            shared_lines.append(f"| {src} | {plat} | pipeguard ∩ {peer} | {len(shared)} | {a['exp']} | "
                                f"{a['line']} ({pct(a['line'], a['exp'])}) | {b['line']} ({pct(b['line'], b['exp'])}) | "
                                f"{a['fp']}/{a['neg']} | {b['fp']}/{b['neg']} |")
            summary[f"{src}/{plat}"][f"shared-{peer}"] = {"queries": len(shared), "exp": a["exp"],
                                                          "pipeguard": a["line"], peer: b["line"],
                                                          "pipeguard_fp": a["fp"], f"{peer}_fp": b["fp"],
                                                          "neg": a["neg"]}
    lines.append("")
    lines.append("Shared subset (queries mapped to both tools; same expectations, same negatives):")
    lines.append("")
    lines.append("| set | platform | subset | queries | expectations | pipeguard found | peer found | "
                 "pipeguard FP | peer FP |")
    lines.append("|---|---|---|---:|---:|---:|---:|---:|---:|")
    lines += shared_lines
    cpu_lines = []
    for tool, prefix in (("pipeguard", "pg-"), ("checkov", "ck/"), ("hadolint", "hadolint")):
        c = cpu_of(out, prefix)
        if c is not None:
            cpu_lines.append(f"| {tool} | {c:.2f} |")
    if cpu_lines:
        lines += ["", "| tool | CPU s (user+sys, all staged cases) |", "|---|---:|"] + cpu_lines
    print("\n".join(lines))
    if worklist:
        write_worklist(worklist, cases["queries"], mapping, missed_rows, by_query, ck, pg)
    if json_out:
        with open(json_out, "w") as f:
            json.dump(summary, f, indent=1, sort_keys=True)


def write_worklist(path, queries, mapping, missed_rows, by_query, ck, pg):
    """One row per KICS Kubernetes/Terraform query without a pipeguard rule, and one per
    expectation a mapped pipeguard rule misses. The proposed rule, attributes and references
    come from MAPPING (`proposed`, `reads`, `ref`)."""
    rows = []
    for q in queries:
        if q["source"] != "kics" or q["platform"] not in ("kubernetes", "terraform-aws"):
            continue
        m = (mapping.get("kics") or {}).get(q["key"]) or {}
        if m.get("pipeguard"):
            continue
        fq = by_query[("kics", q["key"])]
        exp = sum(len(meta.get("expected") or []) for _, meta in fq if meta["kind"] == "pos") + \
            len(q.get("expected_any") or [])
        ck_ids = m.get("checkov") or []
        ck_found = score(q, fq, ck, set(ck_ids))["line"] if ck_ids else 0
        rows.append({"kind": "unmapped", "platform": q["platform"], "kics_id": q["key"], "kics_slug": q["slug"],
                     "kics_name": q["name"], "severity": q["severity"], "proposed_rule": m.get("proposed", ""),
                     "reads": m.get("reads", ""), "checkov": " ".join(ck_ids), "trivy": " ".join(m.get("trivy") or []),
                     "expectations": exp, "checkov_found": ck_found, "reference": m.get("ref") or q.get("url", ""),
                     "file": "", "line": "", "note": m.get("note", "")})
    for q, rel, line in missed_rows:
        if q["source"] != "kics" or q["platform"] not in ("kubernetes", "terraform-aws"):
            continue
        m = (mapping.get("kics") or {}).get(q["key"]) or {}
        ids = set(m.get("pipeguard") or [])
        if rel.startswith("("):
            near = sorted({f[1] for r_, _m in by_query[("kics", q["key"])] if _m["kind"] == "pos"
                           for f in pg.get(r_, []) if matches(f, ids)})
        else:
            near = sorted({f[1] for f in pg.get(rel, []) if matches(f, ids)})
        why = (f"reported at line(s) {', '.join(map(str, near[:6]))} of the file, not at the expected line"
               if near else "not reported")
        rows.append({"kind": "missed", "platform": q["platform"], "kics_id": q["key"], "kics_slug": q["slug"],
                     "kics_name": q["name"], "severity": q["severity"],
                     "proposed_rule": " ".join(i.split("~")[0] for i in m.get("pipeguard") or []),
                     "reads": m.get("reads", ""),
                     "checkov": " ".join(m.get("checkov") or []), "trivy": " ".join(m.get("trivy") or []),
                     "expectations": 1, "checkov_found": "", "reference": m.get("ref") or q.get("url", ""),
                     "file": rel, "line": line, "note": "; ".join(x for x in (why, m.get("note", "")) if x)})
    # rules ordered as in the summary: hygiene last, then by the highest severity and the number
    # of queries; inside a rule by severity and name
    group_rank = defaultdict(lambda: (9, 0))
    for r in rows:
        k = (r["platform"], r["kind"], r["proposed_rule"])
        sev, n = group_rank[k]
        group_rank[k] = (min(sev, SEV_ORDER.get(r["severity"], 9)), n + 1)
    rows.sort(key=lambda r: (r["platform"], r["kind"] != "unmapped", "hygiene" in r["proposed_rule"],
                             group_rank[(r["platform"], r["kind"], r["proposed_rule"])][0],
                             -group_rank[(r["platform"], r["kind"], r["proposed_rule"])][1], r["proposed_rule"],
                             SEV_ORDER.get(r["severity"], 9), r["kics_slug"], r["file"], str(r["line"])))
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()) if rows else ["kind"])
        w.writeheader()
        for r in rows:
            w.writerow(r)


def worklist_summary(path):
    """Markdown: the proposed rules (grouped worklist rows), by highest severity then count."""
    rows = list(csv.DictReader(open(path, newline="")))
    out = []
    for plat in ("kubernetes", "terraform-aws"):
        groups = defaultdict(list)
        missed = defaultdict(list)
        for r in rows:
            if r["platform"] == plat:
                if r["kind"] == "unmapped":
                    groups[r["proposed_rule"]].append(r)
                else:
                    missed[r["proposed_rule"]].append(r)
        def order(item):
            k, rs = item
            return (k.startswith("hygiene") or "/hygiene" in k, min(SEV_ORDER.get(r["severity"], 9) for r in rs), -len(rs), k)
        out.append(f"\n{plat}:\n")
        out.append("| proposed rule | queries | severities (KICS) | expectations | checkov found | checkov ids | trivy ids |")
        out.append("|---|---:|---|---:|---:|---|---|")
        for k, rs in sorted(groups.items(), key=order):
            sev = defaultdict(int)
            for r in rs:
                sev[r["severity"]] += 1
            sevs = ", ".join(f"{v} {s_}" for s_, v in sorted(sev.items(), key=lambda kv: SEV_ORDER.get(kv[0], 9)))
            ck = sorted({i for r in rs for i in r["checkov"].split()}, key=lambda x: (len(x), x))
            tv = sorted({i for r in rs for i in r["trivy"].split()})
            exp = sum(int(r["expectations"] or 0) for r in rs)
            ckf = sum(int(r["checkov_found"] or 0) for r in rs)
            out.append(f"| `{k}` | {len(rs)} | {sevs} | {exp} | {ckf} | {' '.join(ck[:12])}{' …' if len(ck) > 12 else ''} | "
                       f"{' '.join(tv[:8])}{' …' if len(tv) > 8 else ''} |")
        out.append(f"\n{plat}, expectations missed by the mapped rules:\n")
        out.append("| rule | queries | missed | reported elsewhere in the file | not reported |")
        out.append("|---|---:|---:|---:|---:|")
        for k, rs in sorted(missed.items(), key=lambda kv: -len(kv[1])):
            elsewhere = sum(1 for r in rs if r["note"].startswith("reported"))
            out.append(f"| `{k}` | {len({r['kics_id'] for r in rs})} | {len(rs)} | {elsewhere} | {len(rs) - elsewhere} |")
    print("\n".join(out))


def list_queries(fixtures, platform):
    for q in load_kics(fixtures, platform):
        npos = sum(len(c.get("expected") or []) for c in q["cases"] if c["kind"] == "pos") + len(q["expected_any"])
        print(f"{q['key']}\t{q['severity']}\t{q['slug']}\t{q['name']}\t{npos}")


def show(out, mapping_path, wanted):
    """Print each wanted query's cases: positive lines marked `>>` where expected, then the
    findings of every tool on the case (mapped ids marked `*`) and pipeguard's score."""
    with open(os.path.join(out, "cases.json")) as f:
        cases = json.load(f)
    mapping = load_mapping(mapping_path)
    pg = load_pipeguard(out)
    ck, _ = load_checkov(out)
    by_query = defaultdict(list)
    for rel, meta in cases["files"].items():
        by_query[(meta["source"], meta["key"])].append((rel, meta))
    for q in cases["queries"]:
        if not any(w in (q["slug"], q["key"], q["slug"].split("+")[-1]) for w in wanted):
            continue
        ids = ids_for(mapping, q, "pipeguard")
        print(f"=== {q['source']} {q['platform']} {q['slug']} {q['key']} [{q['severity']}] {q['name']}")
        print(f"    pipeguard: {' '.join(sorted(ids)) or '-'}   checkov: {' '.join(sorted(ids_for(mapping, q, 'checkov'))) or '-'}")
        if q.get("expected_any"):
            print(f"    expected in any positive file: {q['expected_any']}")
        for rel, meta in sorted(by_query[(q["source"], q["key"])], key=lambda x: (x[1]["kind"] != "pos", x[0])):
            exp = set(meta.get("expected") or [])
            print(f"--- {meta['kind']} {rel}  expected {sorted(exp) if meta.get('expected') is not None else 'anywhere'}")
            try:
                with open(os.path.join(out, "stage", rel), errors="replace") as f:
                    lines = f.read().splitlines()
            except OSError:
                lines = []
            for i, line in enumerate(lines[:400], 1):
                print(f"{'>>' if i in exp else '  '}{i:4d} {line}")
            for tool, rep in (("pipeguard", pg), ("checkov", ck)):
                tids = ids_for(mapping, q, tool)
                for fnd in rep.get(rel, []):
                    mark = "*" if matches(fnd, tids) else " "
                    msg = fnd[3] if len(fnd) > 3 else ""
                    print(f"    {mark} {tool} {fnd[0]} {fnd[1]}-{fnd[2]} {msg}")
        s = score(q, by_query[(q["source"], q["key"])], pg, ids)
        print(f"    score: {s['line']}/{s['exp']} found, fp {s['fp']}/{s['neg']}, missed {s['missed']}")


def main(argv):
    if len(argv) >= 3 and argv[0] == "stage":
        stage(argv[1], argv[2])
    elif len(argv) >= 3 and argv[0] == "report":
        wl = js = None
        rest = argv[3:]
        while rest:
            if rest[0] == "--worklist" and len(rest) > 1:
                wl, rest = rest[1], rest[2:]
            elif rest[0] == "--json" and len(rest) > 1:
                js, rest = rest[1], rest[2:]
            else:
                sys.exit(f"unknown argument {rest[0]}")
        report(argv[1], argv[2], wl, js)
    elif len(argv) >= 2 and argv[0] == "worklist-summary":
        worklist_summary(argv[1])
    elif len(argv) >= 4 and argv[0] == "show":
        show(argv[1], argv[2], argv[3:])
    elif len(argv) >= 3 and argv[0] == "list":
        list_queries(argv[1], argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
