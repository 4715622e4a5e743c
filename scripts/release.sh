#!/usr/bin/env bash
# Prepare a pipeguard release (docs/releasing.md).
#
#   scripts/release.sh VERSION                      bump the workspace version and every place that
#                                                   names it (README, docs, action.yml, the Jenkins
#                                                   library and examples, .pre-commit-hooks.yaml,
#                                                   Dockerfile), then check
#   scripts/release.sh VERSION --sums SHA256SUMS    also pin the release assets' checksums in
#                                                   github-action/checksums.txt and the Jenkins
#                                                   library's table (the draft release's SHA256SUMS)
#   scripts/release.sh --check VERSION              check only: every place names VERSION, and the
#                                                   two checksum tables agree
#   scripts/release.sh --check-sums VERSION FILE    check only: both tables pin exactly FILE's lines
#
# Works on the tree it is run from (the test suite runs it on a copy). Needs bash, sed, awk, cargo.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

action_sums=github-action/checksums.txt
jenkins_sums=jenkins-plugin-shim/resources/io/pipeguard/checksums.txt
targets=(x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu x86_64-apple-darwin aarch64-apple-darwin x86_64-pc-windows-msvc)
# Files that name the version users install.
# (docs/releasing.md is about releases in general: its examples name other versions.)
files=(README.md action.yml .pre-commit-hooks.yaml Dockerfile
  jenkins-plugin-shim/vars/pipeguard.groovy jenkins-plugin-shim/vars/pipeguard.txt
  jenkins-plugin-shim/examples/* github-action/examples/*)
for f in docs/*.md; do [ "$f" = docs/releasing.md ] || files+=("$f"); done
# Files that must name it at least once.
required=(README.md action.yml .pre-commit-hooks.yaml Dockerfile docs/github-action.md
  docs/jenkins.md docs/pre-commit.md docs/docker-image.md jenkins-plugin-shim/vars/pipeguard.groovy)
semver='[0-9]+\.[0-9]+\.[0-9]+(-(alpha|beta|rc)[0-9A-Za-z.]*)?'

die() { echo "release.sh: $*" >&2; exit 1; }
valid() { [[ "$1" =~ ^$semver$ ]] || die "invalid version '$1' (expected e.g. 0.2.0)"; }

current() { sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1; }

# Every version in a pipeguard context of FILE, one per line (FILE:LINE: VERSION).
mentions() {
  grep -noE "(pipeguard@v|pipeguard/pipeguard@[0-9a-f]{40} # v|rev: v|ghcr\.io/pipeguard/pipeguard:|releases/download/v|pipeguard-|cargo install pipeguard --locked --version |ARG VERSION=|version *: *'|\"pipeguard\", \"version\": \"|generator\": \"pipeguard |defaultVersion: \"v|identifier\('|default: \")$semver" "$1" |
    sed -E "s/^([0-9]+):.*[^0-9]($semver)$/\1: \2/" | sed "s|^|$1:|" || true
}

check() {
  local v="$1" bad=0 f n lock
  [ "$(current)" = "$v" ] || { echo "Cargo.toml: workspace version is $(current), not $v"; bad=1; }
  while read -r dep ver; do
    [ "$ver" = "$v" ] || { echo "Cargo.toml: $dep = $ver in [workspace.dependencies], not $v"; bad=1; }
  done < <(sed -nE 's/^(pipeguard-[a-z-]+) = \{ path = "[^"]*", version = "([^"]*)" \}$/\1 \2/p' Cargo.toml)
  local meta names
  meta="$(cargo metadata --format-version 1 --no-deps)" || die "cargo metadata failed"
  names="$(grep -oE '"name":"[^"]+","version":"[^"]+"' <<<"$meta" | sed -E 's/"name":"([^"]+)","version":"([^"]+)"/\1 \2/')"
  while read -r name ver; do
    [ "$ver" = "$v" ] || { echo "Cargo.toml: package $name is $ver, not $v"; bad=1; }
    # Cargo.lock: `name = "…"` followed by `version = "…"`.
    lock="$(awk -v n="$name" '$0 == "name = \"" n "\"" { getline; gsub(/^version = "|"$/, ""); print; exit }' Cargo.lock)"
    [ "$lock" = "$v" ] || { echo "Cargo.lock: $name is ${lock:-missing}, not $v"; bad=1; }
  done <<<"$names"
  for f in "${files[@]}"; do
    [ -f "$f" ] || continue
    while IFS= read -r m; do
      [ "${m##* }" = "$v" ] || { echo "$m (expected $v)"; bad=1; }
    done < <(mentions "$f")
  done
  for f in "${required[@]}"; do
    n="$(mentions "$f" | grep -c ": $v$" || true)"
    [ "$n" -gt 0 ] || { echo "$f: does not name version $v"; bad=1; }
  done
  if ! diff -q <(grep -v '^#' "$action_sums") <(grep -v '^#' "$jenkins_sums") >/dev/null; then
    echo "$action_sums and $jenkins_sums pin different checksums"
    bad=1
  fi
  [ "$bad" = 0 ] || die "version check failed for $v"
  echo "release.sh: every place names $v; checksum tables agree"
}

# Validate a SHA256SUMS file for VERSION: exactly one line per release target.
read_sums() {
  local v="$1" file="$2" t line
  [ -f "$file" ] || die "no such file: $file"
  while IFS= read -r line; do
    [[ "$line" =~ ^[0-9a-f]{64}\ \ pipeguard-${v//./\\.}-[a-z0-9_-]+\.(tar\.gz|zip)$ ]] ||
      die "$file: not a SHA256SUMS line for pipeguard $v: '$line'"
  done <"$file"
  for t in "${targets[@]}"; do
    grep -qE "  pipeguard-${v//./\\.}-$t\.(tar\.gz|zip)$" "$file" || die "$file has no asset for $t"
  done
  [ "$(wc -l <"$file")" -eq "${#targets[@]}" ] || die "$file: expected ${#targets[@]} lines"
}

check_sums() {
  local v="$1" file="$2" table
  read_sums "$v" "$file"
  for table in "$action_sums" "$jenkins_sums"; do
    if ! diff <(grep -F -- "  pipeguard-$v-" "$table" | sort) <(sort "$file") >/dev/null; then
      die "$table does not pin exactly the checksums of $file"
    fi
  done
  echo "release.sh: both tables pin the $(wc -l <"$file") assets of $file"
}

pin() {
  local v="$1" file="$2" table tmp
  read_sums "$v" "$file"
  for table in "$action_sums" "$jenkins_sums"; do
    tmp="$(mktemp)"
    { grep -vF -- "  pipeguard-$v-" "$table" || true; sort "$file"; } >"$tmp"
    mv "$tmp" "$table"
  done
}

bump() {
  local old="$1" new="$2" f
  [ "$old" = "$new" ] && return 0
  # Cargo.toml: the workspace version and the path dependencies' versions.
  sed -i.bak -E \
    -e "/^\[workspace.package\]/,/^\[/s/^version = \"$old\"$/version = \"$new\"/" \
    -e "s/^(pipeguard-[a-z-]+ = \{ path = \"[^\"]*\", version = )\"$old\"/\1\"$new\"/" Cargo.toml
  rm -f Cargo.toml.bak
  # Everywhere else: the old version as a whole token.
  for f in "${files[@]}"; do
    [ -f "$f" ] || continue
    sed -i.bak -E "s/(^|[^0-9.])${old//./\\.}([^0-9]|\.[^0-9]|$)/\1$new\2/g" "$f"
    rm -f "$f.bak"
  done
  cargo update --workspace --offline --quiet
}

case "${1:-}" in
  --check)
    valid "${2:-}"
    check "$2"
    ;;
  --check-sums)
    valid "${2:-}"
    check_sums "$2" "${3:?usage: release.sh --check-sums VERSION SHA256SUMS}"
    ;;
  "" | -h | --help)
    sed -n '2,16p' "$0"
    ;;
  *)
    new="$1"
    valid "$new"
    shift
    sums=""
    if [ "${1:-}" = --sums ]; then sums="${2:?--sums needs a file}"; fi
    old="$(current)"
    [ -n "$old" ] || die "no [workspace.package] version in Cargo.toml"
    bump "$old" "$new"
    if [ -n "$sums" ]; then pin "$new" "$sums"; fi
    check "$new"
    if [ -n "$sums" ]; then check_sums "$new" "$sums"; fi
    echo "release.sh: $old -> $new done; review with git diff, commit, then see docs/releasing.md"
    ;;
esac
