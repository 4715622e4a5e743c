#!/usr/bin/env python3
"""Compare pipeguard's kubernetes/terraform findings with checkov's on the same files.

Input: the JSON reports written by k8s_tf_compare.sh (pipeguard `scan --format json`, checkov
`-o json`) and the CPU-time files of /usr/bin/time -f '%U %S %M'. Output: markdown on stdout.

Matching unit: a checkov resource (file + line range, failed *or passed* for the mapped check
ids). A pipeguard finding belongs to the smallest checkov resource of the mapped checks that
contains its line; findings outside every such resource count on their own (file:line).
"""

import json
import random
import sys
from collections import defaultdict

# our rule -> checkov ids that check the same thing (documented in docs/kubernetes-terraform.md)
MAPPING = {
    "kubernetes/privileged": ["CKV_K8S_16"],
    "kubernetes/privilege-escalation": ["CKV_K8S_20"],
    "kubernetes/run-as-root": ["CKV_K8S_23"],
    "kubernetes/host-namespace": ["CKV_K8S_17", "CKV_K8S_18", "CKV_K8S_19"],
    "kubernetes/docker-socket": ["CKV_K8S_27"],
    "kubernetes/dangerous-capabilities": ["CKV_K8S_39"],
    "kubernetes/writable-root-fs": ["CKV_K8S_22"],
    "kubernetes/no-resource-limits": ["CKV_K8S_11", "CKV_K8S_13"],
    "kubernetes/unpinned-image": ["CKV_K8S_14"],
    "kubernetes/default-service-account-token": ["CKV_K8S_38"],
    "terraform/hardcoded-credentials": ["CKV_AWS_41"],
    "terraform/s3-public-acl": ["CKV_AWS_20", "CKV_AWS_57"],
    "terraform/s3-public-policy": ["CKV_AWS_70"],
    "terraform/s3-no-public-access-block": ["CKV2_AWS_6"],
    "terraform/s3-unencrypted": ["CKV_AWS_19"],
    "terraform/open-ingress": ["CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_277", "CKV_AZURE_9",
                               "CKV_AZURE_10", "CKV_GCP_2", "CKV_GCP_3", "CKV2_GCP_12"],
    "terraform/iam-wildcard": ["CKV_AWS_1", "CKV_AWS_49", "CKV_AWS_62", "CKV_AWS_63",
                               "CKV_AWS_355", "CKV_AWS_356"],
    "terraform/unencrypted-storage": ["CKV_AWS_16", "CKV_AWS_3", "CKV_AWS_42", "CKV_AWS_44", "CKV_AWS_96"],
    "terraform/public-database": ["CKV_AWS_17", "CKV_GCP_11"],
    "terraform/ecr-mutable-tags": ["CKV_AWS_51"],
    "terraform/ecr-scan-disabled": ["CKV_AWS_163"],
    "terraform/eks-public-endpoint": ["CKV_AWS_39", "CKV_AWS_38"],
    "terraform/registry-public": ["CKV_AWS_32", "CKV2_GCP_9"],
}


def load_checkov(path):
    """(check_id, file, start, end, resource, passed) for every result."""
    with open(path) as f:
        text = f.read().strip()
    if not text:
        return []
    data = json.loads(text)
    reports = data if isinstance(data, list) else [data]
    out = []
    for rep in reports:
        res = rep.get("results", {}) if isinstance(rep, dict) else {}
        for key, passed in (("failed_checks", False), ("passed_checks", True)):
            for c in res.get(key, []):
                rng = c.get("file_line_range") or [0, 0]
                path = (c.get("file_path") or "").lstrip("/")
                out.append((c["check_id"], path, rng[0], rng[1], c.get("resource", ""), passed))
    return out


def load_pipeguard(path):
    with open(path) as f:
        data = json.load(f)
    return [(x["rule_id"], x["location"]["path"], x["location"]["start_line"], x["message"])
            for x in data["findings"]]


def cpu(path):
    try:
        with open(path) as f:
            last = f.read().strip().splitlines()[-1].split()
        return float(last[0]) + float(last[1]), int(last[2])
    except (OSError, IndexError, ValueError):
        return float("nan"), 0


