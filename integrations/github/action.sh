#!/usr/bin/env bash
# The netfence GitHub Action's work (action.yml runs it): scan, diff against the base revision
# and the connectivity assertions, each written as SARIF (for code scanning) and as Markdown (for
# the job summary). Every step runs even when an earlier one fails; the script exits 1 when any
# gate failed and 2 when netfence could not read its input.
#
# Environment (action.yml sets it from the action's inputs):
#   NETFENCE_PATH           manifests to check (a file or directory, relative to the repository)
#   NETFENCE_BASE           git revision to diff against; empty: no diff
#   NETFENCE_TESTS          connectivity assertions (netfence test SPEC); empty: none
#   NETFENCE_FAIL_ON        scan severity that fails the job (info ... critical), or none
#   NETFENCE_FAIL_ON_ADDED  "true": any flow the change opens fails the job
#   NETFENCE_FORBID         newline-separated --forbid patterns for diff
#   NETFENCE_OUT            directory for the SARIF, JUnit and Markdown outputs
#   GITHUB_STEP_SUMMARY     the job summary file (set by GitHub)
set -uo pipefail

path="${NETFENCE_PATH:?NETFENCE_PATH (the manifests) is required}"
out="${NETFENCE_OUT:-netfence-results}"
summary="${GITHUB_STEP_SUMMARY:-/dev/null}"
mkdir -p "$out"
worst=0

# Keep the worst exit code: 2 (input error) over 1 (a gate failed) over 0.
record() {
  local code=$1 step=$2
  if [ "$code" -ge 2 ]; then
    echo "::error title=netfence $step::netfence $step could not read its input (exit $code)"
  elif [ "$code" -eq 1 ]; then
    echo "::error title=netfence $step::netfence $step failed its gate"
  fi
  if [ "$code" -gt "$worst" ] && [ "$worst" -lt 2 ]; then worst=$code; fi
}

echo "## netfence" >>"$summary"

# Scan: SARIF for code scanning, Markdown for the summary; the gate is --fail-on.
fail_on="${NETFENCE_FAIL_ON:-high}"
if [ "$fail_on" = "none" ]; then
  netfence scan "$path" -o sarif >"$out/scan.sarif"
  code=$?
  if [ "$code" -eq 1 ]; then code=0; fi # findings, but no gate
  record "$code" scan
else
  netfence scan "$path" --fail-on "$fail_on" -o sarif >"$out/scan.sarif"
  record $? scan
fi
netfence scan "$path" -o md >>"$summary" 2>/dev/null || true

# Diff against the base revision: what the change opens and closes.
if [ -n "${NETFENCE_BASE:-}" ]; then
  if ! git cat-file -e "${NETFENCE_BASE}^{commit}" 2>/dev/null; then
    git fetch --no-tags --depth=1 origin "$NETFENCE_BASE" >/dev/null 2>&1 || true
  fi
  gates=()
  if [ "${NETFENCE_FAIL_ON_ADDED:-false}" = "true" ]; then gates+=(--fail-on-added); fi
  while IFS= read -r pattern; do
    if [ -n "$pattern" ]; then gates+=(--forbid "$pattern"); fi
  done <<<"${NETFENCE_FORBID:-}"
  before="git:${NETFENCE_BASE}:${path}"
  netfence diff "$before" "$path" "${gates[@]}" -o sarif >"$out/diff.sarif"
  record $? diff
  netfence diff "$before" "$path" "${gates[@]}" -o md >"$out/diff.md" 2>/dev/null || true
  cat "$out/diff.md" >>"$summary"
fi

# Connectivity assertions: JUnit for test reporters, SARIF for code scanning.
if [ -n "${NETFENCE_TESTS:-}" ]; then
  netfence test "$NETFENCE_TESTS" "$path" -o sarif >"$out/test.sarif"
  record $? test
  netfence test "$NETFENCE_TESTS" "$path" -o junit >"$out/test.xml" 2>/dev/null || true
fi

exit "$worst"
