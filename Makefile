# sharewatch. The two set-up commands are `make demo` and `make test`.
GO ?= go
export PATH := $(PATH):/usr/local/go/bin

.PHONY: build demo test bench fit fmt vet clean

build:
	$(GO) build -o sharewatch ./cmd/sharewatch

# The main job on embedded defaults: kfake broker, simulated population.
demo:
	$(GO) run ./cmd/sharewatch demo

# Every test, installing ClickHouse, Request Tracker 5 and Prometheus from
# Debian first when they are missing.
test:
	scripts/test.sh

# Speed is measured with benchmarks, never with timed tests.
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./scoring/ ./enrich/ ./ingest/ ./pipeline/ ./simulate/

# Refit the built-in model on fresh simulated populations.
fit:
	$(GO) run ./cmd/sharewatch fit --out scoring/model.json

fmt:
	gofmt -w $$(git ls-files '*.go')

vet:
	$(GO) vet ./...

clean:
	rm -rf sharewatch sharewatch-demo
