#!/usr/bin/env bash
# Checks that a test run leaves the machine as it found it: the default PulseAudio server's
# default sink and source (and its sinks), the PostgreSQL clusters, and no process of the run
# still running (a PulseAudio daemon, a PostgreSQL server, an Xvfb, a simulator, a station...).
#
# Usage:
#   scripts/leftovers.sh snapshot FILE   records the machine's state in FILE and prints a tag;
#                                        export it as SIGHTLINE_TEST_RUN for the run
#   scripts/leftovers.sh check FILE      compares the machine with FILE; exit 1, saying what
#                                        changed, when the run left something behind
#
# How a process is known to be the run's: every process the run starts inherits
# SIGHTLINE_TEST_RUN=<tag> in its environment (a daemonized pulseaudio, a postgres started through
# pg_ctl and runuser too); any such process still alive at the check (its own shell and that
# shell's parents aside), after a grace of LEFTOVERS_GRACE seconds (30) for watchdogs that end on
# their own, is left behind. Daemons by name (pulseaudio, postgres, Xvfb, gazesim, sightline)
# that appeared or went without the tag were started or stopped by someone else on this machine:
# they are listed, and fail the check only with LEFTOVERS_STRICT=1 (a machine of its own, as in
# CI). The default sink/source and the clusters are the machine's: a change fails the check.
set -euo pipefail

daemons='^(pulseaudio|postgres|Xvfb|gazesim|sightline|sightline-checked)$'

# pulse_state prints the default PulseAudio server's default sink, default source and sinks, or
# "none" when no server answers. PULSE_SERVER and PULSE_RUNTIME_PATH are dropped (the machine's
# server, not a test's), and autospawn is off: asking must not start a daemon.
pulse_state() {
  if ! command -v pactl >/dev/null 2>&1; then
    echo "pulse: pactl not installed"
    return
  fi
  local conf info
  conf=$(mktemp)
  echo "autospawn = no" >"$conf"
  if info=$(env -u PULSE_SERVER -u PULSE_RUNTIME_PATH PULSE_CLIENTCONFIG="$conf" pactl info 2>/dev/null); then
    grep -E '^Default (Sink|Source):' <<<"$info" | sed 's/^/pulse: /'
    echo "pulse: sinks $(env -u PULSE_SERVER -u PULSE_RUNTIME_PATH PULSE_CLIENTCONFIG="$conf" \
      pactl list short sinks 2>/dev/null | awk '{print $2}' | sort | paste -sd' ')"
  else
    echo "pulse: no server"
  fi
  rm -f "$conf"
}

# pulse_daemon TAG prints "PID ours" or "PID other": the machine's PulseAudio daemon (from the
# pid file beside the socket its clients reach) and whether this run started it; nothing when
# none answers.
pulse_daemon() {
  local conf sock pid
  command -v pactl >/dev/null 2>&1 || return 0
  conf=$(mktemp)
  echo "autospawn = no" >"$conf"
  sock=$(env -u PULSE_SERVER -u PULSE_RUNTIME_PATH PULSE_CLIENTCONFIG="$conf" pactl info 2>/dev/null |
    sed -n 's/^Server String: //p')
  rm -f "$conf"
  pid=$(cat "$(dirname "${sock:-/nonexistent/x}")/pid" 2>/dev/null) || return 0
  if { tr '\0' '\n' <"/proc/$pid/environ"; } 2>/dev/null | grep -qx "SIGHTLINE_TEST_RUN=$1"; then
    echo "$pid ours"
  else
    echo "$pid other"
  fi
}

clusters() {
  if command -v pg_lsclusters >/dev/null 2>&1; then
    pg_lsclusters --no-header 2>/dev/null | awk '{print "postgresql cluster: " $1 " " $2 " port " $3 " " $4}'
  fi
}

# named_daemons prints "pid name" for each running process named like a daemon the tests start.
named_daemons() {
  local p name
  for p in /proc/[0-9]*; do
    name=$(cat "$p/comm" 2>/dev/null) || continue
    if [[ $name =~ $daemons ]]; then echo "${p#/proc/} $name"; fi
  done | sort -n
}

# ancestors prints this (sub)shell's pid and every parent's, init aside (leftovers are its children).
ancestors() {
  local p=$BASHPID
  while [ -n "$p" ] && [ "$p" -gt 1 ]; do
    echo "$p"
    p=$(awk '/^PPid:/ {print $2}' "/proc/$p/status" 2>/dev/null)
  done
}

