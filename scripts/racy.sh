#!/usr/bin/env bash
# Prints the packages `make test` runs under the race detector, one ./path a line: every package
# of the module (internal/, bench/ and the root included) whose code or tests start concurrent
# work (go statements, generic ones too; .Go( calls: sync.WaitGroup.Go, errgroup; AfterFunc) or
# guard shared state (sync, sync/atomic), found in the syntax tree by internal/racy, so that a
# new goroutine is raced without anyone remembering to list it.
set -euo pipefail
cd "$(dirname "$0")/.."
exec go run ./internal/racy .
