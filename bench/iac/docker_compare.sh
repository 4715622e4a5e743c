#!/usr/bin/env bash
# pipeguard vs hadolint vs checkov (--framework dockerfile) on the real Dockerfiles of the IaC
# corpus: per-rule counts and disagreements of the rules we share (docker_compare.py), and the
# total CPU time (user+sys, from /usr/bin/time) of each tool over the same files.
#
# Usage: bench/iac/docker_compare.sh [CORPUS_DIR] [PIPEGUARD_BIN]
#   CORPUS_DIR     default /work/shared/corpus/iac (needs MANIFEST.jsonl and dockerfile/)
#   PIPEGUARD_BIN  default target/release/pipeguard (build: cargo build --release -p pipeguard)
# Env: PEERS (default /root/.cache/pipeguard-peers/bin), OUT (default a temp dir), RUNS (pipeguard
#      repetitions, min taken; default 5), SKIP_CHECKOV=1 to leave checkov out (it is slow).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
corpus="$(cd "${1:-/work/shared/corpus/iac}" && pwd)"
pg="$(realpath "${2:-$here/../../target/release/pipeguard}")"
peers="${PEERS:-/root/.cache/pipeguard-peers/bin}"
out="${OUT:-$(mktemp -d)}"
runs="${RUNS:-5}"
mkdir -p "$out"

[ -x "$pg" ] || { echo "pipeguard binary not found: $pg" >&2; exit 2; }
[ -x "$peers/hadolint" ] || { echo "hadolint not found in $peers (run shared/peers/install.sh)" >&2; exit 2; }

cd "$corpus"
python3 -c '
import json, sys
for line in open("MANIFEST.jsonl"):
    d = json.loads(line)
    if d["kind"] == "dockerfile":
        print(d["corpus_path"])
' > "$out/files.txt"
n=$(wc -l < "$out/files.txt")
echo "corpus: $corpus ($n Dockerfiles); results in $out"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

cpu() { # cpu NAME CMD... → prints "NAME user+sys maxrss_kb"
    local name=$1; shift
    /usr/bin/time -f '%U %S %M' -o "$out/$name.time" "$@" || true
    # time(1) writes "Command exited with non-zero status" first when the tool reports findings.
    tail -n 1 "$out/$name.time" | awk -v n="$name" '{printf "%s %.2f %d\n", n, $1+$2, $3}'
}

# pipeguard: the docker family over the dockerfile tree (walk + parse + rules + JSON report).
best=""
for i in $(seq "$runs"); do
    r=$(cpu pipeguard "$pg" scan dockerfile --only docker --format json --fail-on never --output "$out/pipeguard.json")
    t=$(echo "$r" | cut -d' ' -f2)
    if [ -z "$best" ] || awk -v a="$t" -v b="$(echo "$best" | cut -d' ' -f2)" 'BEGIN{exit !(a<b)}'; then best="$r"; fi
done
echo "$best" > "$out/cpu.txt"
# hadolint: every file in one process (its fastest mode).
cpu hadolint sh -c "'$peers/hadolint' -f json --no-fail \$(cat '$out/files.txt') > '$out/hadolint.json'" >> "$out/cpu.txt"
if [ "${SKIP_CHECKOV:-0}" != 1 ] && [ -x "$peers/checkov" ]; then
    cpu checkov sh -c "'$peers/checkov' -d dockerfile --framework dockerfile -o json --compact --quiet --skip-download > '$out/checkov.json' 2>/dev/null" >> "$out/cpu.txt"
fi

echo
echo "CPU time (user+sys, s) and max RSS over $n files (pipeguard: best of $runs runs):"
awk '{printf "  %-10s %8.2f s  %7d KB\n", $1, $2, $3}' "$out/cpu.txt"
awk '$1=="pipeguard"{p=$2} $1=="hadolint"{h=$2} $1=="checkov"{c=$2}
     END{ if (p>0) { printf "  hadolint / pipeguard = %.0fx\n", h/p; if (c>0) printf "  checkov / pipeguard  = %.0fx\n", c/p } }' "$out/cpu.txt"
echo
python3 "$here/docker_compare.py" "$out/pipeguard.json" "$out/hadolint.json" "$out/checkov.json" --root dockerfile --samples "${SAMPLES:-5}"
