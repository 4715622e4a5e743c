#!/usr/bin/env bash
# Side-by-side run of pipeguard's GitHub analyzer and zizmor over the real-workflow corpus:
# files parsed by each, per-rule counts (our ids mapped to zizmor audits), CPU time (user+sys,
# max RSS) of both on the same files in the same run, and the privileged-trigger check (every
# pull_request_target / workflow_run / issue_comment job that runs PR code is flagged, no other).
#
# Usage: bench/github/compare.sh [CORPUS_DIR]
#   PIPEGUARD=path/to/pipeguard (default: target/release/pipeguard, then $CARGO_TARGET_DIR/release)
#   ZIZMOR=path/to/zizmor       (default: zizmor on PATH, then ../shared/peers' install dir)
#   OUT=dir for the raw outputs (default: a temp dir)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
corpus="${1:-$repo/../shared/corpus/workflows}"
[ -d "$corpus" ] || corpus=/work/shared/corpus/workflows
pg="${PIPEGUARD:-}"
for c in "$repo/target/release/pipeguard" "${CARGO_TARGET_DIR:-/nonexistent}/release/pipeguard"; do
  [ -z "$pg" ] && [ -x "$c" ] && pg="$c"
done
[ -n "$pg" ] || { echo "build pipeguard first: cargo build --release -p pipeguard (or set PIPEGUARD)" >&2; exit 2; }
zz="${ZIZMOR:-$(command -v zizmor || true)}"
[ -n "$zz" ] || zz=/root/.cache/pipeguard-peers/bin/zizmor
[ -x "$zz" ] || { echo "zizmor not found: run ../shared/peers/install.sh or set ZIZMOR" >&2; exit 2; }
out="${OUT:-$(mktemp -d)}"
mkdir -p "$out"

# Both tools see the same tree: the corpus files as .github/workflows/* of one repository.
tree="$out/tree"
rm -rf "$tree" && mkdir -p "$tree/.github/workflows"
find "$corpus" -maxdepth 1 -type f \( -name '*.yml' -o -name '*.yaml' \) -exec cp {} "$tree/.github/workflows/" \;
nfiles=$(find "$tree/.github/workflows" -type f | wc -l)

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg) (CPU time is user+sys, less sensitive to load than wall time)"
echo "pipeguard: $pg ($("$pg" --version 2>/dev/null || echo '?'))"
echo "zizmor:    $zz ($("$zz" --version 2>/dev/null || echo '?'))"
echo "corpus:    $corpus ($nfiles workflow files)"
echo

