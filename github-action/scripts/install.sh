#!/usr/bin/env bash
# Install pipeguard for the action, in this order:
#   1. the runner's tool cache, when this version was installed and verified there before;
#   2. the release asset for the runner's OS and architecture, downloaded from
#      $PIPEGUARD_RELEASE_URL/v<version>/<asset> and checked against the SHA-256 pinned in
#      ../checksums.txt *before* it is unpacked or run;
#   3. only with `install: source`: `cargo install --locked` from the action's own source.
# There is no silent fallback: a version without a pinned checksum, a failed download or a
# checksum mismatch stops the step with a message that says what to do.
# Inputs (environment): PIPEGUARD_VERSION, PIPEGUARD_INSTALL (release|source),
# PIPEGUARD_RELEASE_URL. Writes the binary's path to $GITHUB_OUTPUT (`bin`) and its directory to
# $GITHUB_PATH. Runs on Linux, macOS and Windows runners (bash from Git for Windows).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

fail() {
  echo "::error title=pipeguard install::$*"
  exit 2
}

version="${PIPEGUARD_VERSION:-}"
if ! [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$ ]]; then
  fail "invalid version '$version' (expected a release version such as 0.1.0)"
fi
mode="${PIPEGUARD_INSTALL:-release}"
case "$mode" in release | source) ;; *) fail "install must be 'release' or 'source', not '$mode'" ;; esac
base="${PIPEGUARD_RELEASE_URL:-https://github.com/pipeguard/pipeguard/releases/download}"
base="${base%/}"
# https anywhere; plain http only to this machine (a local mirror or the test suite's server). The
# authority must end right after the host (and port), so `http://127.0.0.1@evil/` is refused.
if [[ "$base" =~ ^https://[^[:space:][:cntrl:]]+$ ]]; then
  protos='=https'
elif [[ "$base" =~ ^http://(127\.0\.0\.1|localhost|\[::1\])(:[0-9]{1,5})?(/[^[:space:][:cntrl:]]*)?$ ]]; then
  protos='=http'
else
  fail "release-url must be an https:// URL (or http:// on loopback), got '$base'"
fi

# The runner's platform: RUNNER_OS / RUNNER_ARCH on GitHub's runners, uname elsewhere.
os="${RUNNER_OS:-$(uname -s)}"
arch="${RUNNER_ARCH:-$(uname -m)}"
exe=""
ext="tar.gz"
case "$os-$arch" in
  Linux-X64 | Linux-x86_64) target=x86_64-unknown-linux-gnu ;;
  Linux-ARM64 | Linux-aarch64 | Linux-arm64) target=aarch64-unknown-linux-gnu ;;
  macOS-ARM64 | Darwin-arm64) target=aarch64-apple-darwin ;;
  macOS-X64 | Darwin-x86_64) target=x86_64-apple-darwin ;;
  Windows-X64 | MINGW*-x86_64 | MSYS*-x86_64 | CYGWIN*-x86_64)
    target=x86_64-pc-windows-msvc
    exe=".exe"
    ext="zip"
    ;;
  *) target="" ;;
esac

# Paths: POSIX form for this script; on Windows the runner wants C:\… in GITHUB_PATH, and C:/…
# (mixed) works from bash, PowerShell and cmd alike for the `bin` output.
topath() { if command -v cygpath >/dev/null 2>&1; then cygpath -u "$1"; else printf '%s\n' "$1"; fi; }
native() { if command -v cygpath >/dev/null 2>&1; then cygpath "$1" "$2"; else printf '%s\n' "$2"; fi; }
toolcache="$(topath "${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:-/tmp}}")"
cache="$toolcache/pipeguard/$version/${target:-$os-$arch}"
bin="$cache/pipeguard$exe"

publish() {
  echo "bin=$(native -m "$bin")" >>"$GITHUB_OUTPUT"
  if [ -n "${GITHUB_PATH:-}" ]; then native -w "$cache" >>"$GITHUB_PATH"; fi
  echo "pipeguard: $("$bin" --version) ($1)"
}

