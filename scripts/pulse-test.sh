#!/usr/bin/env bash
# A PulseAudio server of its own for benchmarks and manual runs, on machines without a sound
# card: a private daemon (its runtime folder, socket and state in DIR) with a null sink
# "sightline_test" (shown as Sightline_test) that is its default sink, and whose monitor is its
# default source. The machine's own sound server, and its default sink and source, are never
# touched. (The Go tests start theirs through reader/audio/pulsetest.)
# Usage:
#   scripts/pulse-test.sh start DIR   starts it and prints the line to point clients at it:
#                                     export PULSE_SERVER=unix:DIR/native PULSE_RUNTIME_PATH=DIR
#   scripts/pulse-test.sh stop DIR    stops it (and removes nothing else)
#   scripts/pulse-test.sh status DIR  its default sink and source
# Needs the Debian packages pulseaudio and pulseaudio-utils (scripts/deps.sh test installs them).
set -euo pipefail

SINK=sightline_test

need() {
  command -v "$1" >/dev/null 2>&1 || {
    echo "pulse-test: $1 is missing: install the Debian package $2" >&2
    exit 1
  }
}

ask() { PULSE_SERVER="unix:$dir/native" PULSE_RUNTIME_PATH="$dir" pactl "$@"; }

start() {
  need pulseaudio pulseaudio
  need pactl pulseaudio-utils
  mkdir -p "$dir"
  if ask info >/dev/null 2>&1; then
    echo "pulse-test: a server already answers in $dir" >&2
    exit 1
  fi
  # -n: no default configuration (no hardware modules, no autospawned helpers); the daemon
  # stays in the foreground of a background shell, so its pid is ours to stop.
  HOME="$dir" XDG_RUNTIME_DIR="$dir" PULSE_RUNTIME_PATH="$dir" setsid pulseaudio -n --daemonize=no \
    --exit-idle-time=-1 --system=false --use-pid-file=no --disable-shm --log-target=stderr \
    "--load=module-native-protocol-unix socket=$dir/native auth-anonymous=1" \
    "--load=module-null-sink sink_name=$SINK rate=48000 channels=1 sink_properties=device.description=Sightline_test" \
    </dev/null >"$dir/log" 2>&1 &
  echo $! >"$dir/pid"
  # Up when it answers (a loaded machine may take seconds): poll, for up to 2 minutes.
  for _ in $(seq 1200); do
    ask info >/dev/null 2>&1 && break
    kill -0 "$(cat "$dir/pid")" 2>/dev/null || { cat "$dir/log" >&2; echo "pulse-test: pulseaudio exited" >&2; exit 1; }
    sleep 0.1
  done
  ask info >/dev/null 2>&1 || { echo "pulse-test: the daemon did not answer within 2 min" >&2; exit 1; }
  ask set-default-sink "$SINK"
  ask set-default-source "$SINK.monitor"
  echo "export PULSE_SERVER=unix:$dir/native PULSE_RUNTIME_PATH=$dir"
}

stop() {
  [ -f "$dir/pid" ] || { echo "pulse-test: no server started in $dir" >&2; exit 1; }
  local pid
  pid=$(cat "$dir/pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$dir/pid" "$dir/native"
  echo "pulse-test: stopped"
}

status() {
  need pactl pulseaudio-utils
  ask info | grep -E '^(Server Name|Default Sink|Default Source):'
}

[ -n "${2:-}" ] || { echo "usage: $0 start|stop|status DIR" >&2; exit 2; }
dir=$(realpath -m "$2")
case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status DIR" >&2; exit 2 ;;
esac
