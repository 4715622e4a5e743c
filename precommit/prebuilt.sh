#!/bin/sh
# pre-commit `language: script` hooks (pipeguard-*-prebuilt): run the release binary of this hook
# revision's version. It is downloaded once per version and machine, checked against the SHA-256
# pinned in github-action/checksums.txt (the table of this very revision) before it is unpacked,
# and kept in $PIPEGUARD_CACHE (default ~/.cache/pipeguard). No Rust toolchain, no build.
# Linux and macOS (x86_64, arm64); elsewhere use the language: rust or docker hooks.
set -eu
repo="$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)"
installer="$repo/jenkins-plugin-shim/resources/io/pipeguard/install.sh"
version="$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"$/\1/p' "$repo/Cargo.toml")"
target="$(sh "$installer" target)"
if [ -z "$target" ]; then
  echo "pipeguard: no prebuilt binary for $(uname -sm); use the pipeguard-secrets / pipeguard-scan hooks (language: rust) or the -docker ones" >&2
  exit 2
fi
asset="pipeguard-$version-$target.tar.gz"
sum="$(awk -v a="$asset" '!/^#/ && $2 == a { print $1; exit }' "$repo/github-action/checksums.txt")"
if [ -z "$sum" ]; then
  echo "pipeguard: this hook revision pins no checksum for $asset; set rev: to a release tag, or use the language: rust hooks" >&2
  exit 2
fi
base="${PIPEGUARD_RELEASE_URL:-https://github.com/pipeguard/pipeguard/releases/download}"
bin="$(PIPEGUARD_URL="${base%/}/v$version/$asset" PIPEGUARD_SHA256="$sum" \
  PIPEGUARD_MEMBER="pipeguard-$version-$target/pipeguard" \
  PIPEGUARD_DEST="${PIPEGUARD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pipeguard}/$version/$target" \
  sh "$installer" install)"
exec "$bin" "$@"
