#!/usr/bin/env bash
# Soak: the station on the simulator at RATE Hz (default 1000) for MINUTES (default 10) with the
# reading view and the operator console up, under Xvfb; the reader presses space through the
# demo. Then: every case's CNT must be continuous (zero lost records), no sample dropped by the
# station, and the UI must have answered every space press (key → next case on disk, timed).
# Usage: bench/soak.sh [MINUTES] [RATE]
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${1:-10}
RATE=${2:-1000}
make --no-print-directory build >/dev/null
work=$(mktemp -d)
disp=:$((90 + RANDOM % 9))
Xvfb "$disp" -screen 0 1920x1080x24 -nolisten tcp >/dev/null 2>&1 &
xpid=$!
trap 'kill $xpid ${spid:-} 2>/dev/null || true; scripts/pulse-test.sh stop "$work/pulse" >/dev/null; rm -rf "$work"' EXIT
export DISPLAY=$disp LANG=en_US.UTF-8 FYNE_SCALE=1
for _ in $(seq 100); do [ -S /tmp/.X11-unix/X${disp#:} ] && break; sleep 0.1; done

# A PulseAudio server of the run's own (the machine's default sink and source untouched); the
# test sink's monitor, named: taken by default, a monitor source is asked about.
eval "$(scripts/pulse-test.sh start "$work/pulse")"
./bin/sightline demo --study "$work/study" --tracker sim --rate "$RATE" --operator window --seed 1 --resume no \
  --audio Sightline_test >"$work/station.log" 2>&1 &
spid=$!
for _ in $(seq 600); do ls "$work"/study/sessions/*/calibrations.jsonl >/dev/null 2>&1 && break; sleep 0.2; done
session=$(ls -d "$work"/study/sessions/*)
xdotool key Return
start=$(date +%s)
screens=13
interval=$(( MINUTES * 60 / screens ))
lat=()
for n in $(seq 2 $screens); do
  sleep "$interval"
  t0=$(date +%s%N)
  xdotool key space
  while [ "$(ls -d "$session"/cases/* 2>/dev/null | grep -vc interrupted)" -lt "$n" ]; do sleep 0.005; done
  lat+=($(( ($(date +%s%N) - t0) / 1000000 )))
done
sleep "$interval"
elapsed=$(( $(date +%s) - start ))
kill -INT $spid; wait $spid 2>/dev/null || true

python3 - "$session" "$RATE" "$elapsed" "${lat[*]}" <<'PY'
import csv, glob, sys, os
session, rate, elapsed, lat = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), [int(x) for x in sys.argv[4].split()]
rows = gaps = 0
span = 0.0
for f in sorted(glob.glob(os.path.join(session, "cases", "*", "eye_gaze.csv"))):
    with open(f, newline="") as fh:
        r = csv.reader(fh); next(r)
        prev = None; first = last = None
        for row in r:
            cnt, t = int(row[3]), float(row[4])
            if prev is not None and cnt != prev + 1:
                gaps += cnt - prev - 1
            prev = cnt; rows += 1
            first = t if first is None else first; last = t
        if first is not None:
            span += last - first
lat.sort()
print(f"soak: {elapsed} s at {rate:.0f} Hz, {rows} samples recorded, effective {rows/span:.1f} Hz over {span:.0f} s of cases,"
      f" lost records {gaps}; space→next case on disk: median {lat[len(lat)//2]} ms, max {lat[-1]} ms ({len(lat)} presses)")
sys.exit(1 if gaps else 0)
PY
if grep -q "gaze buffer full" "$work/station.log"; then echo "soak: the station dropped samples (gaze buffer full)"; exit 1; fi
ps -o rss= -p $$ >/dev/null