# A previous job on this runner installed and verified this version (the marker is written last).
if [ -f "$cache.complete" ] && [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -qxF "pipeguard $version"; then
  publish "tool cache"
  exit 0
fi

if [ "$mode" = source ]; then
  command -v cargo >/dev/null 2>&1 ||
    fail "install: source needs a Rust toolchain on the runner (add a toolchain step before this one), or use install: release"
  cargo install --locked --quiet --root "$cache.build" --path "$root/cli" --bin pipeguard
  mkdir -p "$cache"
  mv -f "$cache.build/bin/pipeguard$exe" "$bin"
  rm -rf "$cache.build"
  publish "built from source"
  exit 0
fi

if [ -z "$target" ]; then
  fail "no pipeguard release asset for $os $arch (assets: Linux and macOS x64/ARM64, Windows x64); set install: source to build it with cargo"
fi
asset="pipeguard-$version-$target.$ext"
pinned="$(awk -v a="$asset" '!/^#/ && $2 == a { print $1; exit }' "$here/../checksums.txt")"
if ! [[ "$pinned" =~ ^[0-9a-f]{64}$ ]]; then
  fail "no pinned checksum for $asset in this action's checksums.txt: this version of the action does not know pipeguard $version. Use the version input this action was released with (the action's own tag), or set install: source to build it with cargo"
fi

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1"; else shasum -a 256 "$1"; fi | cut -d' ' -f1
}

tmp="$(mktemp -d "$(topath "${RUNNER_TEMP:-${TMPDIR:-/tmp}}")/pipeguard-install.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
url="$base/v$version/$asset"
started=$SECONDS
# Bounded: 100 MiB, 2 minutes overall, 3 retries on transient errors; redirects (GitHub sends
# release downloads to its object store) stay on https. Nothing is run before the check below.
if ! curl --fail --silent --show-error --location --proto "$protos" --proto-redir '=https' \
  --max-filesize 104857600 --max-time 120 --connect-timeout 15 --retry 3 --retry-delay 2 \
  --output "$tmp/$asset" "$url" 2>"$tmp/curl.err"; then
  fail "could not download $url ($(tr -d '\r' <"$tmp/curl.err" | tr '\n' ' ' | sed 's/ *$//')): check that release v$version has the asset $asset, or set install: source to build it with cargo"
fi
actual="$(sha256 "$tmp/$asset")"
if [ "$actual" != "$pinned" ]; then
  # Never fall back to anything else when a download does not match: it may be tampered with.
  fail "checksum mismatch for $asset: expected $pinned (pinned in checksums.txt), got $actual; refusing to install it"
fi

# Unpack only the binary, into a staging directory beside the cache entry, then move it in place.
stage="$tmp/unpacked"
mkdir -p "$stage"
member="pipeguard-$version-$target/pipeguard$exe"
if [ "$ext" = zip ]; then
  if command -v unzip >/dev/null 2>&1; then
    unzip -q -o "$tmp/$asset" "$member" -d "$stage"
  elif command -v 7z >/dev/null 2>&1; then
    7z x -y -bd -o"$(native -w "$stage")" "$(native -w "$tmp/$asset")" "$member" >/dev/null
  else
    # The paths reach PowerShell through its environment ($env:… is expanded by pwsh, not here).
    # shellcheck disable=SC2016
    env PG_ZIP="$(native -w "$tmp/$asset")" PG_DEST="$(native -w "$stage")" \
      pwsh -NoProfile -NonInteractive -Command 'Expand-Archive -LiteralPath $env:PG_ZIP -DestinationPath $env:PG_DEST -Force'
  fi
else
  tar -xzf "$tmp/$asset" -C "$stage" "$member"
fi
[ -f "$stage/$member" ] || fail "$asset does not contain $member"
chmod 755 "$stage/$member"
mkdir -p "$cache"
mv -f "$stage/$member" "$bin"
touch "$cache.complete"
publish "release asset $asset, sha256 verified, $((SECONDS - started)) s"
