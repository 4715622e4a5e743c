#!/usr/bin/env bash
# Recall and precision of pipeguard's GitHub analyzer next to zizmor on three public labelled
# corpora: per corpus and persona, TP / FN / FP of both tools side by side (issue 17).
#
#   gha-hazmat        the repository woodruffw/gha-hazmat: every `# NOT OK` / `# OK` comment is a
#                     label for the YAML node below it (49 NOT OK, 18 OK at commit da3c3cd)
#   zizmor fixtures   the repository zizmorcore/zizmor: crates/zizmor/tests/integration/test-data
#                     are the inputs, the inline insta snapshots of tests/integration/audit/*.rs
#                     the expected findings (audit, file, line) at the test's persona
#   ActionsBench      the PyPI package `actionsbench` (0.2.0): 44 cases, each a `.github/` tree with
#                     a case.yaml holding `is_negative` and `expected: [{weakness_class, file, line}]`
#
# Nothing is fetched at run time. Prepare the corpus directory once:
#
#   C=/work/corpora                     # any directory
#   # the two repositories: any clone of them (here: the search tool's `fetch` snapshot, cloned)
#   git clone <snapshot or clone of woodruffw/gha-hazmat> "$C/gha-hazmat"
#   git clone <snapshot or clone of zizmorcore/zizmor>   "$C/zizmor"
#   # ActionsBench: the wheel itself (the script unpacks its bundled corpus to a temp dir);
#   # an unpacked wheel (actionsbench/_corpus/cases) in the same place works too
#   mkdir -p "$C/actionsbench" && pip download --no-deps -d "$C/actionsbench" actionsbench==0.2.0
#   # only if python3 has no PyYAML: wheels for an offline venv
#   pip download -d "$C/wheels" pyyaml
#
# Usage: bench/github/recall.sh CORPUS_DIR [--details] [--match region|line] [--pg-personas]
#                               [--only hazmat,fixtures,actionsbench] [--json FILE]
#   PIPEGUARD=path/to/pipeguard (default: target/release/pipeguard, then $CARGO_TARGET_DIR/release)
#   ZIZMOR=path/to/zizmor       (default: zizmor on PATH, then ../shared/peers' install dir)
#   --pg-personas  run pipeguard once per persona with `--persona P` (the flag issue 17 adds);
#                  without it pipeguard's single behaviour is scored in every persona row
#   --details      list every label with the finding that matched it, every miss and every FP
#   --match line   exact-line matching instead of the region rule (see recall.py's docstring)
#
# The mappings (zizmor audit <-> pipeguard rule, hazmat marker -> audit, ActionsBench class of
# each rule) are data at the top of recall.py. zizmor always runs with --offline, and with
# --no-config unless a fixture test names a config.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
[ $# -ge 1 ] || { sed -n '2,40p' "$0"; exit 2; }
corpora="$(cd "$1" && pwd)"; shift
for d in gha-hazmat zizmor actionsbench; do
  [ -e "$corpora/$d" ] || { echo "missing $corpora/$d (see the header of $0)" >&2; exit 2; }
done
pg="${PIPEGUARD:-}"
for c in "$repo/target/release/pipeguard" "${CARGO_TARGET_DIR:-/nonexistent}/release/pipeguard"; do
  [ -z "$pg" ] && [ -x "$c" ] && pg="$c"
done
[ -n "$pg" ] || { echo "build pipeguard first: cargo build --release -p pipeguard (or set PIPEGUARD)" >&2; exit 2; }
zz="${ZIZMOR:-$(command -v zizmor || true)}"
[ -n "$zz" ] || zz=/root/.cache/pipeguard-peers/bin/zizmor
[ -x "$zz" ] || { echo "zizmor not found: run ../shared/peers/install.sh or set ZIZMOR" >&2; exit 2; }

py=python3
if ! python3 -c 'import yaml' 2>/dev/null; then
  venv="$corpora/.venv"
  if [ ! -x "$venv/bin/python" ]; then
    [ -d "$corpora/wheels" ] || { echo "python3 has no PyYAML and $corpora/wheels is missing (see header)" >&2; exit 2; }
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --no-index --find-links "$corpora/wheels" pyyaml
  fi
  py="$venv/bin/python"
fi
exec nice -n 10 "$py" "$here/recall.py" "$corpora" --pipeguard "$pg" --zizmor "$zz" "$@"
