# The two commands the README promises:
#   make demo   runs the gRPC demo (no server needed; docs/demo.md)
#   make test   runs every test of every module in this repository
# TESTFLAGS passes flags to go test, e.g. make test TESTFLAGS=-race;
# DEMOFLAGS to the demo, e.g. make demo DEMOFLAGS="-redis localhost:6379".

TESTFLAGS ?=
DEMOFLAGS ?=
# Every directory with a go.mod is a module: the root and the nested
# modules that keep heavy dependencies out of the root's go.mod.
MODULES := $(shell find . -name go.mod -not -path './.git/*' -not -path '*/testdata/*' -exec dirname {} \; | sort)

.PHONY: demo test vet fmt-check staticcheck fuzz fuzz-all bench simulate

# The demo is a module of its own (it needs go-redis, and with it Go 1.26,
# which grpccache's users should not).
demo:
	cd grpccache/examples/demo && go run . $(DEMOFLAGS)

test:
	@set -e; for m in $(MODULES); do \
		echo "== go test $(TESTFLAGS) ./... in $$m"; \
		(cd $$m && go test $(TESTFLAGS) ./...); \
	done
	@# Race builds read under the shard lock (shard/race.go); the lock-free
	@# read path and its concurrency tests also run without -race. The
	@# torture test runs long enough there to catch a lock-free race that
	@# needs two cores to line up (docs/reliability.md).
	@echo "== go test (lock-free reads, no -race) in ."
	go test -count=1 -run 'ReadsSeeWholeValues|LoadNeverTorn|TableConcurrent|StripesWiden|Stress|Soak|SlidingExpiry|ExtendOnly' . ./entry ./shard ./internal/table ./bytecache ./internal/slab
	go test -count=1 -run 'Torture' . -torture=8s

vet:
	@set -e; for m in $(MODULES); do (cd $$m && go vet ./...); done

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

staticcheck:
	@set -e; for m in $(MODULES); do (cd $$m && staticcheck ./...); done

# Bounded fuzzing of the operation-sequence model (FUZZTIME per target).
FUZZTIME ?= 30s
fuzz:
	go test -run=NONE -fuzz=FuzzModel -fuzztime=$(FUZZTIME) .

# Every fuzz target of every module in turn, each for FUZZTIME: found by
# their declarations, so a new target is fuzzed without editing this file.
fuzz-all:
	@set -e; for d in $$(git grep -l '^func Fuzz' -- '*_test.go' | xargs -n1 dirname | sort -u); do \
		for f in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$d/*_test.go | cut -c6-); do \
			echo "== $$f in $$d for $(FUZZTIME)"; \
			(cd $$d && go test -run=NONE -fuzz="^$$f\$$" -fuzztime=$(FUZZTIME) .); \
		done; \
	done

bench:
	go test -run=NONE -bench=. -benchmem .

# Trace-driven hit ratios of every cache: writes docs/hitratio.md and
# docs/hitratio/*.svg. SIMFLAGS passes flags, e.g. SIMFLAGS=-quick.
SIMFLAGS ?=
simulate:
	cd benchmarks && go run ./cmd/simulate $(SIMFLAGS)
