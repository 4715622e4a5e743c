#!/usr/bin/env bash
# Install pipeguard for the action: tool cache, else the release asset checked against the SHA-256
# pinned in ../checksums.txt, else `cargo install --locked` from the action's own checked-out source.
# Writes the binary's path to $GITHUB_OUTPUT (`bin`).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
version="${PIPEGUARD_VERSION:-0.1.0}"
if ! [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$ ]]; then
  echo "::error title=pipeguard install::invalid version '$version' (expected e.g. 0.1.0)"
  exit 2
fi
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) target=x86_64-unknown-linux-gnu ;;
  Linux-aarch64 | Linux-arm64) target=aarch64-unknown-linux-gnu ;;
  Darwin-arm64) target=aarch64-apple-darwin ;;
  Darwin-x86_64) target=x86_64-apple-darwin ;;
  *) target="$(uname -s)-$(uname -m)" ;;
esac
cache="${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:-/tmp}}/pipeguard/$version/$target"
bin="$cache/bin/pipeguard"

publish() {
  echo "bin=$bin" >>"$GITHUB_OUTPUT"
  if [ -n "${GITHUB_PATH:-}" ]; then echo "$cache/bin" >>"$GITHUB_PATH"; fi
  echo "pipeguard: $("$bin" --version) ($1)"
}

sha256() { if command -v sha256sum >/dev/null; then sha256sum "$1"; else shasum -a 256 "$1"; fi | cut -d' ' -f1; }

if [ -x "$bin" ] && "$bin" --version | grep -qF " $version"; then
  publish "tool cache"
  exit 0
fi

asset="pipeguard-$version-$target.tar.gz"
pinned="$(awk -v a="$asset" '!/^#/ && $2 == a { print $1 }' "$here/../checksums.txt")"
if [ -n "$pinned" ]; then
  base="${PIPEGUARD_RELEASE_BASE:-https://github.com/pipeguard/pipeguard/releases/download}"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  if curl -fsSL --retry 3 --proto '=https,file' -o "$tmp/$asset" "$base/v$version/$asset"; then
    actual="$(sha256 "$tmp/$asset")"
    if [ "$actual" != "$pinned" ]; then
      # Never fall back to something else when a download does not match: it may be tampered with.
      echo "::error title=pipeguard install::checksum mismatch for $asset: expected $pinned, got $actual"
      exit 2
    fi
    mkdir -p "$cache/bin"
    tar -xzf "$tmp/$asset" -C "$cache/bin" pipeguard
    publish "release asset $asset, sha256 verified"
    exit 0
  fi
  echo "::warning title=pipeguard install::could not download $asset; building from source"
else
  echo "pipeguard: no pinned checksum for $asset; building from source (cargo install --locked)"
fi

if ! command -v cargo >/dev/null; then
  echo "::error title=pipeguard install::no release asset for $target and no cargo to build one (add dtolnay/rust-toolchain before this step)"
  exit 2
fi
cargo install --locked --quiet --root "$cache" --path "$root/cli" --bin pipeguard
publish "built from source"
