#!/usr/bin/env bash
# Fuzz every parser with cargo-fuzz (libFuzzer) for MINUTES each and report crashes.
#
#   bench/fuzz.sh [MINUTES] [TARGET...]      # default: 10 minutes, every target of fuzz/
#
# Uses the nightly toolchain when installed, else the stable one with RUSTC_BOOTSTRAP=1 (the
# sanitizer flags cargo-fuzz passes need it); installs cargo-fuzz from crates.io when missing.
# Seeds each target's corpus (fuzz/corpus/<target>, not committed) with the suite's fixtures;
# crashes land in fuzz/artifacts/<target>/. Prints one line per target: minutes, runs, crashes.
# Inputs up to 256 KB, so that deep nesting (the issue-23 stack overflows) is reachable.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
minutes="${1:-10}"
shift || true

command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  tc=(+nightly)
else
  tc=()
  export RUSTC_BOOTSTRAP=1
fi
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-${CARGO_TARGET_DIR:-$HOME/.cache/pipeguard-target}/fuzz}"

cd fuzz
if [ $# -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo "${tc[@]}" fuzz list)
fi

log_dir="$root/fuzz/logs"
mkdir -p "$log_dir"
summary=()
total_crashes=0
for t in "${targets[@]}"; do
  corpus="corpus/$t"
  if [ ! -d "$corpus" ] || [ -z "$(ls -A "$corpus" 2>/dev/null)" ]; then
    mkdir -p "$corpus"
    # Fixtures under 256 KB as seeds (every kind: the analyzers pick what they parse).
    find "$root/tests/fixtures" -type f -size -256k -print0 |
      while IFS= read -r -d '' f; do cp "$f" "$corpus/$(sha1sum "$f" | cut -c1-16)"; done
  fi
  mkdir -p "artifacts/$t"
  before=$(find "artifacts/$t" -type f | wc -l)
  start=$(date +%s)
  set +e
  nice -n 10 cargo "${tc[@]}" fuzz run "$t" "$corpus" -- \
    -max_total_time=$((minutes * 60)) -max_len=262144 -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 >"$log_dir/$t.log" 2>&1
  rc=$?
  set -e
  secs=$(( $(date +%s) - start ))
  after=$(find "artifacts/$t" -type f | wc -l)
  crashes=$((after - before))
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log_dir/$t.log" | grep -o '[0-9]*$' | tail -1)
  total_crashes=$((total_crashes + crashes))
  summary+=("$(printf '%-16s %6.1f min  %10s runs  %3d crash(es)  exit %d' "$t" "$(echo "$secs/60" | bc -l)" "${runs:-?}" "$crashes" "$rc")")
done
printf '\n%s\n' "${summary[@]}"
echo "total crashes: $total_crashes (artifacts in fuzz/artifacts/, logs in fuzz/logs/)"
[ "$total_crashes" -eq 0 ]
