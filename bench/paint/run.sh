#!/usr/bin/env bash
# The paint itself under Xvfb: space key → the first frame on the X server that shows the next
# case's image (bench/paint/paint.py reads the screen back through GetImage), for each case of
# the demo, with the real binary (mouse tracker, no operator console, no audio). Beside
# BenchmarkSpaceToImage (app), which stops at the stage widget swapping its image.
# Usage: bench/paint/run.sh [PRESSES]   (default 10: the demo has 12 cases)
# Environment: PAINT_DISPLAY (an X display number to use; default random in 90–98).
# Needs Xvfb and Debian's python3-xlib (apt-get install -y python3-xlib).
set -euo pipefail
cd "$(dirname "$0")/../.."
PRESSES=${1:-10}
/usr/bin/python3 -c 'import Xlib' 2>/dev/null || { echo "paint: needs python3-xlib (apt-get install -y python3-xlib)" >&2; exit 1; }
make --no-print-directory build >/dev/null
work=$(mktemp -d)
disp=:${PAINT_DISPLAY:-$((90 + RANDOM % 9))}
Xvfb "$disp" -screen 0 1920x1080x24 -nolisten tcp >/dev/null 2>&1 &
xpid=$!
trap 'kill $xpid ${spid:-} 2>/dev/null || true; rm -rf "$work"' EXIT
export DISPLAY=$disp LANG=en_US.UTF-8 FYNE_SCALE=1
for _ in $(seq 100); do [ -S /tmp/.X11-unix/X${disp#:} ] && break; sleep 0.1; done
# Seed 3 opens on a case (as app's e2e test checks); no calibration screens in between.
./bin/sightline demo --study "$work/study" --tracker mouse --operator none --audio none --seed 3 \
  --resume no --calibration-every 0 >"$work/station.log" 2>&1 &
spid=$!
for _ in $(seq 600); do ls -d "$work"/study/sessions/*/cases/* >/dev/null 2>&1 && break; sleep 0.2; done
# No window manager: keys go to the window under the pointer (X's PointerRoot focus).
xdotool mousemove 960 540
echo "paint: load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"
/usr/bin/python3 bench/paint/paint.py "$PRESSES"
echo "paint: load average $(cut -d' ' -f1-3 /proc/loadavg)"
