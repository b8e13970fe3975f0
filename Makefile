# mpbench — see README.md. Needs only Go (1.26+) and make.
GO       ?= go
BIN      := bin/mpbench
REVISION := $(shell git rev-parse --short HEAD 2>/dev/null)
VERSION  := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.version=$(VERSION) -X main.revision=$(REVISION)
RUNFLAGS ?=

.PHONY: build run test bench lint fmt clean gates

# Three executables: mpbench (the command line), and beside it mpbench-worker
# (every cell runner and worker process: only models, workloads and the
# worker platform, so a worker starts quickly) and mpbench-draw (the PNG
# reports). Static (no cgo): no dynamic loader in a worker's start either.
build:
	CGO_ENABLED=0 $(GO) build -ldflags '$(LDFLAGS)' -o bin/ ./cmd/mpbench ./cmd/mpbench-worker ./cmd/mpbench-draw

# The default sweep on this machine: every model, every workload, 1..max cores.
# It ends by drawing the report into the run folder and printing the path of
# its index page (on stderr, after the run file's).
run: build
	./$(BIN) run --report $(RUNFLAGS)

# What CI runs: formatting, vet, every test under the race detector, then the
# regression gates without it (under -race they skip), verbose: their tables,
# and a gate left inconclusive (a skip), are in the log.
#
# Note: a race-enabled binary sleeps a second at exit (GORACE
# atexit_sleep_ms) to give goroutines still running a last chance to race.
# Each package's test binary is one, and so is each child process its tests
# start (the multi-process tests' TestMain also turn the sleep off for
# those), and the sleeps add up to a good part of the run. Races are
# still reported as they happen. A GORACE of your own is kept.
GORACE ?= atexit_sleep_ms=0
test: lint
	GORACE='$(GORACE)' $(GO) test -race -count=1 ./...
	$(GO) test -count=1 -run 'Gate' -v ./cmd/mpbench/

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) mod tidy -diff

# Only the regression gates, verbose: an A/B on this machine of the working
# tree against the merge base of HEAD and main (MPBENCH_GATE_BASE=<revision>
# names another base), see harness/gate.
gates:
	$(GO) test -count=1 -run 'Gate' -v ./cmd/mpbench/

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin
