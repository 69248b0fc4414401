#!/usr/bin/env bash
# The Go plugin SDK's own tests (npm test runs this after the TypeScript suites).
set -euo pipefail
cd "$(dirname "$0")/../sdk/go"
if ! command -v go >/dev/null 2>&1; then
  echo "test:go: Go is not installed. Install Debian's Go 1.19: apt-get install golang-go" >&2
  exit 1
fi
go vet ./...
go test -count=1 ./...
