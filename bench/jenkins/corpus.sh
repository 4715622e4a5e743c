#!/usr/bin/env bash
# pipeguard's Jenkins analyzer over the real-file corpus: every Jenkinsfile (MANIFEST.jsonl) and job
# config.xml (MANIFEST_jobs.jsonl) scanned alone with `scan --only jenkins --format json`, then all
# together. Reports files parsed fully / recovered / failed (jenkins/parse-error, exit 2) with the
# parser message for each failure, findings per rule, jenkins/script-injection by source variable,
# CPU per file (user+sys minus an empty-tree scan) and peak RSS, and a seeded random sample of
# high/critical findings to judge by hand.
#
# Usage: bench/jenkins/corpus.sh [CORPUS_DIR]
#   PIPEGUARD=binary (default /work/bin/pipeguard)  OUT=dir (default /work/corpora/jenkins-bench)
#   SEED (default 18), SAMPLE (default 20)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
corpus="${1:-$here/../../../shared/corpus/jenkins}"
[ -f "$corpus/MANIFEST.jsonl" ] || corpus=/work/shared/corpus/jenkins
pg="${PIPEGUARD:-/work/bin/pipeguard}"
[ -x "$pg" ] || { echo "pipeguard binary not found: $pg (set PIPEGUARD)" >&2; exit 2; }
out="${OUT:-/work/corpora/jenkins-bench}"
echo "pipeguard: $pg ($("$pg" --version)); corpus: $corpus; machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
nice -n 10 python3 "$here/corpus.py" --corpus "$corpus" --bin "$pg" --out "$out" \
  --seed "${SEED:-18}" --sample "${SAMPLE:-20}" --copies "${COPIES:-20}"
echo "details: $out/{summary.json,results.jsonl,failures.md,sample.md,injection.json}" >&2
