#!/bin/sh
# Stand-in for the pipeguard binary in the shared-library tests: records its arguments (one per
# line) in $FAKE_LOG.<subcommand> and exits with $FAKE_<SUBCOMMAND>_EXIT. Like the real gate it
# blocks change requests from forks.
sub="$1"
printf '%s\n' "$@" > "$FAKE_LOG.$sub"
case "$sub" in
  gate)
    if [ -n "${CHANGE_FORK:-}" ]; then echo "blocked: fork PR by ${CHANGE_AUTHOR:-?}"; exit 1; fi
    exit "${FAKE_GATE_EXIT:-0}" ;;
  scan)
    while [ $# -gt 0 ]; do
      case "$1" in --output|--sarif|--json) echo '{}' > "$2"; shift ;; esac
      shift
    done
    exit "${FAKE_SCAN_EXIT:-0}" ;;
  attest)
    # The key must be readable only inside withCredentials.
    [ -n "${PIPEGUARD_KEY:-}" ] || exit 3
    exit "${FAKE_ATTEST_EXIT:-0}" ;;
esac
exit 2
