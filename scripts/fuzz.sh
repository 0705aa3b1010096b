#!/usr/bin/env bash
# Runs every Go fuzz target in the tree for FUZZTIME (default 30s) each.
set -euo pipefail
t=${FUZZTIME:-30s}
for pkg in $(go list ./...); do
  for f in $(go test -tags migrated_fynedo -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
    echo "== $pkg $f ($t)"
    go test -tags migrated_fynedo -run '^$' -fuzz "^$f\$" -fuzztime "$t" "$pkg"
  done
done
