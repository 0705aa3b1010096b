#!/usr/bin/env bash
# The layering rules, checked on what each package really depends on (directly or through
# others), as `go list` resolves it, under every build-tag set the Makefile builds with.
#
# The rules (cite them by number; README "Layout of the code" states them in prose):
#   L1  reader/ and tracker/ never import Fyne (fyne.io/...), their tests included.
#   L2  tracker/ never imports reader/, ui/ or app/, its tests included.
#   L3  reader/ never imports ui/ or app/, its tests included.
#   L4  ui/ never imports app/, its tests included.
#   L5  internal/ (the tests' and tools' kit: childproc, notrun, benchcpu, racy) imports nothing
#       of the project outside internal/, its tests included.
#   The floors of reader/: a package imports only from its own floor or a lower one (its code;
#   a test may reach up for a fixture kit). Every package under reader/ is on a floor (F0 below:
#   a new package fails the lint until it is placed).
#   F1  formats, no reader/ package below them: atomicfile, alsamsg (libasound's messages), dicomimg, stage, wav, transcript,
#       egd (the EGD-CXR row; tracker/ only), playback, and the test servers audio/pulsetest,
#       review/pgtest.
#   F2  a session: session (recorder and read side), audio, reading, replay, and the kit that
#       records one for tests, qa/qatest.
#   F3  the study and what it holds: study (the folder's layout, its sessions included), review
#       (the review store), display (a case's image as the reader saw it, from the prepared
#       study or decoded).
#   F4  tools over studies and sessions: prepare, demo, qa, heatmap, analysis, metrics, bids,
#       reporting, export, qavideo, qareport, boxedit, transcribe (and its internal/genmodel), ownpass, and
#       the test kits that write whole studies: export/exporttest (its sessions are placed
#       through reader/study), demo/demotest and transcribe/transcribetest.
#   So: F1 ↛ F2, F3, F4; F2 ↛ F3, F4 (a session knows no study); F3 ↛ F4 (display ↛ prepare:
#   the images are read where every view takes them, the tool that writes them stands above).
#
# Usage: scripts/layering.sh. TAGSETS: the build-tag sets, ";"-separated, an empty one for no
# tags (default: "migrated_fynedo;migrated_fynedo,e2e;": the build and tests, the e2e tests,
# the e2e binary). TAGS, when set (land.sh), is the one set to check. LAYERING_OVERLAY: a
# `go list -overlay` file (the planted-violation test). Exit 1 on a broken rule, naming the
# rule, the package and the dependency that breaks it.
set -euo pipefail
cd "$(dirname "$0")/.."

F1='atomicfile|alsamsg|dicomimg|stage|wav|transcript|egd|playback|audio/pulsetest|review/pgtest'
F2='session|audio|reading|replay|qa/qatest'
F3='study|review|display'
F4='prepare|demo|demo/demotest|export/exporttest|qa|heatmap|analysis|metrics|reporting|bids|export|qavideo|qareport|boxedit|transcribe|transcribe/internal/genmodel|transcribe/transcribetest|ownpass|enroll'

if [ -n "${TAGS+x}" ]; then
  tagsets=$TAGS
else
  tagsets=${TAGSETS-"migrated_fynedo;migrated_fynedo,e2e;"}
fi
overlay=()
[ -z "${LAYERING_OVERLAY:-}" ] || overlay=(-overlay "$LAYERING_OVERLAY")

# deps TAGS [-test]: "package|its dependencies" for every package of the module (with -test:
# every package as its tests build it; the generated test mains left out).
deps() {
  local tags=$1
  shift
  go list "${overlay[@]}" -tags "$tags" "$@" -f '{{.ImportPath}}|{{join .Deps " "}}' ./... |
    awk -F'|' '{ name = $1; sub(/ \[.*\]$/, "", name); sub(/_test$/, "", name); if (name !~ /\.test$/) print name "|" $2 }'
}

# check RULE FROM TO: every "package|deps" line on stdin whose package matches the extended
# regexp FROM (against the path below sightline/) and depends on packages matching TO breaks
# RULE; prints "RULE: package depends on dep, dep..." (of a module outside ours, the first).
check() {
  awk -F'|' -v rule="$1" -v from="^sightline/($2)$" -v to="^($3)$" '
    $1 ~ from {
      n = split($2, deps, " "); bad = ""
      for (i = 1; i <= n; i++) if (deps[i] ~ to) {
        bad = bad (bad == "" ? "" : ", ") deps[i]
        if (deps[i] !~ /^sightline\//) break
      }
      if (bad != "") print rule ": " $1 " depends on " bad
    }'
}

fail=0
report() { # report TAGS: the broken rules, if any
  local out=$1 tags=$2
  if [ -n "$out" ]; then
    echo "lint: layering broken (tags: ${tags:-none}):"
    sort -u <<<"$out" | sed 's/^/  /'
    fail=1
  fi
}

IFS=';' read -r -a sets <<<"$tagsets"
[ "${tagsets: -1}" = ";" ] && sets+=("") # read drops a trailing empty field
for tags in "${sets[@]}"; do
  withtests=$(deps "$tags" -test)
  code=$(deps "$tags")
  out=$(
    check L1 'reader|reader/.*|tracker|tracker/.*' 'fyne\.io/.*' <<<"$withtests"
    check L2 'tracker|tracker/.*' 'sightline/(reader|ui|app)(/.*)?' <<<"$withtests"
    check L3 'reader|reader/.*' 'sightline/(ui|app)(/.*)?' <<<"$withtests"
    check L4 'ui|ui/.*' 'sightline/app(/.*)?' <<<"$withtests"
    check L5 'internal/.*' 'sightline/(app|ui|reader|tracker|bench)(/.*)?' <<<"$withtests"
    check F1 "reader/($F1)" "sightline/reader/($F2|$F3|$F4)" <<<"$code"
    check F2 "reader/($F2)" "sightline/reader/($F3|$F4)" <<<"$code"
    check F3 "reader/($F3)" "sightline/reader/($F4)" <<<"$code"
    # F0: every package under reader/ is on a floor.
    awk -F'|' -v placed="^sightline/reader/($F1|$F2|$F3|$F4)$" \
      '$1 ~ /^sightline\/reader\// && $1 !~ placed { print "F0: " $1 " is on no floor: place it in scripts/layering.sh" }' <<<"$code"
  )
  report "$out" "$tags"
done
exit $fail
