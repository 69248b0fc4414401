#!/usr/bin/env bash
# The test suites after the build: Vitest (TypeScript, PGlite, PostgreSQL, Chromium), then the Go
# SDK's tests whatever Vitest's outcome, then one line per suite. Fails when either failed.
set -uo pipefail
cd "$(dirname "$0")/.."
npx vitest run "$@"
vitest=$?
bash scripts/test-go.sh
go=$?
verdict() { if [ "$1" -eq 0 ]; then echo "passed"; else echo "FAILED (exit $1)"; fi; }
echo
echo "test suites: vitest $(verdict $vitest), go $(verdict $go)"
[ "$vitest" -eq 0 ] && [ "$go" -eq 0 ]
