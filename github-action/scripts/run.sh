#!/usr/bin/env bash
# Run one pipeguard command for the action; inputs arrive as INPUT_* environment variables.
# Outputs go to $GITHUB_OUTPUT, the job summary to $GITHUB_STEP_SUMMARY. Exit code = pipeguard's.
# No input is ever evaluated by a shell: each one is a single argument, and INPUT_ARGS is split
# into words by split_words below (quotes group, nothing expands). Arrays are expanded as
# ${a[@]+"${a[@]}"}: an empty array is "unbound" under set -u in bash 3.2 (macOS).
set -euo pipefail
pg="${PIPEGUARD_BIN:-pipeguard}"
work="${RUNNER_TEMP:-/tmp}/pipeguard"
mkdir -p "$work"
cmd="${INPUT_COMMAND:-scan}"

config_args=()
if [ -n "${INPUT_CONFIG:-}" ]; then config_args+=(--config "$INPUT_CONFIG"); fi
trusted_args=()
trusted_ref="${INPUT_TRUSTED_CONFIG_REF:-}"
# On a pull request the checkout is the change under review: unless told otherwise, `scan` takes
# the policy, ignore files, inline ignores and baseline from the base branch (trusted mode).
# `trusted-config-ref: none` turns this off.
if [ -z "$trusted_ref" ] && [ -z "${INPUT_CONFIG:-}" ] && [ "${INPUT_COMMAND:-scan}" = scan ]; then
  case "${GITHUB_EVENT_NAME:-}" in
    pull_request | pull_request_target | pull_request_review | pull_request_review_comment)
      base="${GITHUB_BASE_REF:-}"
      repo_dir="${INPUT_PATH:-.}"
      [ -d "$repo_dir" ] || repo_dir="$(dirname "$repo_dir")"
      if [ -n "$base" ] && git check-ref-format --branch "$base" >/dev/null 2>&1; then
        tracking="refs/remotes/origin/$base"
        if ! git -C "$repo_dir" rev-parse -q --verify "$tracking^{commit}" >/dev/null 2>&1; then
          git -C "$repo_dir" fetch -q --no-tags --depth=1 origin "+refs/heads/$base:$tracking" >/dev/null 2>&1 || true
        fi
        if git -C "$repo_dir" rev-parse -q --verify "$tracking^{commit}" >/dev/null 2>&1; then
          trusted_ref="origin/$base"
          echo "pipeguard: pull request: policy and suppressions come from $trusted_ref (trusted mode)"
        else
          echo "::error title=pipeguard::pull request: the base branch could not be fetched to read the trusted policy; give trusted-config-ref (or trusted-config-ref: none to scan without trusted mode)"
          exit 2
        fi
      fi
      ;;
  esac
fi
if [ -n "$trusted_ref" ] && [ "$trusted_ref" != none ]; then trusted_args+=(--trusted-config-ref "$trusted_ref"); fi
# Empty fail-on: the policy (`fail_on` in .pipeguard.yml, else pipeguard's default) decides.
fail_args=()
if [ -n "${INPUT_FAIL_ON:-}" ]; then fail_args+=(--fail-on "$INPUT_FAIL_ON"); fi

# Split $1 into words the way a shell groups them, without any expansion: blanks separate words,
# '...' and "..." group (a backslash inside "..." takes the next character literally), a
# backslash outside quotes takes the next character literally. Sets the array `extra`.
split_words() {
  local s="$1" word="" have=0 q="" c i n=${#1}
  extra=()
  if [ "$n" -gt 8192 ]; then
    echo "::error title=pipeguard::args is longer than 8192 characters"
    exit 2
  fi
  for ((i = 0; i < n; i++)); do
    c="${s:i:1}"
    if [ -n "$q" ]; then
      if [ "$c" = "$q" ]; then
        q=""
      elif [ "$q" = '"' ] && [ "$c" = "\\" ] && [ $((i + 1)) -lt "$n" ]; then
        i=$((i + 1))
        word+="${s:i:1}"
      else
        word+="$c"
      fi
      continue
    fi
    case "$c" in
      "'" | '"') q="$c" have=1 ;;
      "\\")
        if [ $((i + 1)) -lt "$n" ]; then i=$((i + 1)) word+="${s:i:1}"; fi
        have=1
        ;;
      ' ' | $'\t' | $'\n' | $'\r')
        if [ "$have" = 1 ]; then extra+=("$word"); fi
        word="" have=0
        ;;
      *) word+="$c" have=1 ;;
    esac
  done
  if [ -n "$q" ]; then
    echo "::error title=pipeguard::args has an unclosed $q quote"
    exit 2
  fi
  if [ "$have" = 1 ]; then extra+=("$word"); fi
  return 0
}
split_words "${INPUT_ARGS:-}"

# Read one field of a JSON file (jq on GitHub's runners; python3 otherwise).
json_field() {
  if command -v jq >/dev/null; then jq -r "$2" "$1"; else
    python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))
