#!/usr/bin/env bash
# Secrets benchmark: pipeguard vs gitleaks vs detect-secrets on >= 200 MB of real source text
# with planted fake credentials (>= 25 kinds), and a history scan of a repository with thousands
# of commits vs `gitleaks git`. Runs on any machine with python3, git and the peer tools
# (../../../shared/peers/install.sh puts them in ~/.cache/pipeguard-peers/bin).
#
#   bench/secrets/bench.sh                       # everything, release build of pipeguard
#   PIPEGUARD_BIN=path/to/pipeguard bench/secrets/bench.sh
#   TARGET_MB=210 COMMITS=3000 DS_SAMPLE=8 WORK=/tmp/pg-secrets-bench bench/secrets/bench.sh
#
# DS_SAMPLE=N runs detect-secrets on every N-th file (plus every file with a plant or decoy)
# because it is two orders of magnitude slower; its MB/s is computed on what it scanned.
# Times are CPU seconds (user+sys) as well as wall seconds: on a shared machine CPU time is the
# fairer figure. Peak RSS is the maximum resident set size.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
WORK=${WORK:-/tmp/pg-secrets-bench}
TARGET_MB=${TARGET_MB:-210}
COMMITS=${COMMITS:-3000}
DS_SAMPLE=${DS_SAMPLE:-1}
PEERS=${PEERS:-$HOME/.cache/pipeguard-peers/bin}
GITLEAKS=${GITLEAKS:-$PEERS/gitleaks}
DETECT_SECRETS=${DETECT_SECRETS:-$PEERS/detect-secrets}
if [ -z "${PIPEGUARD_BIN:-}" ]; then
  (cd "$REPO" && cargo build --release -p pipeguard --bin pipeguard)
  PIPEGUARD_BIN=${CARGO_TARGET_DIR:-$REPO/target}/release/pipeguard
fi
mkdir -p "$WORK"
cd "$HERE"

echo "== corpus"
if [ "${REUSE_CORPUS:-0}" != 1 ] || [ ! -f "$WORK/meta/planted.json" ]; then
  python3 make_corpus.py "$WORK/corpus" "$WORK/meta" "$TARGET_MB"
fi
MB=$(du -sm --apparent-size "$WORK/corpus" | cut -f1)

measure() { # name cmd…  → $WORK/name.time: "wall user sys maxrss_kb"
  local name=$1; shift
  /usr/bin/time -f '%e %U %S %M' -o "$WORK/$name.time" "$@" >"$WORK/$name.stdout" 2>"$WORK/$name.stderr" || true
}

echo "== pipeguard"
measure pipeguard "$PIPEGUARD_BIN" scan --only secrets --format json --fail-on never -o "$WORK/pipeguard.json" "$WORK/corpus"
echo "== gitleaks"
measure gitleaks "$GITLEAKS" dir --no-banner --redact --exit-code 0 --report-format json --report-path "$WORK/gitleaks.json" "$WORK/corpus"
echo "== detect-secrets (sample 1/$DS_SAMPLE)"
python3 ds_run.py "$DETECT_SECRETS" "$WORK/corpus" "$WORK/meta" "$DS_SAMPLE" "$WORK/detect-secrets.json"

row() { # name mb timefile
  read -r wall user sys rss <"$3"
  python3 -c "
mb=$2; w=$wall; c=$user+$sys
print(f'| $1 | {mb:.0f} | {w:.1f} | {c:.1f} | {mb/c if c else 0:.1f} | {mb/w if w else 0:.1f} | {$rss/1024:.0f} |')"
}
DS_BYTES=$(sed -n 2p "$WORK/detect-secrets.json.time")
{
  echo
  echo "### Tree scan: $MB MB of source text (machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
  echo
  echo "| tool | MB | wall s | CPU s | MB/s (CPU) | MB/s (wall) | peak RSS MB |"
  echo "|---|---|---|---|---|---|---|"
  row pipeguard "$MB" "$WORK/pipeguard.time"
  row gitleaks "$MB" "$WORK/gitleaks.time"
  head -1 "$WORK/detect-secrets.json.time" >"$WORK/ds.time1"
  row "detect-secrets" "$(python3 -c "print($DS_BYTES/1048576)")" "$WORK/ds.time1"
  echo
  python3 score.py "$WORK/meta" "$WORK/corpus" planted.json \
    pipeguard="$WORK/pipeguard.json" gitleaks="$WORK/gitleaks.json" detect-secrets="$WORK/detect-secrets.json"
} | tee "$WORK/results.md"

echo "== history"
rm -rf "$WORK/history-repo"
python3 make_history.py "$WORK/corpus" "$WORK/history-repo" "$WORK/meta" "$COMMITS"
measure pg-history "$PIPEGUARD_BIN" scan --history --only secrets --format json --fail-on never -o "$WORK/pg-history.json" "$WORK/history-repo"
measure gitleaks-history "$GITLEAKS" git --no-banner --redact --exit-code 0 --report-format json --report-path "$WORK/gitleaks-history.json" "$WORK/history-repo"
HMB=$(du -sm --apparent-size "$WORK/history-repo/.git" | cut -f1)
{
  echo
  echo "### History scan: $COMMITS commits (.git: $HMB MB)"
  echo
  echo "| tool | wall s | CPU s | peak RSS MB |"
  echo "|---|---|---|---|"
  for t in pg-history gitleaks-history; do
    read -r wall user sys rss <"$WORK/$t.time"
    python3 -c "print(f'| $t | {$wall:.1f} | {$user+$sys:.1f} | {$rss/1024:.0f} |')"
  done
  echo
  python3 score.py "$WORK/meta" "$WORK/history-repo" history.json \
    pipeguard="$WORK/pg-history.json" gitleaks-history="$WORK/gitleaks-history.json"
} | tee -a "$WORK/results.md"
