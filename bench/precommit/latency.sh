#!/usr/bin/env bash
# Latency of the pre-commit hooks' command (`scan --staged …`) on a typical staged change, after
# the first build: a repository of 300 committed files in which one workflow, one Dockerfile and
# eight source files are staged. Reports, per hook, median and p90 wall time and median CPU time
# (user+sys, from getrusage) and max RSS over RUNS runs (default 30).
#
#   bench/precommit/latency.sh                # builds target/release/pipeguard first
#   bench/precommit/latency.sh path/to/pipeguard
#
# On a loaded machine wall time suffers first; CPU time is the steadier figure. Goal: < 50 ms.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="${1:-${PIPEGUARD_BIN:-}}"
if [ -z "$bin" ]; then
  cargo build --release --locked -p pipeguard --bin pipeguard >&2
  bin="${CARGO_TARGET_DIR:-target}/release/pipeguard"
fi
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
runs="${RUNS:-30}"

repo="$(mktemp -d)"
trap 'rm -rf "$repo"' EXIT
cd "$repo"
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
git init -q -b main .
mkdir -p src/mod{0..9} .github/workflows docs
for i in $(seq 0 279); do
  d="src/mod$((i % 10))"
  {
    echo "// module $i"
    for j in $(seq 1 60); do echo "pub fn f_${i}_${j}(x: u64) -> u64 { x.wrapping_mul($j).rotate_left($((j % 31))) }"; done
  } >"$d/file$i.rs"
done
for i in $(seq 0 19); do printf '# Notes %s\n\nSome text about the project.\n' "$i" >"docs/note$i.md"; done
git add -A && git commit -q -m init
# The staged change.
cat >.github/workflows/ci.yml <<'YAML'
name: ci
on:
  pull_request:
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          persist-credentials: false
      - run: cargo test --locked
YAML
printf 'FROM rust:1.95@sha256:%s AS build\nWORKDIR /src\nCOPY . .\nRUN cargo build --release\nFROM gcr.io/distroless/cc@sha256:%s\nCOPY --from=build /src/target/release/app /app\nUSER 10001\nENTRYPOINT ["/app"]\n' \
  "$(printf 'a%.0s' $(seq 64))" "$(printf 'b%.0s' $(seq 64))" >Dockerfile
for i in 3 17 42 88 120 199 230 271; do echo "pub const CHANGED_$i: u32 = $i;" >>"src/mod$((i % 10))/file$i.rs"; done
git add -A
echo "staged: $(git diff --cached --name-only | wc -l) files; repository: $(git ls-files | wc -l) files" >&2

python3 - "$bin" "$runs" <<'PY'
import resource, statistics, subprocess, sys, time
bin, runs = sys.argv[1], int(sys.argv[2])
hooks = {
    "pipeguard-secrets": [bin, "scan", "--staged", "--only", "secrets"],
    "pipeguard-scan": [bin, "scan", "--staged", "--skip", "secrets"],
}
print(f"binary: {bin}")
print(f"{'hook':<20} {'wall median':>12} {'wall p90':>9} {'cpu median':>11} {'max RSS':>9}")
for name, cmd in hooks.items():
    first = subprocess.run(cmd, capture_output=True)
    if first.returncode not in (0, 1):
        sys.exit(f"{name}: exit {first.returncode}: {first.stderr.decode(errors='replace')}")
    walls, cpus, rss = [], [], 0
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        walls.append((time.perf_counter() - t) * 1000)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)) * 1000)
        rss = max(rss, after.ru_maxrss)
    walls.sort()
    p90 = walls[min(len(walls) - 1, int(len(walls) * 0.9))]
    print(f"{name:<20} {statistics.median(walls):>9.1f} ms {p90:>6.1f} ms {statistics.median(cpus):>8.1f} ms {rss / 1024:>6.1f} MB")
PY