run_timed() { # name, stdout file, command...
  local name=$1 file=$2; shift 2
  /usr/bin/time -f "%U %S %M" -o "$out/$name.time" "$@" > "$file" 2> "$out/$name.stderr" || true
}
# Warm the page cache, then measure each tool (best of 3 runs by CPU time).
cat "$tree"/.github/workflows/* > /dev/null
for i in 1 2 3; do
  run_timed "pg$i" "$out/pipeguard.json" "$pg" scan --only github --format json --fail-on never "$tree"
  run_timed "zz$i" "$out/zizmor.json" "$zz" --offline --format json --no-progress "$tree"
done

python3 - "$out" "$tree" "$here/pr-code-jobs.txt" <<'PY'
import collections, json, os, re, sys
out, tree, truth_file = sys.argv[1:4]
wf = os.path.join(tree, ".github", "workflows")
files = sorted(os.listdir(wf))

def best(prefix):
    runs = []
    for i in (1, 2, 3):
        try:
            u, s, m = open(os.path.join(out, f"{prefix}{i}.time")).read().split()[-3:]
            runs.append((float(u) + float(s), float(u), float(s), int(m)))
        except Exception:
            pass
    return min(runs) if runs else None

pg = json.load(open(os.path.join(out, "pipeguard.json")))
zz_text = open(os.path.join(out, "zizmor.json")).read().strip() or "[]"
zz = json.loads(zz_text)
zz_err = open(os.path.join(out, "zz1.stderr")).read()

# Files parsed.
pg_failed = {os.path.basename(f["location"]["path"]) for f in pg["findings"] if f["rule_id"] == "github/parse-error"}
zz_failed = set(os.path.basename(m) for m in re.findall(r"failed to (?:validate|load|parse) file://(\S+?) ", zz_err))
zz_failed |= set(os.path.basename(m) for m in re.findall(r"failed to (?:validate|load|parse) (\S+?\.ya?ml)", zz_err))
print(f"files parsed: pipeguard {len(files) - len(pg_failed)}/{len(files)}, zizmor {len(files) - len(zz_failed)}/{len(files)}")
print(f"  pipeguard rejects: {sorted(pg_failed) or '-'}")
print(f"  zizmor rejects:    {sorted(zz_failed) or '-'}")
print(f"  parsed by zizmor but not pipeguard: {sorted(pg_failed - zz_failed) or 'none'}")
print()

# Per-rule counts.
MAP = [
    ("github/untrusted-checkout", "dangerous-triggers"),
    ("github/script-injection", "template-injection"),
    ("github/env-file-injection", "github-env"),
    ("github/artifact-poisoning", None),
    ("github/secrets-to-untrusted", None),
    ("github/self-hosted-untrusted", "self-hosted-runner"),
    ("github/excessive-permissions", "excessive-permissions"),
    ("github/unpinned-action", "unpinned-uses"),
    ("github/secrets-inherit", "secrets-inherit"),
    ("github/secrets-dump", "overprovisioned-secrets"),
    ("github/persisted-credentials", "artipacked"),
    ("github/hardcoded-credentials", "hardcoded-container-credentials"),
    ("github/insecure-commands", "insecure-commands"),
    ("github/spoofable-actor-check", "bot-conditions"),
    ("github/push-without-scan", None),
    ("github/ci-deploys", None),
    ("github/parse-error", None),
    ("github/dangerous-trigger", "dangerous-triggers"),
    ("github/cache-poisoning", "cache-poisoning"),
    ("github/unpinned-image", "unpinned-images"),
    ("github/use-trusted-publishing", "use-trusted-publishing"),
    ("github/unredacted-secrets", "unredacted-secrets"),
    ("github/remote-script", None),
    ("github/secret-exfiltration", None),
    ("github/unsound-condition", "unsound-condition"),
    ("github/unsound-contains", "unsound-contains"),
    ("github/unsound-ternary", "unsound-ternary"),
    # the offline audits of issue 17's two batches (same names on both sides)
    ("github/adhoc-packages", "adhoc-packages"),
    ("github/anonymous-definition", "anonymous-definition"),
    ("github/concurrency-limits", "concurrency-limits"),
    ("github/dependabot-cooldown", "dependabot-cooldown"),
    ("github/dependabot-execution", "dependabot-execution"),
    ("github/forbidden-uses", "forbidden-uses"),
    ("github/github-app", "github-app"),
    ("github/insecure-url-scheme", "insecure-url-scheme"),
    ("github/misfeature", "misfeature"),
    ("github/obfuscation", "obfuscation"),
    ("github/ref-version-mismatch", "ref-version-mismatch"),
    ("github/secrets-outside-env", "secrets-outside-env"),
    ("github/self-repository", "self-repository"),
    ("github/superfluous-actions", "superfluous-actions"),
    ("github/typosquat-uses", "typosquat-uses"),
    ("github/undocumented-permissions", "undocumented-permissions"),
    ("github/unpinned-tools", "unpinned-tools"),
]
pc = collections.Counter(f["rule_id"] for f in pg["findings"])
zc = collections.Counter(x["ident"] for x in zz)
zsev = collections.defaultdict(collections.Counter)
for x in zz:
    zsev[x["ident"]][x["determinations"]["severity"].lower()] += 1
print(f"{'pipeguard rule':32} {'ours':>5}   {'zizmor audit':32} {'zizmor':>6}  zizmor by severity")
mapped = set()
for ours, theirs in MAP:
    t = zc.get(theirs, 0) if theirs else ""
    sev = ", ".join(f"{k} {v}" for k, v in sorted(zsev[theirs].items())) if theirs else ""
    print(f"{ours:32} {pc.get(ours, 0):>5}   {theirs or '(no equivalent)':32} {t!s:>6}  {sev}")
    mapped.add(theirs)
for ident, n in sorted(zc.items()):
    if ident not in mapped:
        print(f"{'(no equivalent)':32} {'':>5}   {ident:32} {n:>6}")
print()

# CPU time.
p, z = best("pg"), best("zz")
if p and z:
    print(f"CPU time (best of 3): pipeguard {p[0]:.2f}s (user {p[1]:.2f} sys {p[2]:.2f}, max RSS {p[3]//1024} MiB)"
          f" | zizmor {z[0]:.2f}s (user {z[1]:.2f} sys {z[2]:.2f}, max RSS {z[3]//1024} MiB)"
          f" | ratio {z[0]/max(p[0],1e-9):.1f}x")
print()

# Privileged-trigger jobs that run PR code: hand-judged list vs. what pipeguard flags.
truth = set()
if os.path.exists(truth_file):
    for line in open(truth_file):
        line = line.split("#", 1)[0].strip()
        if line:
            truth.add(line)
flagged = set()
for f in pg["findings"]:
    job = f.get("properties", {}).get("job")
    name = os.path.basename(f["location"]["path"])
    if f["rule_id"] == "github/untrusted-checkout" or (
        f["rule_id"] == "github/artifact-poisoning" and "runs " in f["message"]):
        flagged.add(f"{name}:{job}")
try:
    import yaml
    priv = []
    for name in files:
        try:
            doc = yaml.safe_load(open(os.path.join(wf, name)))
        except Exception:
            continue
        if not isinstance(doc, dict):
            continue
        on = doc.get("on", doc.get(True))
        trig = set(on if isinstance(on, list) else (on.keys() if isinstance(on, dict) else [on]))
        if trig & {"pull_request_target", "workflow_run", "issue_comment"}:
            for job in (doc.get("jobs") or {}):
                priv.append(f"{name}:{job}")
    print(f"privileged-trigger jobs (pull_request_target/workflow_run/issue_comment): {len(priv)}")
except ImportError:
    print("privileged-trigger jobs: (python3-yaml missing, count skipped)")
print(f"  judged to run PR code: {len(truth)}; flagged by pipeguard: {len(flagged)}")
print(f"  missed (run PR code, not flagged): {sorted(truth - flagged) or 'none'}")
print(f"  flagged but judged not to run PR code: {sorted(flagged - truth) or 'none'}")
PY
echo
echo "raw outputs: $out"
