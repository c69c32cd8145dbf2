#!/usr/bin/env bash
# Runs the whole test suite, then scripts/setup-check.sh and scripts/package-check.sh (one test each), and
# ends with the plain line "N passed, N failed, N skipped" in every case, set-up failure included.
# Exits non-zero when anything failed or no test ran.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

summary() { echo "$1 passed, $2 failed, $3 skipped"; }

if ! bash scripts/setup.sh --quiet; then
  echo "test: set-up failed (scripts/setup.sh, above); no test ran" >&2
  summary 0 1 0
  exit 1
fi

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
# One TRX file per test project (no fixed LogFileName: several projects would overwrite one another's).
dotnet test MlNetRnn.sln -c Release --logger trx --results-directory "$results" "$@"
status=$?

passed=0; failed=0; skipped=0
# <Counters total=".." executed=".." passed=".." failed=".." error=".." timeout=".." aborted=".." .../>
counter() { grep -o "<Counters [^>]*" "$1" | grep -o " $2=\"[0-9]*\"" | grep -o '[0-9]*' || echo 0; }
trx_count=0
while IFS= read -r -d '' trx; do
  trx_count=$((trx_count + 1))
  total=$(counter "$trx" total); executed=$(counter "$trx" executed)
  passed=$((passed + $(counter "$trx" passed)))
  failed=$((failed + $(counter "$trx" failed) + $(counter "$trx" error) + $(counter "$trx" timeout) + $(counter "$trx" aborted)))
  not_run=$((total - executed))
  if grep -q 'outcome="Aborted"\|test run was aborted\|Test host process crashed' "$trx"; then
    # The host died: the tests it never reached are failures, not skips (and the crash is one at least).
    echo "test: the test host aborted ($(basename "$trx"))" >&2
    failed=$((failed + (not_run > 0 ? not_run : 1)))
  else
    # VSTest leaves notExecuted/inconclusive at 0: skipped (Assert.Inconclusive, [Ignore]) = total - executed.
    skipped=$((skipped + not_run))
  fi
done < <(find "$results" -name '*.trx' -print0)

if [[ $trx_count -eq 0 ]]; then
  echo "test: no test results were written (build failure?)" >&2
  failed=$((failed + 1))
elif [[ $status -ne 0 && $failed -eq 0 ]]; then
  echo "test: dotnet test exited with $status without a failed test in its results (a project failed to build or run?)" >&2
  failed=$((failed + 1))
fi

# Script checks, one test each: set-up decisions, and the NuGet package as a consumer sees it.
for check in setup-check package-check; do
  if bash "scripts/$check.sh"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
  fi
done

summary "$passed" "$failed" "$skipped"
[[ $failed -eq 0 && $passed -gt 0 ]]
