package app

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sightline/internal/notrun"
	"sightline/reader/session"
	"sightline/reader/study"
	"sightline/reader/transcribe"
	"sightline/reader/transcribe/transcribetest"
)

// transcribeStudy is transcribetest.Study, skipped without the recogniser.
func transcribeStudy(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath(transcribe.SphinxBin); err != nil {
		notrun.Skip(t, transcribe.SphinxBin+" is not installed (scripts/deps.sh test installs it)")
	}
	return transcribetest.Study(t)
}

// TestTranscribeCommand: the command prints the run's engine, a line per case (a failed one on
// stderr) and the tally, and fails when a case could not be transcribed. The batch itself is
// reader/transcribe's (batch_test.go).
func TestTranscribeCommand(t *testing.T) {
	studyDir := transcribeStudy(t)
	stdout, stderr, err := runCommand(t, transcribeCommand, studyDir, "--case", "gazeonly")
	if err != nil {
		t.Fatalf("%v\n%s\n%s", err, stdout, stderr)
	}
	want := "transcribing 1 case(s) with pocketsphinx (sightline-radiology-"
	if !strings.HasPrefix(stdout, want) || !strings.Contains(stdout, ")\n[1/1] 20261202-010000-r1/03-gazeonly: no audio: no audio.wav (a gaze-only session or case)\ndone: 1 no audio\n") {
		t.Errorf("output:\n%s", stdout)
	}
	// A recogniser that crashes: the case on stderr, the command fails counting it.
	bin := t.TempDir()
	os.WriteFile(filepath.Join(bin, transcribe.SphinxBin), []byte("#!/bin/sh\necho 'segfault in ngram_search' >&2\nkill -SEGV $$\n"), 0o755)
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
	stdout, stderr, err = runCommand(t, transcribeCommand, studyDir, "--session", transcribetest.Spoken, "--case", "spoken")
	if err == nil || err.Error() != "1 of 1 case(s) could not be transcribed (named above)" {
		t.Errorf("err %v", err)
	}
	if !strings.HasPrefix(stderr, "[1/1] 20261202-010000-r1/00-spoken: failed: ") || !strings.Contains(stderr, "segfault in ngram_search") || !strings.Contains(stdout, "\ndone: 1 failed\n") {
		t.Errorf("crash:\n%s\n%s", stdout, stderr)
	}
}

// TestTranscribeNotInstalled: without pocketsphinx, transcribe says what to install.
func TestTranscribeNotInstalled(t *testing.T) {
	studyDir := t.TempDir()
	os.MkdirAll(study.CaseDir(studyDir, "s", "00-a"), 0o755)
	st := session.State{Status: session.StatusComplete}
	st.Plan = []session.Screen{{Index: 0, Kind: session.KindCase, DicomID: "a"}}
	b, _ := json.Marshal(st)
	os.WriteFile(filepath.Join(study.SessionDir(studyDir, "s"), session.StateFile), b, 0o644)
	t.Setenv("PATH", t.TempDir())
	_, _, err := runCommand(t, transcribeCommand, studyDir)
	if err == nil || err.Error() != "pocketsphinx is not installed: apt-get install pocketsphinx pocketsphinx-en-us (or run scripts/deps.sh)" {
		t.Errorf("err %v", err)
	}
}
