#!/usr/bin/env bash
# The whole test suite: unit, fuzz and integration tests (real corosync clusters; needs root).
# Test files are passed explicitly: Node 20's runner does not discover *.test.ts by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
bash test/ensure-system-deps.sh
shopt -s nullglob
files=(test/unit/*.test.ts test/fuzz/*.test.ts test/integration/*.test.ts)
if [ ${#files[@]} -eq 0 ]; then
  echo "run-all: no test files found" >&2
  exit 1
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
npx tsx --test --test-force-exit --test-reporter=spec "${files[@]}" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# A run that executed no test is a failure, whatever the runner's exit status.
if grep -Eq '^ℹ tests 0$' "$log"; then
  echo "run-all: no test was executed" >&2
  exit 1
fi
exit "$status"
