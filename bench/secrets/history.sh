#!/usr/bin/env bash
# History benchmark: pipeguard vs gitleaks vs kingfisher on the git history of a given local
# repository, each with its defaults. Clones the repository into a temporary directory first
# (`git clone --no-local`: only what its branches and tags reach, the same object set for every
# tool), runs the three tools under GNU time, matches their findings by (file, secret) and prints
# recall against the union and CPU / peak RSS side by side (history_match.py does the matching;
# its header says exactly how each tool's secret is recovered and which classes are judged out).
#
#   bench/secrets/history.sh PATH_TO_REPO [NAME]
#   PIPEGUARD_BIN=/work/bin/pipeguard WORK=/tmp/pg-hist bench/secrets/history.sh ~/src/checkov checkov
#   PG_ARGS="--config /dev/null" …   extra pipeguard arguments (e.g. ignore the repository's policy)
#   GL_ARGS="--config F -i DIR" …    extra gitleaks arguments (bench/secrets/gitleaks-default.toml and an
#                                    empty directory ignore the repository's .gitleaks.toml/.gitleaksignore)
#   TOOLS="pipeguard gitleaks"  …    run only some tools (the others' reports, if any, are reused)
#   RM_CLONE=1 …                     remove the clone ($WORK/NAME/repo; kept for history_misses.py)
#   CLONE_ARGS="--single-branch --branch main" …   passed to git clone
#   META=DIR …                       also score against the plants of make_big_history.py (DIR/plants.json)
#   REUSE_CLONE=1 …                  reuse that clone instead of cloning again
#
# Tool command lines (the only non-default flags are output format/path, never failing the run,
# and kingfisher's network switches: it validates found secrets live and checks for updates by
# default, which this benchmark must never do):
#   pipeguard  scan --history --only secrets --format json --fail-on never -o pg.json REPO
#   gitleaks   git --no-banner --exit-code 0 --report-format json --report-path gl.json REPO
#   kingfisher scan REPO --no-validate --no-update-check --format json -o kf.json
# Reports hold unredacted peer secrets (the matching needs them): they stay in $WORK; nothing this
# script prints contains a secret value.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=${1:?usage: history.sh PATH_TO_REPO [NAME]}
NAME=${2:-$(basename "$(cd "$SRC" && pwd)")}
WORK=${WORK:-/tmp/pg-history-bench}
PEERS=${PEERS:-$HOME/.cache/pipeguard-peers/bin}
GITLEAKS=${GITLEAKS:-$PEERS/gitleaks}
KINGFISHER=${KINGFISHER:-$PEERS/kingfisher}
PIPEGUARD_BIN=${PIPEGUARD_BIN:-/work/bin/pipeguard}
TOOLS=${TOOLS:-pipeguard gitleaks kingfisher}
NICE=${NICE:-nice -n 10}
OUT=$WORK/$NAME
REPO=$OUT/repo
mkdir -p "$OUT"

