#!/bin/sh
# Install a verified pipeguard release binary. Used by the Jenkins step (vars/pipeguard.groovy)
# and by the prebuilt pre-commit hooks (precommit/prebuilt.sh). POSIX sh, curl, tar, sha256sum or
# shasum. Inputs come from the environment, so no value is ever parsed as shell code.
#
#   sh install.sh target     print this machine's release target (nothing when there is none)
#   sh install.sh install    PIPEGUARD_URL      the asset to download (https://, or http:// on loopback)
#                            PIPEGUARD_SHA256   its expected SHA-256 (required: nothing unverified)
#                            PIPEGUARD_MEMBER   the binary's path inside the .tar.gz (empty: the
#                                               download is the binary itself)
#                            PIPEGUARD_DEST     directory to install into (reused when it holds a
#                                               binary verified against the same SHA-256)
#                            prints the installed binary's path on stdout.
# Exit codes: 2 bad input or an unverified download refused, 3 download failed, 4 checksum mismatch.
set -eu

case "${1:-}" in
  target)
    case "$(uname -s)-$(uname -m)" in
      Linux-x86_64 | Linux-amd64) echo x86_64-unknown-linux-gnu ;;
      Linux-aarch64 | Linux-arm64) echo aarch64-unknown-linux-gnu ;;
      Darwin-arm64) echo aarch64-apple-darwin ;;
      Darwin-x86_64) echo x86_64-apple-darwin ;;
    esac
    exit 0
    ;;
  install) ;;
  *)
    echo "usage: install.sh target | install" >&2
    exit 2
    ;;
esac

say() { echo "pipeguard install: $*" >&2; }
url="${PIPEGUARD_URL:-}"
sum="${PIPEGUARD_SHA256:-}"
member="${PIPEGUARD_MEMBER:-}"
dest="${PIPEGUARD_DEST:-}"

if ! printf '%s' "$sum" | grep -Eqx '[0-9a-f]{64}'; then
  say "refusing to download $url without a SHA-256 to check it against (got '${sum}')"
  exit 2
fi
[ -n "$dest" ] || { say "PIPEGUARD_DEST is empty"; exit 2; }
# https anywhere; plain http only to this machine. The host must be followed by a port or a
# slash, so that http://127.0.0.1@elsewhere/ is refused; no blanks or control characters.
if printf '%s' "$url" | grep -Eqx 'https://[^[:space:][:cntrl:]]+'; then
  proto='=https'
elif printf '%s' "$url" | grep -Eqx 'http://(127\.0\.0\.1|localhost|\[::1\])(:[0-9]{1,5})?/[^[:space:][:cntrl:]]*'; then
  proto='=http'
else
  say "refusing URL '$url': https:// only (http:// only on loopback)"
  exit 2
fi
case "$member" in
  "" | pipeguard-*/pipeguard) ;;
  *) say "unexpected archive member '$member'"; exit 2 ;;
esac

bin="$dest/pipeguard"
if [ -x "$bin" ] && [ -f "$dest/.sha256" ] && [ "$(cat "$dest/.sha256")" = "$sum" ]; then
  # verified earlier against the same SHA-256
  echo "$bin"
  exit 0
fi

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1"; else shasum -a 256 "$1"; fi | cut -d' ' -f1
}

tmp="$(mktemp -d "${TMPDIR:-/tmp}/pipeguard-install.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
# Bounded: 100 MiB, 2 minutes, 3 retries; redirects stay on https. Nothing runs before the check.
if ! curl --fail --silent --show-error --location --proto "$proto" --proto-redir '=https' \
  --max-filesize 104857600 --max-time 120 --connect-timeout 15 --retry 3 --retry-delay 2 \
  --output "$tmp/download" "$url" 2>"$tmp/err"; then
  say "could not download $url: $(tr '\n' ' ' <"$tmp/err")"
  exit 3
fi
actual="$(sha256 "$tmp/download")"
if [ "$actual" != "$sum" ]; then
  say "checksum mismatch for $url: expected $sum, got $actual; refusing to install it"
  exit 4
fi
mkdir -p "$tmp/unpacked"
if [ -n "$member" ]; then
  tar -xzf "$tmp/download" -C "$tmp/unpacked" "$member"
  file="$tmp/unpacked/$member"
else
  file="$tmp/download"
fi
[ -f "$file" ] || { say "the download has no $member"; exit 4; }
mkdir -p "$dest"
chmod 755 "$file"
mv -f "$file" "$bin"
printf '%s\n' "$sum" >"$dest/.sha256"
say "installed $bin (sha256 $sum verified)"
echo "$bin"
