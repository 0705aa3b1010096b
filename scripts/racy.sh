#!/usr/bin/env bash
# Prints the packages `make test` runs under the race detector: every package whose code (tests
# aside) starts a goroutine, found by its go statements, so that a new one is raced without
# anyone remembering to add it; and those whose code runs on goroutines others start
# (context.AfterFunc, the tracker's stream callbacks): reader/replay and tracker/.
set -euo pipefail
cd "$(dirname "$0")/.."
{
  grep -rlE '^[[:space:]]+go (func|[A-Za-z_][A-Za-z0-9_.]*)\(' --include='*.go' --exclude='*_test.go' \
    app ui reader tracker | xargs -r -n1 dirname
  printf '%s\n' reader/replay tracker tracker/gazesim tracker/opengaze tracker/quality
} | sort -u | sed 's|^|./|'
