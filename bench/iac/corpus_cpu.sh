#!/usr/bin/env bash
# CPU time (user+sys, GNU time) of pipeguard over the IaC corpus: the four IaC families together
# and each on its own, best of RUNS runs. Used for the "before"/"after" figure of issue 21 (the
# corpus must stay under 1 CPU-s with the new rules).
#
# Usage: bench/iac/corpus_cpu.sh [CORPUS_DIR] [PIPEGUARD_BIN]
#   CORPUS_DIR     default /work/shared/corpus/iac
#   PIPEGUARD_BIN  default $CARGO_TARGET_DIR/release/pipeguard, else target/release/pipeguard
# Env: RUNS (default 5). Run it under `nice -n 10` on a shared machine; CPU time, not wall time,
# is reported so that load distorts less.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
corpus="$(cd "${1:-/work/shared/corpus/iac}" && pwd)"
target="${CARGO_TARGET_DIR:-$here/../../target}"
pg="$(realpath "${2:-$target/release/pipeguard}")"
runs="${RUNS:-5}"
[ -x "$pg" ] || { echo "pipeguard binary not found: $pg" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time (GNU time) is required" >&2; exit 2; }
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT

echo "pipeguard: $pg ($("$pg" --version)); corpus: $corpus ($(find "$corpus" -type f | wc -l) files)"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); best of $runs runs"
printf '%-40s %10s %10s %9s\n' "families" "CPU s" "max RSS MB" "findings"
for fams in docker,compose,kubernetes,terraform docker compose kubernetes terraform docker,compose,kubernetes,terraform,secrets; do
  best=""; rss=0
  for _ in $(seq "$runs"); do
    /usr/bin/time -f '%U %S %M' -o "$tmp/t" "$pg" scan "$corpus" --only "$fams" --format json \
      --fail-on never --output "$tmp/out.json" 2>/dev/null || true
    read -r u s m < <(tail -n 1 "$tmp/t")
    t=$(awk -v u="$u" -v s="$s" 'BEGIN{printf "%.2f", u+s}')
    if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN{exit !(a<b)}'; then best=$t; rss=$m; fi
  done
  n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["findings"]))' "$tmp/out.json")
  printf '%-40s %10s %10d %9s\n' "$fams" "$best" $((rss / 1024)) "$n"
done