def compare(family, pg, ck, out, rng):
    ours_by_rule = defaultdict(list)
    for rule, path, line, msg in pg:
        ours_by_rule[rule].append((path, line, msg))
    ck_all_ids = defaultdict(int)
    for cid, *_rest in ck:
        ck_all_ids[cid] += 1
    out.append(f"\n### {family}\n")
    out.append("| our rule | checkov ids | ours (units) | checkov failed (units) | both | ours only | checkov only |")
    out.append("|---|---|---:|---:|---:|---:|---:|")
    samples = []
    for rule, ids in MAPPING.items():
        if not rule.startswith(family + "/"):
            continue
        units = [(p, s, e, res) for cid, p, s, e, res, _ in ck if cid in ids]
        failed = {(p, s, e): res for cid, p, s, e, res, passed in ck if cid in ids and not passed}
        ours = {}
        for path, line, msg in ours_by_rule.get(rule, []):
            best = None
            for p, s, e, res in units:
                if p == path and s <= line <= e and (best is None or e - s < best[2] - best[1]):
                    best = (p, s, e)
            key = best or (path, line, line)
            ours.setdefault(key, msg)
        both = set(ours) & set(failed)
        only_ours = sorted(set(ours) - set(failed))
        only_ck = sorted(set(failed) - set(ours))
        out.append(f"| `{rule}` | {', '.join(ids)} | {len(ours)} | {len(failed)} | {len(both)} | "
                   f"{len(only_ours)} | {len(only_ck)} |")
        for k in rng.sample(only_ours, min(3, len(only_ours))):
            samples.append((rule, "pipeguard only", f"{k[0]}:{k[1]}", ours[k][:140]))
        for k in rng.sample(only_ck, min(3, len(only_ck))):
            samples.append((rule, "checkov only", f"{k[0]}:{k[1]}-{k[2]}", failed[k]))
    unmapped = sorted({r for r, *_ in pg} - set(MAPPING))
    if unmapped:
        out.append("\nOur rules without a checkov counterpart (counts): " + ", ".join(
            f"`{r}` {len(ours_by_rule[r])}" for r in unmapped))
    out.append(f"\nDisagreement sample ({family}, seeded):\n")
    out.append("| rule | side | where | what |")
    out.append("|---|---|---|---|")
    for s in samples:
        out.append("| `{}` | {} | `{}` | {} |".format(*[x.replace("|", "\\|") for x in s]))


def main():
    work = sys.argv[1]
    rng = random.Random(6)
    out = ["## pipeguard vs checkov — kubernetes and terraform\n"]
    total_pg = total_ck = 0.0
    out.append("| family | files | pipeguard CPU s (max RSS MB) | checkov CPU s (max RSS MB) | speed-up |")
    out.append("|---|---:|---:|---:|---:|")
    parts = []
    for family, sub in (("kubernetes", "k8s"), ("terraform", "terraform")):
        pg = load_pipeguard(f"{work}/pg-{sub}.json")
        ck = load_checkov(f"{work}/ck-{sub}.json")
        with open(f"{work}/files-{sub}.txt") as f:
            nfiles = int(f.read().strip() or 0)
        pg_cpu, pg_rss = cpu(f"{work}/pg-{sub}.time")
        ck_cpu, ck_rss = cpu(f"{work}/ck-{sub}.time")
        total_pg += pg_cpu
        total_ck += ck_cpu
        out.append(f"| {family} | {nfiles} | {pg_cpu:.2f} ({pg_rss // 1024}) | {ck_cpu:.2f} ({ck_rss // 1024}) | "
                   f"{ck_cpu / pg_cpu if pg_cpu else float('nan'):.0f}× |")
        parts.append((family, pg, ck))
    out.append(f"| **total** | | {total_pg:.2f} | {total_ck:.2f} | "
               f"**{total_ck / total_pg if total_pg else float('nan'):.0f}×** |")
    for family, pg, ck in parts:
        compare(family, pg, ck, out, rng)
    print("\n".join(out))


if __name__ == "__main__":
    main()
