#!/usr/bin/env bash
# pipeguard vs checkov (and hadolint for Dockerfiles) on three public *labelled* fixture sets:
# KICS query tests (positive/negative files with expected lines), trivy-checks good/bad examples
# and hadolint's spec cases. Prints per platform: queries mapped / unmapped, expectations found at
# line level, false positives on negative cases, side by side; then the shared subset and CPU.
#
# Nothing is fetched at run time. FIXTURES must contain (any may be missing; it is then skipped):
#   FIXTURES/kics/assets/queries/…          (Checkmarx/kics or a fork with the same layout)
#   FIXTURES/trivy-checks/checks/…          (aquasecurity/trivy-checks)
#   FIXTURES/hadolint/test/Hadolint/Rule/…  (hadolint/hadolint)
#
# Usage: bench/iac/labelled.sh FIXTURES [OUT_DIR]
# Env: PIPEGUARD  binary (default $CARGO_TARGET_DIR/release/pipeguard, else target/release)
#      PEERS      dir with checkov and hadolint (default /root/.cache/pipeguard-peers/bin)
#      MAPPING    query ↔ rule mapping (default bench/iac/labelled-mapping.csv; made by mapping_seed.py)
#      SKIP_CHECKOV=1  reuse OUT/ck from an earlier run (checkov takes minutes); REUSE_STAGE=1 too
#      CHECKOV_SETS="kics-kubernetes …"  run checkov only on these sets, keep the other reports
#      NICE       prefix for the peers (default "nice -n 10")
# Outputs in OUT: stage/ (every case as its own file or module), pg-*.json, ck/<set>/bNN.json,
#   hadolint.json, *.time (GNU time: user sys maxrss), report.md, summary.json, worklist.csv.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
[ $# -ge 1 ] || { sed -n 2,20p "$0" >&2; exit 2; }
fixtures="$(cd "$1" && pwd)"
out="${2:-$(mktemp -d)}"
mkdir -p "$out"; out="$(cd "$out" && pwd)"
target="${CARGO_TARGET_DIR:-$here/../../target}"
pg="$(realpath "${PIPEGUARD:-$target/release/pipeguard}")"
peers="${PEERS:-/root/.cache/pipeguard-peers/bin}"
mapping="${MAPPING:-$here/labelled-mapping.csv}"
nice_cmd=(${NICE:-nice -n 10})
[ -x "$pg" ] || { echo "pipeguard binary not found: $pg" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time (GNU time) is required" >&2; exit 2; }

for d in kics trivy-checks hadolint; do
  if [ -f "$fixtures/$d/COMMIT" ]; then echo "fixtures $d: $(cat "$fixtures/$d/COMMIT") $(cat "$fixtures/$d/ORIGIN" 2>/dev/null)" >&2
  elif [ -d "$fixtures/$d" ]; then echo "fixtures $d: present" >&2; else echo "fixtures $d: missing (skipped)" >&2; fi
done
echo "pipeguard: $pg ($("$pg" --version))   out: $out" >&2

if [ "${REUSE_STAGE:-0}" != 1 ] || [ ! -f "$out/cases.json" ]; then
  rm -rf "$out/stage"
  python3 "$here/labelled.py" stage "$fixtures" "$out"
fi

# pipeguard: one scan per set (every family that reads these files; the mapping decides what counts).
# Every rule counts, whatever its persona: the widest persona when the binary has them.
persona=()
if "$pg" scan --help 2>/dev/null | grep -q -- '--persona'; then persona=(--persona auditor); fi
for dir in "$out"/stage/*/; do
  set_name="$(basename "$dir")"
  /usr/bin/time -f '%U %S %M' -o "$out/pg-$set_name.time" \
    "$pg" scan "$dir" --skip github,jenkins,drift "${persona[@]}" --format json --fail-on never \
    --output "$out/pg-$set_name.json" 2> "$out/pg-$set_name.stderr" || true
done

# checkov: one run per batch directory (40 queries), --skip-download, no module downloads.
if [ "${SKIP_CHECKOV:-0}" != 1 ]; then
  ck="${CHECKOV:-$peers/checkov}"
  if [ -x "$ck" ]; then
    echo "checkov: $ck ($("$ck" --version 2>/dev/null))" >&2
    [ -n "${CHECKOV_SETS:-}" ] || rm -rf "$out/ck"
    while read -r batch platform framework; do
      [ "$framework" = - ] && continue
      if [ -n "${CHECKOV_SETS:-}" ]; then case " $CHECKOV_SETS " in *" ${batch%%/*} "*) ;; *) continue ;; esac; fi
      mkdir -p "$out/ck/$(dirname "$batch")"
      fw=("$framework")
      case "$framework" in terraform|kubernetes) fw+=(secrets) ;; esac
      echo "  checkov $batch ($framework)" >&2
      (cd "$out" && "${nice_cmd[@]}" /usr/bin/time -f '%U %S %M' -o "$out/ck/$batch.time" \
        "$ck" -d "stage/$batch" --framework "${fw[@]}" -o json --compact --quiet \
        --skip-download --download-external-modules false \
        > "$out/ck/$batch.json" 2> "$out/ck/$batch.stderr") || true
    done < "$out/batches.txt"
  else
    echo "checkov not found ($ck): its columns stay empty" >&2
  fi
fi

# hadolint: every staged Dockerfile in one process (its fastest mode), one JSON array.
if [ -x "$peers/hadolint" ]; then
  (cd "$out/stage" && find . -name Dockerfile | sed 's#^\./##' | sort > "$out/dockerfiles.txt")
  (cd "$out/stage" && "${nice_cmd[@]}" /usr/bin/time -f '%U %S %M' -o "$out/hadolint.time" \
     xargs -a "$out/dockerfiles.txt" "$peers/hadolint" -f json --no-fail > "$out/hadolint.json" 2> "$out/hadolint.stderr") || true
fi

python3 "$here/labelled.py" report "$out" "$mapping" --worklist "$out/worklist.csv" --json "$out/summary.json" \
  | tee "$out/report.md"
python3 "$here/labelled.py" worklist-summary "$out/worklist.csv" > "$out/worklist.md"
echo "raw reports: $out" >&2
