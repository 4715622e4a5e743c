#!/usr/bin/env bash
# The Groovy constructs the Jenkinsfile parser misses on the real-file corpus (docs/jenkins-corpus.md,
# "Parser fix list"), one minimal snippet per file; `ok-*` ones already parse. For each snippet,
# prints pipeguard's verdict (jenkins/parse-error or ok) and, when `groovy` is installed (Debian
# `groovy` 2.4, the Groovy line Jenkins embeds), Groovy's own.
# Usage: bench/jenkins/parser-fix-list/check.sh [PIPEGUARD]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
pg="${1:-${PIPEGUARD:-/work/bin/pipeguard}}"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
for f in "$here"/*.groovy; do
  rm -rf "$tmp/t" && mkdir -p "$tmp/t" && cp "$f" "$tmp/t/Jenkinsfile"
  "$pg" scan "$tmp/t" --only jenkins --format json --fail-on never >"$tmp/r.json" 2>/dev/null || true
  v=$(python3 -c '
import json, sys
e = [f["message"] for f in json.load(sys.stdin)["findings"] if f["rule_id"] == "jenkins/parse-error"]
print("parse-error: " + e[0] if e else "ok")' <"$tmp/r.json")
  printf '%-45s pipeguard %s\n' "$(basename "$f")" "$v"
done
if command -v groovy >/dev/null; then
  [ -n "${JAVA_HOME:-}" ] || export JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64
  groovy "$here/../groovy-parse.groovy" "$here"/*.groovy | sed "s|$here/||; s|^|groovy 2.4: |"
fi