# tagged TAG prints "pid command line" for each process carrying SIGHTLINE_TEST_RUN=TAG, but
# for this shell's line of parents and their children (this script's own pipelines; a leftover
# daemon has been handed to init).
tagged() {
  local tag=$1 p pid skip
  skip=" $(ancestors | paste -sd' ') "
  for p in /proc/[0-9]*; do
    pid=${p#/proc/}
    [[ $skip == *" $pid "* ]] && continue
    { tr '\0' '\n' <"$p/environ"; } 2>/dev/null | grep -qx "SIGHTLINE_TEST_RUN=$tag" || continue
    [[ $skip == *" $(awk '/^PPid:/ {print $2}' "$p/status" 2>/dev/null) "* ]] && continue
    echo "$pid $({ tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | cut -c1-200)"
  done
  return 0
}

state() {
  pulse_state
  clusters
}

snapshot() {
  local file=$1 tag
  tag="$(date +%s)-$$-$RANDOM"
  {
    echo "tag $tag"
    state | sed 's/^/state /'
    named_daemons | sed 's/^/daemon /'
  } >"$file"
  echo "$tag"
}

check() {
  local file=$1 fail=0 tag left before after
  tag=$(awk '$1 == "tag" {print $2}' "$file")
  [ -n "$tag" ] || { echo "leftovers: $file holds no snapshot" >&2; exit 2; }

  # Processes of the run: wait for them to end (the PostgreSQL watchdog polls once a second).
  local grace=${LEFTOVERS_GRACE:-30} waited=0
  while left=$(tagged "$tag") && [ -n "$left" ] && [ "$waited" -lt "$((grace * 10))" ]; do
    sleep 0.1
    waited=$((waited + 1))
  done
  if [ -n "$left" ]; then
    echo "leftovers: processes this test run started are still running ${grace} s after it ended:"
    sed 's/^/  /' <<<"$left"
    fail=1
  fi

  before=$(sed -n 's/^state //p' "$file")
  after=$(state)
  if [ "$before" != "$after" ]; then
    local owner whose=1
    owner=$(pulse_daemon "$tag")
    # A PulseAudio daemon that was not there before and is not this run's was started by
    # another user of the machine (its tests, its desktop): listed, failing only when strict.
    if [ "$(grep -v '^pulse:' <<<"$before")" = "$(grep -v '^pulse:' <<<"$after")" ] &&
      grep -qx 'pulse: no server' <<<"$before" && [ "${owner#* }" = other ]; then
      whose=0
      echo "leftovers: a PulseAudio daemon not this run's (pid ${owner% *}, no tag) appeared during the run:"
    else
      echo "leftovers: the machine's audio or database state changed during the run:"
    fi
    { diff <(echo "$before") <(echo "$after") || true; } | sed -n 's/^</  before:/p; s/^>/  after: /p'
    if [ $whose = 1 ] || [ "${LEFTOVERS_STRICT:-0}" = 1 ]; then
      fail=1
    fi
  fi

  local was now appeared gone
  was=$(sed -n 's/^daemon //p' "$file")
  now=$(named_daemons)
  appeared=$(comm -13 <(sort <<<"$was") <(sort <<<"$now") | sed '/^$/d')
  gone=$(comm -23 <(sort <<<"$was") <(sort <<<"$now") | sed '/^$/d')
  if [ -n "$appeared$gone" ]; then
    local how="not this run's (no tag): another user of the machine"
    [ "${LEFTOVERS_STRICT:-0}" = 1 ] && how="LEFTOVERS_STRICT=1: the machine is the run's alone" && fail=1
    echo "leftovers: daemons that appeared or went during the run ($how):"
    [ -z "$appeared" ] || sed 's/^/  appeared: /' <<<"$appeared"
    [ -z "$gone" ] || sed 's/^/  gone:     /' <<<"$gone"
  fi
  if [ $fail = 0 ]; then
    echo "leftovers: this run left nothing behind (default sink/source, PostgreSQL clusters and its processes as before)"
  fi
  return $fail
}

case "${1:-}" in
  snapshot) [ -n "${2:-}" ] || { echo "usage: $0 snapshot FILE" >&2; exit 2; }; snapshot "$2" ;;
  check) [ -n "${2:-}" ] || { echo "usage: $0 check FILE" >&2; exit 2; }; check "$2" ;;
  *) echo "usage: $0 snapshot|check FILE" >&2; exit 2 ;;
esac
