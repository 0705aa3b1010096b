#!/usr/bin/env bash
# A PulseAudio server for the audio tests, on machines without a sound card: a user daemon with a
# null sink "sightline_test" whose monitor is the default source, so that what is played into the
# sink is what a capture of the default source records.
# Usage: scripts/pulse-test.sh start|stop|status
#   start   starts the daemon if none answers (as root too: it warns, and works), loads the null
#           sink if it is missing, and makes it the default sink and its monitor the default source
#   stop    unloads the null sink, and stops the daemon if `start` started it
# Needs the Debian packages pulseaudio and pulseaudio-utils (scripts/deps.sh test installs them).
set -euo pipefail

SINK=sightline_test
STATE="${XDG_RUNTIME_DIR:-/tmp}/sightline-pulse-test.started"

need() {
  command -v "$1" >/dev/null 2>&1 || {
    echo "pulse-test: $1 is missing: install the Debian package $2" >&2
    exit 1
  }
}

# wait_for CMD...: runs CMD until it succeeds, for up to 10 s.
wait_for() {
  for _ in $(seq 100); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

sink_loaded() { pactl list short sinks | awk '{print $2}' | grep -qx "$SINK"; }

start() {
  need pulseaudio pulseaudio
  need pactl pulseaudio-utils
  if ! pactl info >/dev/null 2>&1; then
    # --system=false: a per-user daemon, even as root; --exit-idle-time=-1: it stays up
    # between tests.
    # (As root it warns that it is not meant to run as root; the warnings go to the log.)
    log="${XDG_RUNTIME_DIR:-/tmp}/sightline-pulse-test.log"
    pulseaudio -D --exit-idle-time=-1 --system=false 2>"$log" || {
      cat "$log" >&2
      echo "pulse-test: pulseaudio -D failed" >&2
      exit 1
    }
    wait_for pactl info || { echo "pulse-test: the PulseAudio daemon did not answer within 10 s" >&2; exit 1; }
    touch "$STATE"
  fi
  if ! sink_loaded; then
    pactl load-module module-null-sink sink_name="$SINK" rate=48000 channels=1 \
      sink_properties=device.description=Sightline_test >/dev/null
    wait_for sink_loaded || { echo "pulse-test: null sink $SINK did not appear" >&2; exit 1; }
  fi
  pactl set-default-sink "$SINK"
  pactl set-default-source "$SINK.monitor"
  echo "pulse-test: PulseAudio up; default sink $SINK, default source $SINK.monitor"
}

stop() {
  need pactl pulseaudio-utils
  if pactl info >/dev/null 2>&1; then
    pactl list short modules | awk -v s="sink_name=$SINK" 'index($0, s) {print $1}' |
      while read -r m; do pactl unload-module "$m"; done
    if [ -e "$STATE" ]; then
      pulseaudio -k 2>/dev/null || true
      rm -f "$STATE"
    fi
  fi
  echo "pulse-test: stopped"
}

status() {
  need pactl pulseaudio-utils
  pactl info | grep -E '^(Server Name|Default Sink|Default Source):'
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
