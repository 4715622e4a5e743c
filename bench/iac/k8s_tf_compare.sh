#!/usr/bin/env bash
# pipeguard vs checkov on the real Kubernetes manifests and Terraform files of the IaC corpus:
# per-rule counts side by side for the rules both have, a seeded sample of disagreements, and
# total CPU time (user+sys, /usr/bin/time) of each tool on the same files.
#
# Usage: bench/iac/k8s_tf_compare.sh [CORPUS_DIR] [OUT_DIR]
#   CORPUS_DIR  directory with k8s/ and terraform/ (default ../shared/corpus/iac, see its MANIFEST)
#   OUT_DIR     where raw reports and compare.md go (default a temp dir)
# Env: PIPEGUARD (binary; default target/release/pipeguard, else target/debug/pipeguard)
#      CHECKOV   (default: checkov on PATH, else /root/.cache/pipeguard-peers/bin/checkov)
# CPU time is measured rather than wall time so that a loaded machine distorts less.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
corpus="${1:-$repo/../shared/corpus/iac}"
out="${2:-$(mktemp -d)}"
mkdir -p "$out"

target="${CARGO_TARGET_DIR:-$repo/target}"
pg="${PIPEGUARD:-}"
if [[ -z "$pg" ]]; then
  if [[ -x "$target/release/pipeguard" ]]; then pg="$target/release/pipeguard"; else pg="$target/debug/pipeguard"; fi
fi
ck="${CHECKOV:-$(command -v checkov || echo /root/.cache/pipeguard-peers/bin/checkov)}"
[[ -x "$pg" ]] || { echo "pipeguard binary not found: $pg (cargo build first, or set PIPEGUARD)" >&2; exit 2; }
[[ -x "$ck" ]] || { echo "checkov not found: $ck (run ../shared/peers/install.sh, or set CHECKOV)" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "/usr/bin/time (GNU time) is required" >&2; exit 2; }

echo "pipeguard: $pg ($("$pg" --version 2>/dev/null || true))" >&2
echo "checkov:   $ck ($("$ck" --version 2>/dev/null || true))" >&2
echo "corpus:    $corpus   out: $out" >&2

for pair in "k8s:kubernetes" "terraform:terraform"; do
  sub="${pair%%:*}"; fam="${pair##*:}"
  dir="$corpus/$sub"
  if [[ "$sub" == k8s ]]; then
    find "$dir" -type f \( -name '*.yaml' -o -name '*.yml' \) | wc -l > "$out/files-$sub.txt"
  else
    find "$dir" -type f -name '*.tf' | wc -l > "$out/files-$sub.txt"
  fi
  echo "== $fam: pipeguard" >&2
  /usr/bin/time -f '%U %S %M' -o "$out/pg-$sub.time" \
    "$pg" scan "$dir" --only "$fam" --format json --fail-on never --output "$out/pg-$sub.json" \
    2> "$out/pg-$sub.stderr" || true
  echo "== $fam: checkov" >&2
  # --skip-download: no calls to the Prisma platform; external modules are not fetched either.
  if [[ "$sub" == k8s ]]; then
    /usr/bin/time -f '%U %S %M' -o "$out/ck-$sub.time" \
      "$ck" -d "$dir" --framework "$fam" -o json --compact --skip-download \
      --download-external-modules false > "$out/ck-$sub.json" 2> "$out/ck-$sub.stderr" || true
  else
    # One checkov run per repository, as its users run it: over the whole directory checkov
    # builds one graph of every module and did not finish in 45 minutes. Each run is capped
    # (CHECKOV_TF_TIMEOUT seconds); the per-repository reports and times are merged below.
    mkdir -p "$out/ck-tf"
    for repo_dir in "$dir"/*/; do
      name=$(basename "$repo_dir")
      echo "   $name" >&2
      timeout "${CHECKOV_TF_TIMEOUT:-1800}" /usr/bin/time -f '%U %S %M' -o "$out/ck-tf/$name.time" \
        "$ck" -d "$repo_dir" --framework "$fam" -o json --compact --skip-download \
        --download-external-modules false > "$out/ck-tf/$name.json" 2> "$out/ck-tf/$name.stderr" || true
    done
    python3 "$here/merge_checkov.py" "$out/ck-tf" "$out/ck-$sub.json" "$out/ck-$sub.time"
  fi
done

python3 "$here/k8s_tf_compare.py" "$out" | tee "$out/compare.md"
echo "raw reports: $out" >&2