for k in sys.argv[2].strip(".").split("."): v=v[k]
print(v)' "$1" "$2"; fi
}

# Outputs and summary of a scan or drift run, from its JSON report.
report_outputs() {
  local sarif="$1" format="$2" sev
  if [ ! -f "$work/report.json" ]; then return 0; fi
  {
    echo "verdict=$(json_field "$work/report.json" .summary.verdict)"
    echo "risk-score=$(json_field "$work/report.json" .summary.risk_score)"
    for sev in critical high medium low info; do
      echo "$sev-count=$(json_field "$work/report.json" ".summary.counts.$sev")"
    done
    echo "findings-count=$(json_field "$work/report.json" .summary.total)"
    if [ -f "$sarif" ]; then echo "sarif-path=$sarif"; fi
  } >>"$GITHUB_OUTPUT"
  # `--format github` writes the summary itself; other formats get it here.
  if [ "$format" != github ] && [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ -f "$work/summary.md" ]; then
    cat "$work/summary.md" >>"$GITHUB_STEP_SUMMARY"
  fi
}

case "$cmd" in
  gate)
    rc=0
    "$pg" gate --github ${config_args[@]+"${config_args[@]}"} ${trusted_args[@]+"${trusted_args[@]}"} --decision-file "$work/gate-decision.json" ${extra[@]+"${extra[@]}"} || rc=$?
    # pipeguard writes `decision` to $GITHUB_OUTPUT and the summary itself.
    exit "$rc"
    ;;
  scan | drift)
    sarif="${INPUT_SARIF_FILE:-pipeguard.sarif}"
    format="${INPUT_FORMAT:-github}"
    rm -f "$work/report.json" "$work/summary.md"
    args=("$cmd" "${INPUT_PATH:-.}" ${config_args[@]+"${config_args[@]}"})
    # Drift compares job definitions; the trusted-ref policy switch is the scan's.
    if [ "$cmd" = scan ]; then args+=(${trusted_args[@]+"${trusted_args[@]}"}); fi
    # With a token, `scan` audits the used actions online (impostor commits, advisories, …)
    # unless the args choose; a binary without --online (an older release) is left as it is.
    if [ "$cmd" = scan ] && [ -n "${GITHUB_TOKEN:-}" ] \
      && [[ " ${extra[*]-} " != *" --offline "* && " ${extra[*]-} " != *" --online "* ]] \
      && "$pg" scan --help 2>/dev/null | grep -q -- '--online'; then
      args+=(--online)
    fi
    args+=(${fail_args[@]+"${fail_args[@]}"} --format "$format" --sarif "$sarif" --json "$work/report.json" --summary "$work/summary.md")
    rc=0
    "$pg" "${args[@]}" ${extra[@]+"${extra[@]}"} || rc=$?
    report_outputs "$sarif" "$format"
    exit "$rc"
    ;;
  attest)
    key_var="${INPUT_ATTEST_KEY_ENV:-PIPEGUARD_ATTEST_KEY}"
    if ! [[ "$key_var" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]]; then
      echo "::error title=pipeguard attest::attest-key-env must be an environment variable name, got '$key_var'"
      exit 2
    fi
    if [ -z "${!key_var:-}" ]; then
      echo "::error title=pipeguard attest::the environment variable $key_var is empty: map your signing-key secret to it with env: on this step"
      exit 2
    fi
    digest="${INPUT_IMAGE_DIGEST:-}"
    if ! [[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]]; then
      echo "::error title=pipeguard attest::image-digest must be sha256:<64 lowercase hex>, got '$digest'"
      exit 2
    fi
    out="${INPUT_ATTESTATION_FILE:-pipeguard.intoto.jsonl}"
    key="$(mktemp "$work/key.XXXXXX")"
    trap 'rm -f "$key"' EXIT
    chmod 600 "$key"
    printf '%s\n' "${!key_var}" >"$key"
    args=(attest --image-digest "$digest" --key "$key" --out "$out")
    if [ -f "$work/report.json" ]; then args+=(--scan-report "$work/report.json"); fi
    if [ -f "$work/gate-decision.json" ]; then args+=(--gate-decision "$work/gate-decision.json"); fi
    rc=0
    "$pg" "${args[@]}" ${extra[@]+"${extra[@]}"} || rc=$?
    if [ "$rc" = 0 ]; then
      echo "attestation-path=$out" >>"$GITHUB_OUTPUT"
      if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
        printf '### pipeguard attest\n\nSigned attestation for `%s` written to `%s`.\n\n' "$digest" "$out" >>"$GITHUB_STEP_SUMMARY"
      fi
    fi
    exit "$rc"
    ;;
  *)
    echo "::error title=pipeguard::unknown command '$cmd' (expected gate, scan, drift or attest)"
    exit 2
    ;;
esac
