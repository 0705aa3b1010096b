#!/usr/bin/env bash
# make bench-compare: Sightline side by side with the reference pipelines (prepare, heatmap blur,
# export, t-tests), per core and on the whole machine, outputs checked to agree; see compare.py.
#
# Usage: bench/compare/run.sh [prepare heatmap export ttest]   (from anywhere; default: all four)
# Environment:
#   SMALL=1       a quick run (~2 minutes idle): fewer images, rows and pairs, 3 rounds (scipy 3)
#   ROUNDS (5), SCIPY_ROUNDS (3), COPIES (2: prepare's 13 source files, copied), CASES (60) ×
#   SAMPLES (5000) gaze rows for export, PAIRS (10000) for the t-tests
#   BENCH_DIR     keep the generated inputs there between runs (default: a fresh temp folder)
# Installs, as root, what the references need: Debian's python3-scipy python3-pandas
# python3-pydicom python3-numpy python3-opencv python3-pil (pydicom's JPEG baseline) and time.
set -euo pipefail
cd "$(dirname "$0")/../.."
export LANG=en_US.UTF-8 PATH=$PATH:/usr/local/go/bin

if [ -n "${SMALL:-}" ]; then
  : "${ROUNDS:=3}" "${COPIES:=1}" "${CASES:=12}" "${PAIRS:=2000}"
fi
export ROUNDS=${ROUNDS:-5} SCIPY_ROUNDS=${SCIPY_ROUNDS:-3}
COPIES=${COPIES:-2} CASES=${CASES:-60} SAMPLES=${SAMPLES:-5000} PAIRS=${PAIRS:-10000}

PY=/usr/bin/python3 # Debian's, where the python3-* packages go (a pyenv python on PATH lacks them)
pkgs=(python3 python3-scipy python3-pandas python3-pydicom python3-numpy python3-opencv python3-pil time)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "bench-compare: missing Debian packages; run: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "bench-compare: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

WORK=${BENCH_DIR:-$(mktemp -d -t sightline-compare-XXXXXX)}
mkdir -p "$WORK/bin"
echo "bench-compare: building into $WORK/bin"
go build -tags migrated_fynedo -o "$WORK/bin/sightline" .
go build -o "$WORK/bin/compare-helper" ./bench/compare
H=$WORK/bin/compare-helper

# Inputs, generated once per BENCH_DIR and size (a marker names the size).
gen() { # dir marker command…
  local dir=$1 mark=$2
  shift 2
  if [ ! -f "$dir/.done-$mark" ]; then
    rm -rf "$dir" && mkdir -p "$dir"
    "$@" > "$dir/gen.log"
    touch "$dir/.done-$mark"
  fi
}
echo "bench-compare: generating inputs in $WORK"
gen "$WORK/prepare/in" "$COPIES" go run bench/prepare/gen.go -out "$WORK/prepare/in" -copies "$COPIES"
gen "$WORK/heatmap" 1 "$H" heatmap-gen "$WORK/heatmap"
gen "$WORK/export" "$CASES-$SAMPLES" "$H" export-gen "$WORK/export/study" "$CASES" "$SAMPLES"
gen "$WORK/ttest" "$PAIRS" "$H" ttest-gen "$WORK/ttest" "$PAIRS"

exec "$PY" bench/compare/compare.py "$WORK" "$H" "$WORK/bin/sightline" "$@"
