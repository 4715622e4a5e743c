#!/usr/bin/env bash
# Drift over the first-parent history of local repositories: for each of the newest N commits that
# touch CI files (GitHub workflows, Jenkinsfiles, config.xml), check the commit out in a temporary
# clone (sparse: CI files and ignore files only) and run
#   pipeguard drift --against <first parent> --format json
# Per repository it writes commits.jsonl, summary.json (per-rule counts, exit codes, CPU,
# formatting-only commits and the false drift on them), sample.md (seeded random sample of
# high/critical findings with their diffs, to judge by hand) and candidates.md (commits reported
# only as job-changed whose diff matches a security-change pattern). With several repositories it
# then prints one Markdown table and writes a merged sample to $OUT/all/.
#
# Usage: bench/drift/history.sh [-n N] [--seed S] [--sample K] [--full-checkout] REPO...
#   REPO: a work tree or a (bare) git dir, e.g. /work/.mirror/kyverno+kyverno/repo
#   PIPEGUARD=binary (default /work/bin/pipeguard)   OUT=dir (default /work/corpora/drift-bench)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
pg="${PIPEGUARD:-/work/bin/pipeguard}"
out="${OUT:-/work/corpora/drift-bench}"
opts=() repos=()
while [ $# -gt 0 ]; do
  case "$1" in
    -n|--seed|--sample) opts+=("$1" "$2"); shift 2 ;;
    --full-checkout|--keep|--progress) opts+=("$1"); shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) repos+=("$1"); shift ;;
  esac
done
[ ${#repos[@]} -gt 0 ] || { sed -n '2,15p' "$0" >&2; exit 2; }
[ -x "$pg" ] || { echo "pipeguard binary not found: $pg (set PIPEGUARD)" >&2; exit 2; }
echo "pipeguard: $pg ($("$pg" --version)); machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
dirs=()
for r in "${repos[@]}"; do
  gd="$(git -C "$r" rev-parse --absolute-git-dir 2>/dev/null || git --git-dir="$r" rev-parse --absolute-git-dir)"
  name="${gd%/.git}"; [ "$(basename "$name")" = repo ] && name="$(dirname "$name")"; name="$(basename "$name")"
  nice -n 10 python3 "$here/history.py" run "$r" --bin "$pg" --name "$name" --out "$out/$name" "${opts[@]}"
  dirs+=("$out/$name")
done
sample=(); seed=()
for ((i = 0; i < ${#opts[@]}; i++)); do
  case "${opts[$i]}" in --seed) seed=(--seed "${opts[$((i + 1))]}") ;; --sample) sample=(--sample "${opts[$((i + 1))]}") ;; esac
done
if [ ${#dirs[@]} -gt 1 ]; then
  python3 "$here/history.py" aggregate "${dirs[@]}" --out "$out/all" "${seed[@]}" "${sample[@]}"
fi
