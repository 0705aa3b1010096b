#!/usr/bin/env bash
# cyclo.sh — no function of the module's code (tests left out) is over cyclomatic complexity 15,
# except those listed in scripts/cyclo-exceptions.txt, and none of those may grow. The list only
# shrinks: when a listed function is split or simplified, lower or remove its line (the script
# says which). Complexity is gocyclo's (if, for, case, &&, || each add one), at a fixed version.
# Usage: scripts/cyclo.sh            check (exit 1 naming each new or grown function)
#        scripts/cyclo.sh --list     print today's list in the exceptions file's format
set -euo pipefail
cd "$(dirname "$0")/.."
max=15
list=scripts/cyclo-exceptions.txt
# gocyclo exits 1 when it prints anything; its output is what we judge.
errs=$(mktemp)
found=$(go run github.com/fzipp/gocyclo/cmd/gocyclo@v0.6.0 -over "$max" -ignore '(_test\.go$|^\.|/\.|/testdata/)' . 2>"$errs" || true)
grep -v '^exit status 1$' "$errs" >&2 || true
rm -f "$errs"
# One line per function: COMPLEXITY FOLDER FUNCTION (the folder, not the file:line, so that
# edits elsewhere in a file do not churn the list).
now=$(printf '%s\n' "$found" | awk 'NF >= 4 {
  f = $NF; sub(/:.*/, "", f); n = split(f, p, "/"); d = "."
  if (n > 1) { d = p[1]; for (i = 2; i < n; i++) d = d "/" p[i] }
  print $1, d, $3 }' | sort -k2,2 -k3,3)
if [ "${1:-}" = --list ]; then
  printf '%s\n' "$now"
  exit 0
fi
printf '%s\n' "$now" | awk -v max="$max" -v list="$list" '
  BEGIN {
    while ((getline line < list) > 0) {
      if (line ~ /^#/ || line ~ /^[ \t]*$/) continue
      split(line, f, " "); allowed[f[2] " " f[3]] = f[1]
    }
  }
  NF == 3 {
    key = $2 " " $3; seen[key] = $1
    if (!(key in allowed)) { printf "lint: %s in %s has complexity %d (over %d): split it\n", $3, $2, $1, max; bad = 1 }
    else if ($1 > allowed[key]) { printf "lint: %s in %s grew to complexity %d (listed at %d in %s): split it\n", $3, $2, $1, allowed[key], list; bad = 1 }
  }
  END {
    for (k in allowed) {
      if (!(k in seen)) printf "note: %s is at most %d now: remove its line from %s\n", k, max, list
      else if (seen[k] < allowed[k]) printf "note: %s is down to %d: lower its line in %s to %d\n", k, seen[k], list, seen[k]
    }
    exit bad
  }'