# A snapshot can lack objects (the search tool's snapshots leave out files of 4 MiB and more), and
# then `git clone` refuses it. Then the clone is built by hand: one pack of every object its
# branches and tags reach that is there, the refs a clone would have (branches as
# refs/remotes/origin/*, tags, the default branch checked out), and each missing blob replaced by
# an empty one (refs/replace/: git, and so gitleaks' `git log -p`, reads that; pipeguard through
# libgit2 does not and reports each as unreadable; kingfisher reads the objects that are there).
# No tool sees the missing content.
clone_repo() {
  # shellcheck disable=SC2086
  if git clone -q --no-local ${CLONE_ARGS:-} "$SRC" "$REPO" 2>"$OUT/clone.err"; then return; fi
  echo "   git clone failed ($(grep -m1 fatal "$OUT/clone.err" || tail -1 "$OUT/clone.err")): copying what its branches and tags reach" >&2
  local gd=$SRC
  [ -d "$SRC/objects" ] || gd=$SRC/.git
  rm -rf "$REPO" && git init -q "$REPO"
  git --git-dir="$gd" for-each-ref --format='%(objectname) %(refname)' refs/heads refs/tags >"$OUT/refs"
  cut -d' ' -f1 "$OUT/refs" | git --git-dir="$gd" pack-objects --revs --missing=allow-any --stdout -q |
    git -C "$REPO" index-pack --stdin >/dev/null
  local head; head=$(git --git-dir="$gd" symbolic-ref -q HEAD || echo refs/heads/main)
  awk -v head="$head" '{ if ($2 == head) print "create " $2 " " $1;
      if ($2 ~ /^refs\/heads\//) sub("^refs/heads/", "refs/remotes/origin/", $2); print "create " $2 " " $1 }' \
    "$OUT/refs" | git -C "$REPO" update-ref --stdin
  git -C "$REPO" symbolic-ref HEAD "$head"
  local empty; empty=$(git -C "$REPO" hash-object -w --stdin </dev/null)
  git -C "$REPO" rev-list --objects --all --missing=print | sed -n 's/^?//p' >"$OUT/missing-objects"
  while read -r oid; do git -C "$REPO" update-ref "refs/replace/$oid" "$empty"; done <"$OUT/missing-objects"
  echo "   $(wc -l <"$OUT/missing-objects") missing objects replaced by an empty blob" >&2
  git -C "$REPO" reset -q --hard
}
if [ "${REUSE_CLONE:-0}" != 1 ] || [ ! -d "$REPO/.git" ]; then
  rm -rf "$REPO"
  clone_repo
fi
COMMITS=$(git -C "$REPO" rev-list --count --branches --tags --remotes)
echo "== $NAME: $COMMITS commits reachable from any ref ($(git -C "$REPO" count-objects -vH | sed -n 's/^size-pack: //p') packed)" >&2

measure() { # name cmd… → $OUT/name.time: "wall user sys maxrss_kb exit"
  local name=$1; shift
  local rc=0
  $NICE /usr/bin/time -f '%e %U %S %M %x' -o "$OUT/$name.time" "$@" >"$OUT/$name.stdout" 2>"$OUT/$name.stderr" || rc=$?
  echo "   $name: $(cat "$OUT/$name.time") (rc $rc)" >&2
}

for t in $TOOLS; do
  case $t in
    pipeguard)
      echo "${PG_ARGS:-}" >"$OUT/pg.args"
      # shellcheck disable=SC2086
      measure pipeguard "$PIPEGUARD_BIN" scan --history --only secrets --format json --fail-on never \
        ${PG_ARGS:-} -o "$OUT/pg.json" "$REPO" ;;
    gitleaks)
      # shellcheck disable=SC2086
      measure gitleaks "$GITLEAKS" git --no-banner --exit-code 0 --report-format json \
        ${GL_ARGS:-} --report-path "$OUT/gl.json" "$REPO" ;;
    kingfisher)
      # The compiled rule cache (~/.cache/kingfisher) is warmed first so it is not measured.
      if [ ! -f "$OUT/../.kf-warm" ]; then
        mkdir -p "$OUT/../kf-warm" && echo x >"$OUT/../kf-warm/x"
        "$KINGFISHER" scan "$OUT/../kf-warm" --no-validate --no-update-check --format json -o /dev/null >/dev/null 2>&1 || true
        touch "$OUT/../.kf-warm"
      fi
      measure kingfisher "$KINGFISHER" scan "$REPO" --no-validate --no-update-check --format json \
        -o "$OUT/kf.json" ;;
    *) echo "unknown tool $t" >&2; exit 2 ;;
  esac
done

# shellcheck disable=SC2086
python3 "$HERE/history_match.py" "$OUT" "$REPO" "$NAME" "$COMMITS" ${META:-} | tee "$OUT/results.md"
[ "${RM_CLONE:-0}" != 1 ] || rm -rf "$REPO"
