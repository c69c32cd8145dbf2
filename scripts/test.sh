#!/usr/bin/env bash
# Runs the whole test suite and ends with the plain line "N passed, N failed[, N skipped]".
# Exits non-zero when any test fails or none ran.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/setup.sh || exit 1

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
dotnet test MlNetRnn.sln -c Release --logger "trx;LogFileName=results.trx" --results-directory "$results" "$@"
status=$?

trx=$(find "$results" -name '*.trx' | head -n 1)
if [[ -z "$trx" ]]; then
  echo "0 passed, 1 failed"
  echo "test: no test results were written (build failure?)" >&2
  exit 1
fi
# <Counters total=".." executed=".." passed=".." failed=".." ... notExecuted=".."/>
counter() { grep -o "<Counters [^>]*" "$trx" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
passed=$(counter passed); failed=$(counter failed)
failed=$(( ${failed:-0} + $(counter error || echo 0) + $(counter timeout || echo 0) + $(counter aborted || echo 0) ))
# Skipped tests are "notExecuted"; Assert.Inconclusive ones (e.g. real data absent) are "inconclusive".
skipped=$(( $(counter notExecuted || echo 0) + $(counter inconclusive || echo 0) ))
echo "${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
if [[ $status -ne 0 || ${failed:-0} -ne 0 || ${passed:-0} -eq 0 ]]; then
  exit 1
fi
