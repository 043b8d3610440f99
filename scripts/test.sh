#!/usr/bin/env bash
# The whole test suite, from a fresh Debian/Ubuntu machine: installs and starts what the tests need
# (Docker engine, debootstrap, Chromium), builds the local images, builds the solution, runs every test
# (the end-to-end ones start the real Aspire AppHost), and ends with the runner's summary line
# "N passed, N failed, N skipped".
#
#   scripts/test.sh                                                # everything (what CI runs)
#   scripts/test.sh --filter "Category!=E2E&Category!=Integration"   # the unit tests alone, in seconds
#   (extra arguments go to `dotnet test`)
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

echo "==> Prerequisites (Docker engine, debootstrap, Chromium, tools)"
scripts/prerequisites.sh

echo "==> Local images (rebuilt only when their recipe changed)"
scripts/build-images.sh

echo "==> Building the solution"
dotnet build RemoteGpu.sln --nologo -clp:ErrorsOnly

echo "==> Running the tests"
results=TestResults
rm -rf "$results"
status=0
dotnet test RemoteGpu.sln --no-build --nologo \
  --logger "console;verbosity=normal" --logger "trx;LogFileName=results.trx" \
  --results-directory "$results" "$@" || status=$?

# One summary line in the form CI reads, from the runner's own result file.
trx=$(find "$results" -name '*.trx' | head -n 1)
if [[ -z "$trx" ]]; then
  echo "tests: 0 passed, 0 failed (no result file: the test run did not start)"
  exit 1
fi
counters=$(grep -o '<Counters [^>]*>' "$trx")
count() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters"; }
passed=$(count passed); failed=$(count failed); total=$(count total); executed=$(count executed)
skipped=$(( total - executed ))
echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
if [[ "$status" -ne 0 || "$failed" -ne 0 || "$passed" -eq 0 ]]; then
  exit 1
fi
