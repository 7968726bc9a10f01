#!/usr/bin/env bash
# Runs every test of vigie: builds and starts the local platform, runs the unit and
# integration tests of both modules with -race, and stops the platform even when a test
# (or the start) fails. The exit status is the first failure's.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

status=0
step() { # step <name> <command...>: run, remember the first failure, keep going
  local name="$1"; shift
  echo "==> $name"
  "$@" || { local rc=$?; echo "==> FAILED: $name (exit $rc)"; [[ $status == 0 ]] && status=$rc; }
}
cleanup() {
  echo "==> stopping the local platform"
  make --no-print-directory stack-down || true
}
trap cleanup EXIT

step "gofmt" bash -c 'out=$(gofmt -l cmd internal test tui views sources keymaps themes platform 2>/dev/null); [[ -z "$out" ]] || { echo "not gofmt-ed: $out"; false; }'
step "go vet" bash -c 'go vet ./... && go vet -tags integration,disruptive ./... && (cd test/stack && go vet ./...)'
# A fresh platform for every run: stop one left running by `make run` first.
make --no-print-directory stack-down >/dev/null 2>&1 || true
step "start the local platform" make --no-print-directory stack-up
step "tests of test/stack (unit)" bash -c 'cd test/stack && go test -race -count=1 ./...'
# One run covers unit and integration tests: integration tests fail, never skip, when the
# platform did not start.
step "tests of vigie (unit + integration)" go test -race -count=1 -tags integration ./...
# Tests that stop a shared server (the kube-apiserver) run alone, after the others.
# The silence test wants the seeded alert firing: it runs before the rollback test, whose
# roll-forward at the end leaves the alert a minute to fire again.
step "disruptive tests (a silence of a seeded alert)" go test -race -count=1 -tags integration,disruptive -run "Silence" ./platform/server/
step "disruptive tests (apiserver stop and restart, rollback of the bad release)" go test -race -count=1 -tags integration,disruptive -run "ApiserverStop|RollbackOfTheBadRelease" ./tui/
exit $status
