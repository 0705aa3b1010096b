#!/usr/bin/env bash
# The layering rules, checked on what each package really depends on (directly or through
# others, its tests included), as `go list` resolves it:
#   reader/ and tracker/ import no Fyne; tracker/ imports nothing from reader/; ui/ imports
#   nothing from app/.
# Usage: scripts/layering.sh   (TAGS: the build tags, migrated_fynedo by default). Exit 1 on a
# broken rule, naming each package and the dependency that breaks it.
set -euo pipefail
cd "$(dirname "$0")/.."
tags=${TAGS:-migrated_fynedo}
fail=0

# rule PACKAGES REGEXP WHAT: no package matched by PACKAGES (nor its test) depends on an
# import path matching the extended REGEXP.
rule() {
  local pkgs=$1 re=$2 what=$3 out
  # shellcheck disable=SC2086 # PACKAGES is a list of patterns
  out=$(go list -tags "$tags" -test -f '{{.ImportPath}}|{{join .Deps " "}}' $pkgs |
    awk -F'|' -v re="$re" '{
      name = $1
      sub(/ \[.*\]$/, "", name) # a package as its test builds it: the same package
      if (name ~ /\.test$/) next # the generated test main
      n = split($2, deps, " ")
      for (i = 1; i <= n; i++) if (deps[i] ~ re) { print "  " name " depends on " deps[i]; break }
    }' | sort -u)
  if [ -n "$out" ]; then
    echo "lint: $what:"
    echo "$out"
    fail=1
  fi
}

rule "./reader/... ./tracker/..." '^fyne\.io/' "reader/ and tracker/ must not import Fyne"
rule "./tracker/..." '^sightline/reader(/|$)' "tracker/ must not import reader/"
rule "./ui/..." '^sightline/app(/|$)' "ui/ must not import app/"
exit $fail
