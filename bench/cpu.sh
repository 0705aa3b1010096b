#!/usr/bin/env bash
# CPU of the whole station while recording: the simulator runs as its own process at RATE Hz
# (default 150, a GP3 HD), the station reads from it over loopback with audio through PulseAudio
# (null sink), the reading view and the operator console up, for SECONDS (default 120) of
# reading. Prints the station's CPU use (utime+stime from /proc) as % of one core, the audio
# overruns and the lost gaze records.
# Usage: bench/cpu.sh [SECONDS] [RATE] [window|none]  (the operator console)
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-120}
RATE=${2:-150}
OPERATOR=${3:-window}
make --no-print-directory build >/dev/null
work=$(mktemp -d)
# A PulseAudio server of the run's own (the machine's default sink and source untouched).
eval "$(scripts/pulse-test.sh start "$work/pulse")"
disp=:$((80 + RANDOM % 9))
port=$((20000 + RANDOM % 20000))
Xvfb "$disp" -screen 0 1920x1080x24 -nolisten tcp >/dev/null 2>&1 &
xpid=$!
./bin/sightline gazesim --listen 127.0.0.1:$port --rate "$RATE" --seed 1 >/dev/null 2>&1 &
simpid=$!
trap 'kill $xpid $simpid ${spid:-} 2>/dev/null || true; scripts/pulse-test.sh stop "$work/pulse" >/dev/null; rm -rf "$work"' EXIT
export DISPLAY=$disp LANG=en_US.UTF-8 FYNE_SCALE=1
for _ in $(seq 100); do [ -S /tmp/.X11-unix/X${disp#:} ] && break; sleep 0.1; done
./bin/sightline demo --study "$work/study" --tracker opengaze://127.0.0.1:$port --operator "$OPERATOR" --seed 1 --resume no \
  --audio Sightline_test \
  >"$work/station.log" 2>&1 &
spid=$!
for _ in $(seq 600); do ls "$work"/study/sessions/*/calibrations.jsonl >/dev/null 2>&1 && break; sleep 0.2; done
xdotool key Return
sleep 3
ticks() { awk '{print $14 + $15}' /proc/$spid/stat; }
hz=$(getconf CLK_TCK)
t0=$(ticks); s0=$(date +%s.%N)
sleep "$SECS"
t1=$(ticks); s1=$(date +%s.%N)
xdotool key space; sleep 2
kill -INT $spid; wait $spid 2>/dev/null || true
python3 - "$work" "$t0" "$t1" "$s0" "$s1" "$hz" <<'PY'
import glob, json, os, sys, csv
work, t0, t1, s0, s1, hz = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
cpu = (t1 - t0) / hz / (s1 - s0) * 100
over = 0; gaps = 0; rows = 0
for a in glob.glob(os.path.join(work, "study/sessions/*/cases/*/audio.json")):
    over += json.load(open(a)).get("overruns", 0)
for f in glob.glob(os.path.join(work, "study/sessions/*/cases/*/eye_gaze.csv")):
    prev = None
    for row in list(csv.reader(open(f)))[1:]:
        c = int(row[3]); rows += 1
        if prev is not None and c != prev + 1: gaps += c - prev - 1
        prev = c
print(f"cpu: station {cpu:.1f}% of one core over {s1-s0:.0f} s (simulator in its own process); "
      f"{rows} gaze rows, lost records {gaps}, audio overruns {over}")
PY
