#!/usr/bin/env bash
# Benchmark: `sightline prepare` against a Python reference of the original pipeline
# (reference.py: pydicom + numpy + OpenCV, one process), on the same files, side by side.
#
# Inputs (gen.go): the demo study's twelve phantoms and suyashkumar/dicom's 4.dcm, COPIES
# copies each. Each tool runs ROUNDS times, alternating, on a warm page cache; the table gives
# the median round: images/s (wall clock), CPU seconds per image, and peak RSS from
# /usr/bin/time. It then checks that both wrote the same pads and compares their stages.
#
# Usage: bench/prepare/run.sh            (from anywhere; builds bin/sightline if needed)
# Environment: SIGHTLINE_BIN (a built binary to use), BENCH_DIR (keep inputs there between
# runs), COPIES (4), ROUNDS (3), JOBS (sightline's --jobs; default: the number of CPUs).
# Needs: Go, /usr/bin/time (package time), python3-pydicom python3-numpy python3-opencv
# python3-pil (for the reference's JPEG baseline files).
set -euo pipefail
cd "$(dirname "$0")/../.."
export LANG=en_US.UTF-8 # Fyne complains about the C locale at start-up

PY=/usr/bin/python3 # Debian's, where the python3-* packages are
COPIES=${COPIES:-4}
ROUNDS=${ROUNDS:-3}
JOBS=${JOBS:-$(nproc)}
WORK=${BENCH_DIR:-$(mktemp -d -t sightline-bench-XXXXXX)}
mkdir -p "$WORK"

[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is missing: apt-get install time" >&2; exit 1; }
$PY -c 'import pydicom, numpy, cv2, PIL' 2>/dev/null || {
  echo "bench: the reference needs Debian's python3-pydicom python3-numpy python3-opencv python3-pil" >&2; exit 1; }

BIN=${SIGHTLINE_BIN:-bin/sightline}
if [ -z "${SIGHTLINE_BIN:-}" ] && ! "$BIN" prepare --help >/dev/null 2>&1; then
  echo "bench: building $BIN"
  go build -tags migrated_fynedo -o "$BIN" .
fi
"$BIN" prepare --help >/dev/null 2>&1 || {
  echo "bench: $BIN has no prepare command (app.Command must add prepareCommand)" >&2; exit 1; }

IN=$WORK/in
if [ ! -f "$IN/worklist.csv" ]; then
  go run bench/prepare/gen.go -out "$IN" -copies "$COPIES"
fi
N=$(($(wc -l < "$IN/worklist.csv") - 1))
cat "$IN"/files/*/*.dcm > /dev/null # warm the page cache: both tools read the same bytes

# run NAME OUTDIR CMD… appends "NAME wall user sys maxrss_kb out_kb" to $WORK/times.
run() {
  local name=$1 out=$2
  shift 2
  rm -rf "$out"
  if ! /usr/bin/time -f "%e %U %S %M" -o "$WORK/time.txt" "$@" > "$WORK/$name.log" 2>&1; then
    echo "bench: $name failed:" >&2; tail -n 20 "$WORK/$name.log" >&2; exit 1
  fi
  echo "$name $(cat "$WORK/time.txt") $(du -sk "$out/display" | cut -f1)" >> "$WORK/times"
}

: > "$WORK/times"
echo "bench: $N images, $ROUNDS rounds, load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"
for r in $(seq "$ROUNDS"); do
  run "sightline-jobs$JOBS" "$WORK/ours" "$BIN" prepare --worklist "$IN/worklist.csv" --dicom-root "$IN" \
    --out "$WORK/ours" --seed 1 --jobs "$JOBS"
  if [ "$JOBS" != 1 ]; then
    run sightline-jobs1 "$WORK/ours1" "$BIN" prepare --worklist "$IN/worklist.csv" --dicom-root "$IN" \
      --out "$WORK/ours1" --seed 1 --jobs 1
  fi
  run python-reference "$WORK/py" $PY bench/prepare/reference.py "$IN/worklist.csv" "$IN" "$WORK/py"
done
echo "bench: load average after $(cut -d' ' -f1-3 /proc/loadavg)"

$PY - "$WORK" "$N" <<'EOF'
import csv, os, statistics, sys
import cv2, numpy as np
work, n = sys.argv[1], int(sys.argv[2])
runs = {}
for line in open(os.path.join(work, "times")):
    name, wall, user, sys_, rss, out = line.split()
    runs.setdefault(name, []).append((float(wall), float(user) + float(sys_), int(rss), int(out)))
print()
print(f"| pipeline | images | wall s | images/s | CPU s/image | peak RSS MB | output MB |")
print(f"|---|---|---|---|---|---|---|")
rate = {}
for name, rs in runs.items():
    wall = statistics.median(r[0] for r in rs)
    cpu = statistics.median(r[1] for r in rs)
    rss = max(r[2] for r in rs)
    out = rs[-1][3]
    rate[name] = n / wall
    print(f"| {name} | {n} | {wall:.2f} | {n / wall:.1f} | {cpu / n:.3f} | {rss / 1024:.0f} | {out / 1024:.0f} |")
print("\n(ratios, per core and whole machine, are make bench-compare's: bench/compare/)")

# Same job? The pads must agree exactly; the stages differ only by the resampling filter
# (Catmull-Rom, area-widened, against OpenCV's INTER_AREA).
pads = {r["dicom_id"]: r for r in csv.DictReader(open(os.path.join(work, "py", "pads.csv")))}
cols = ["image_top_pad", "image_bottom_pad", "image_left_pad", "image_right_pad"]
diffs, bad = [], 0
for r in csv.DictReader(open(os.path.join(work, "ours", "master_sheet.csv"))):
    p = pads[r["dicom_id"]]
    bad += any(int(r[c]) != int(p[c]) for c in cols)
    a = cv2.imread(os.path.join(work, "ours", "display", r["dicom_id"] + ".png"), cv2.IMREAD_UNCHANGED).astype(int)
    b = cv2.imread(os.path.join(work, "py", "display", r["dicom_id"] + ".png"), cv2.IMREAD_UNCHANGED).astype(int)
    diffs.append(np.abs(a - b).mean())
print(f"pads: {len(diffs) - bad} of {len(diffs)} images identical; stages differ by mean |Δ| "
      f"{statistics.mean(diffs):.2f} grey levels (max over images {max(diffs):.2f})")
sys.exit(1 if bad else 0)
EOF
