#!/usr/bin/env bash
# Run one pipeguard command for the action; inputs arrive as INPUT_* environment variables.
# Outputs go to $GITHUB_OUTPUT, the job summary to $GITHUB_STEP_SUMMARY. Exit code = pipeguard's.
set -euo pipefail
pg="${PIPEGUARD_BIN:-pipeguard}"
work="${RUNNER_TEMP:-/tmp}/pipeguard"
mkdir -p "$work"
cmd="${INPUT_COMMAND:-scan}"

config_args=()
if [ -n "${INPUT_CONFIG:-}" ]; then config_args+=(--config "$INPUT_CONFIG"); fi
if [ -n "${INPUT_TRUSTED_CONFIG_REF:-}" ]; then config_args+=(--trusted-config-ref "$INPUT_TRUSTED_CONFIG_REF"); fi

# Read one field of a JSON file (jq on GitHub's runners; python3 otherwise).
json_field() {
  if command -v jq >/dev/null; then jq -r "$2" "$1"; else
    python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))
for k in sys.argv[2].strip(".").split("."): v=v[k]
print(v)' "$1" "$2"; fi
}

case "$cmd" in
  gate)
    rc=0
    "$pg" gate --github "${config_args[@]}" --decision-file "$work/gate-decision.json" || rc=$?
    # pipeguard writes `decision` to $GITHUB_OUTPUT and the summary itself.
    exit "$rc"
    ;;
  scan)
    sarif="${INPUT_SARIF_FILE:-pipeguard.sarif}"
    format="${INPUT_FORMAT:-github}"
    rc=0
    "$pg" scan "${INPUT_PATH:-.}" "${config_args[@]}" --format "$format" --fail-on "${INPUT_FAIL_ON:-high}" \
      --sarif "$sarif" --json "$work/report.json" --summary "$work/summary.md" || rc=$?
    if [ -f "$work/report.json" ]; then
      {
        echo "verdict=$(json_field "$work/report.json" .summary.verdict)"
        echo "risk-score=$(json_field "$work/report.json" .summary.risk_score)"
        echo "sarif-path=$sarif"
      } >>"$GITHUB_OUTPUT"
      # `--format github` writes the summary itself; other formats get it here.
      if [ "$format" != github ] && [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
        cat "$work/summary.md" >>"$GITHUB_STEP_SUMMARY"
      fi
    fi
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
    "$pg" "${args[@]}" || rc=$?
    if [ "$rc" = 0 ]; then
      echo "attestation-path=$out" >>"$GITHUB_OUTPUT"
      if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
        printf '### pipeguard attest\n\nSigned attestation for `%s` written to `%s`.\n\n' "$digest" "$out" >>"$GITHUB_STEP_SUMMARY"
      fi
    fi
    exit "$rc"
    ;;
  *)
    echo "::error title=pipeguard::unknown command '$cmd' (expected gate, scan or attest)"
    exit 2
    ;;
esac
