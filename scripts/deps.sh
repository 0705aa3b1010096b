#!/usr/bin/env bash
# Installs what Sightline needs to build, run and test on a Debian machine: the Debian packages
# (when run as root; otherwise prints the exact apt-get line and stops) and the Go modules.
# Usage: scripts/deps.sh [run|test]   — "test" adds the real-window, audio and DICOM tooling.
set -euo pipefail
want=${1:-run}

# Fyne/GLFW through cgo. Sound (malgo's miniaudio) needs no headers: it loads PulseAudio's
# client library, else ALSA's, when it opens a device, so only those two libraries are wanted.
pkgs=(gcc libc6-dev pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev
      libxinerama-dev libxi-dev libxxf86vm-dev libpulse0 libasound2)
# `sightline transcribe`: the offline recogniser and its US English acoustic model (the language
# model and dictionary are the project's own, reader/transcribe/model/).
pkgs+=(pocketsphinx pocketsphinx-en-us)
# The demo study's tests check every file with dcmtk; the real-window tests need Xvfb and xdotool.
if [ "$want" = test ]; then
  # dcmtk and GDCM (libgdcm-tools) check and transcode DICOMs; Xvfb, xdotool and ImageMagick run
  # the real window; PulseAudio (null sink), sox and espeak-ng give the audio tests a real path;
  # the review store's tests start a throwaway PostgreSQL server (reader/review/pgtest); the QA
  # videos are encoded and measured with ffmpeg, the QA report is opened in chromium (headless)
  # and its PDF rendered with poppler's pdftoppm; nodejs and npm run the official BIDS validator
  # (npx bids-validator) on a BIDS export; sphinxtrain and sphinxbase-utils adapt the
  # recogniser to a reader's voice (sightline enroll, and the enrolled readers of the WER tests);
  # flite, festival and festvox-kdlpc16k speak make bench-asr's voices made from recordings of
  # people.
  pkgs+=(dcmtk libgdcm-tools xvfb xauth x11-apps xdotool imagemagick pulseaudio pulseaudio-utils
         libasound2-plugins sox espeak-ng python3 postgresql ffmpeg chromium poppler-utils
         sphinxtrain sphinxbase-utils flite festival festvox-kdlpc16k)
  # A machine whose Node.js came from elsewhere (NodeSource's nodejs bundles npm, and Debian's
  # npm conflicts with it) already has npx: Debian's pair only where there is none.
  command -v npx >/dev/null || pkgs+=(nodejs npm)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "deps: missing Debian packages. Run this, then try again:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

# The prepare tests read pydicom's real-world test files: keep Debian's package in .cache/ (it is
# unpacked in the tests' own temp folders, never committed).
if [ "$want" = test ] && ! ls .cache/python3-pydicom_*.deb >/dev/null 2>&1; then
  mkdir -p .cache
  (cd .cache && { apt-get download python3-pydicom >/dev/null 2>&1 ||
    { [ "$(id -u)" = 0 ] && apt-get update -qq && apt-get download python3-pydicom >/dev/null; }; }) ||
    echo "deps: could not fetch python3-pydicom (the prepare tests need it)" >&2
fi

command -v go >/dev/null || { echo "deps: Go is not on PATH (need Go 1.26; /usr/local/go/bin?)" >&2; exit 1; }
go mod download
