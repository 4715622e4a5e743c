#!/usr/bin/env bash
# Scan time per Jenkinsfile: copies every Jenkinsfile / config.xml fixture of the repository N
# times into a temporary tree, scans it with `--only jenkins`, and reports CPU time (user+sys)
# and max RSS, minus a baseline scan of an empty tree. CPU time rather than wall time so that a
# loaded machine distorts less.
# Usage: bench/jenkins/scan-time.sh [PIPEGUARD_BINARY] [COPIES]
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="${1:-${CARGO_TARGET_DIR:-target}/release/pipeguard}"
copies="${2:-200}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/empty" "$tmp/tree"

mapfile -t jf < <(find tests/fixtures/rules/jenkins jenkins-plugin-shim/examples -type f \
  \( -name 'Jenkinsfile*' \) -not -path '*/parse-error/pos/*' | sort)
mapfile -t xml < <(find tests/fixtures/rules/jenkins -type f -name config.xml -not -path '*/parse-error/pos/*' | sort)
for i in $(seq 1 "$copies"); do
  for f in "${jf[@]}"; do
    d="$tmp/tree/$i/$(echo "$f" | tr '/' '_')"
    mkdir -p "$d" && cp "$f" "$d/Jenkinsfile"
  done
  for f in "${xml[@]}"; do
    d="$tmp/tree/$i/jobs/$(echo "$f" | tr '/' '_')"
    mkdir -p "$d" && cp "$f" "$d/config.xml"
  done
done
n_jf=$(( ${#jf[@]} * copies ))
n_xml=$(( ${#xml[@]} * copies ))
bytes=$(find "$tmp/tree" -type f -name Jenkinsfile -exec cat {} + | wc -c)

measure() { # prints "cpu_seconds max_rss_kb"
  /usr/bin/time -f '%U %S %M' -o "$tmp/t" "$bin" scan "$1" --only jenkins --fail-on never \
    --format json --output /dev/null >/dev/null 2>&1 || true
  awk '{printf "%.3f %d\n", $1 + $2, $3}' "$tmp/t"
}
read -r base_cpu _ < <(measure "$tmp/empty")
read -r cpu rss < <(measure "$tmp/tree")
echo "files: $n_jf Jenkinsfiles ($(( bytes / n_jf )) bytes average) + $n_xml config.xml"
echo "cpu: ${cpu}s total, ${base_cpu}s empty-tree baseline; max RSS ${rss} KB"
awk -v c="$cpu" -v b="$base_cpu" -v n="$(( n_jf + n_xml ))" \
  'BEGIN { printf "per file: %.1f µs CPU (walk, read, parse, model, rules, report)\n", (c - b) / n * 1e6 }'
