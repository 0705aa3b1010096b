#!/usr/bin/env bash
# Side-by-side benchmark of the heatmap blur (reader/heatmap) against the reference's
# scipy.ndimage.gaussian_filter(σ=150) on one 2544×3056 canvas, on the same impulses, in one run:
# timings of both and the largest difference between their outputs. Then the Go benchmarks.
# Needs Debian's python3-scipy (and python3-matplotlib for the PNG check):
#   apt-get install -y python3-scipy python3-matplotlib
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-/usr/bin/python3}
if ! "$PY" -c 'import scipy, numpy' 2>/dev/null; then
  echo "run.sh: $PY lacks scipy: apt-get install -y python3-scipy" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "== ours (go run ./bench/heatmap)"
go run ./bench/heatmap -out "$work" -reps "${REPS:-10}"
echo "== scipy.ndimage.gaussian_filter(σ=150) on the same impulses, and the difference"
"$PY" bench/heatmap/compare.py "$work" "${SCIPY_REPS:-2}"
echo "== go test -bench (reader/heatmap)"
go test -run '^$' -bench 'Blur$|Static$' -benchtime "${BENCHTIME:-10x}" ./reader/heatmap/
