# Pitstop: the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
GO ?= go
export PATH := /usr/local/go/bin:$(HOME)/go/bin:$(PATH)

.PHONY: run test lint unit bench fuzz build chaos

## run: start the whole garage in one process (see README for URLs).
run:
	@mkdir -p .pitstop-data/bin
	$(GO) build -o .pitstop-data/bin/pitstop ./cmd/pitstop
	@exec ./.pitstop-data/bin/pitstop

## test: every check and every test in the repository (what CI runs).
test: lint unit

lint:
	@out="$$(gofmt -l $$(git ls-files '*.go'))"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

unit:
	$(GO) test -count=1 -timeout 45m ./...
	$(GO) test -count=1 -race -timeout 20m ./shared-go/...

## chaos: the full chaos test (10,000 commands while processes, NATS and Postgres are killed);
## make test runs a reduced one (about 2,000 commands).
chaos:
	CHAOS_COMMANDS=10000 $(GO) test -count=1 -v -timeout 60m -run TestChaos ./cmd/pitstop/chaos/

## bench: relay latency/throughput and command throughput figures (QUALITY.md).
bench:
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 30m ./bench/

build:
	$(GO) build ./...
