#!/usr/bin/env bash
# The whole test suite, from a fresh Debian machine: installs what the tests
# need (scripts/test-deps.sh), checks formatting and vet, then runs every
# test with the race detector against real ClickHouse (Debian's 18.16, and a
# current release through chDB), Request Tracker 5, Prometheus and
# in-process Kafka (kfake).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin:$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin"

scripts/test-deps.sh

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change:"; echo "$unformatted"; exit 1
fi
echo "== go vet"
go vet ./...
echo "== go test -race"
go test -race -count=1 -timeout 30m ./...
