#!/usr/bin/env bash
# CPU time (user+sys, s) and max RSS (KiB) of keygen / attest / verify, and of reading the digest
# of a large `docker save` archive (the tar reader seeks over layers instead of reading them).
# Usage: bench/attest/run.sh [PIPEGUARD_BINARY] [LAYER_MIB]   (default: target/release/pipeguard, 512)
set -euo pipefail
bin=${1:-${CARGO_TARGET_DIR:-target}/release/pipeguard}
mib=${2:-512}
bin=$(realpath "$bin")
here=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
measure() { # label, command…
  local label=$1; shift
  /usr/bin/time -f "%U %S %M" -o t.txt "$@" >/dev/null 2>err.txt || true
  read -r u s m < t.txt
  printf '%-34s cpu %6.3fs  maxrss %6d KiB\n' "$label" "$(echo "$u + $s" | bc)" "$m"
}
digest=sha256:4f3c0e1d2b7a9e8f6c5d4b3a2e1f0d9c8b7a6e5f4d3c2b1a0f9e8d7c6b5a4f3e
measure "keygen" "$bin" keygen --out k
measure "attest --scan-report" "$bin" attest --scan-report "$here/tests/fixtures/attest/report-pass.json" \
  --image-digest "$digest" --key k --out a.jsonl
measure "verify" "$bin" verify --attestation a.jsonl --pubkey k.pub --image-digest "$digest" \
  --require-verdict pass --max-risk 20 --max-age 1h
# A legacy docker save archive with one ${mib} MiB layer.
mkdir -p img/layer
head -c $((mib * 1024 * 1024)) /dev/urandom > img/layer/layer.tar
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}' > img/cfg.json
printf '[{"Config":"cfg.json","RepoTags":["app:1"],"Layers":["layer/layer.tar"]}]' > img/manifest.json
tar -C img -cf app.tar layer/layer.tar cfg.json manifest.json
measure "attest --docker-archive (${mib} MiB)" "$bin" attest --scan-report "$here/tests/fixtures/attest/report-pass.json" \
  --docker-archive app.tar --key k --out b.jsonl
grep -q '"payloadType"' b.jsonl || { echo "docker-archive attest failed:"; cat err.txt; exit 1; }
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
