# vigie — developer entry points. `make help` lists them.
SHELL := /bin/bash
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
GO_LDFLAGS := -X main.version=$(VERSION)

.PHONY: help build run test unit stack-build stack-up stack-down stack-status lint

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

build: ## build bin/vigie
	go build -trimpath -ldflags '$(GO_LDFLAGS)' -o bin/vigie ./cmd/vigie

run: build stack-build ## start the local platform (unless it runs) and open vigie on it as the payments member
	@cd test/stack && go run ./cmd/stack status >/dev/null 2>&1 || go run ./cmd/stack up
	@source test/stack/.run/env && exec bin/vigie --context local-payments --log-file test/stack/.run/logs/vigie.log

test: ## build and start the local platform, run every test (unit + integration, -race), stop it
	@test/run-all-tests.sh

unit: ## unit tests only (no server needed)
	go test -race ./...
	cd test/stack && go test -race ./...

stack-build: ## build etcd, kube-apiserver, controller-manager, scheduler, kwok (cached)
	test/stack/build.sh

stack-up: stack-build ## start the local platform on 127.0.0.1 (installs Debian packages as root)
	cd test/stack && go run ./cmd/stack up

stack-down: ## stop exactly what stack-up started and remove its data
	cd test/stack && go run ./cmd/stack down

stack-status: ## show what of the local platform is running
	cd test/stack && go run ./cmd/stack status

lint: ## gofmt and go vet on both modules
	@test -z "$$(gofmt -l . | tee /dev/stderr)"
	go vet ./... && go vet -tags integration ./...
	cd test/stack && go vet ./...

# Benchmarks (test/bench). k9s is built once into ${XDG_CACHE_HOME:-~/.cache}/vigie/bench.
.PHONY: bench-k9s bench-startup
BENCH_ARGS ?=

bench-k9s: ## build k9s v0.50.16 for comparisons (cached; ~6-8 min cold)
	test/bench/k9s.sh

bench-startup: bench-k9s ## vigie vs k9s start time and memory on 5,000 pods (platform up; BENCH_ARGS="--runs 5 --pods 2000")
	test/bench/startup-vs-k9s.sh $(BENCH_ARGS)
