package app

import (
	"encoding/json"
	"fmt"
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

// A reader enrolls (the script's first 20 lines read by espeak-ng), and transcribe then decodes
// that reader's sessions with the adapted model and everyone else's with the base one, saying
// which in transcript_raw.json.
func TestEnrollCommand(t *testing.T) {
	studyDir := transcribeStudy(t)
	if _, err := transcribe.FindAdaptTools(); err != nil {
		notrun.Skip(t, err.Error())
	}
	stdout, _, err := runCommand(t, enrollCommand, "--script")
	if err != nil || strings.Count(stdout, "\n") != len(transcribe.EnrollmentScript()) || !strings.HasPrefix(stdout, "01 ") {
		t.Fatalf("--script: %v\n%s", err, stdout)
	}
	recDir := t.TempDir()
	for i, words := range transcribe.EnrollmentScript()[:20] {
		p := filepath.Join(recDir, fmt.Sprintf("%02d.wav", i+1))
		if out, err := exec.Command("espeak-ng", "-v", "en-us", "-s", "160", "-w", p, strings.Join(words, " ")).CombinedOutput(); err != nil {
			t.Fatalf("espeak-ng: %v %s", err, out)
		}
	}
	// Too few lines recorded, and a reader who cannot name a folder, are refused.
	few := t.TempDir()
	for _, n := range []string{"01.wav", "02.wav"} {
		b, _ := os.ReadFile(filepath.Join(recDir, n))
		os.WriteFile(filepath.Join(few, n), b, 0o644)
	}
	if _, _, err := runCommand(t, enrollCommand, studyDir, "--reader", "r1", few); err == nil || !strings.Contains(err.Error(), "2 of the 60 script lines recorded") {
		t.Errorf("two recordings: %v", err)
	}
	if _, _, err := runCommand(t, enrollCommand, studyDir, "--reader", "..", recDir); err == nil || !strings.Contains(err.Error(), "cannot name a folder") {
		t.Errorf("reader ..: %v", err)
	}
	bad := t.TempDir()
	for i := range 20 {
		b, _ := os.ReadFile(filepath.Join(recDir, fmt.Sprintf("%02d.wav", i+1)))
		if i == 4 {
			b = []byte("not a wav")
		}
		os.WriteFile(filepath.Join(bad, fmt.Sprintf("%02d.wav", i+1)), b, 0o644)
	}
	if _, _, err := runCommand(t, enrollCommand, studyDir, "--reader", "r1", bad); err == nil || !strings.Contains(err.Error(), "05.wav") {
		t.Errorf("a recording that is not a WAV: %v", err)
	}
	dir, _ := study.EnrollmentDir(studyDir, "r1")
	if _, err := os.Stat(filepath.Join(dir, "01.wav")); err == nil {
		t.Errorf("a refused enrollment left recordings in %s", dir)
	}

	stdout, stderr, err := runCommand(t, enrollCommand, studyDir, "--reader", "r1", recDir)
	if err != nil || !strings.Contains(stdout, "from 20 recorded line(s)") || !strings.Contains(stdout, "(map, ") {
		t.Fatalf("enroll: %v\n%s\n%s", err, stdout, stderr)
	}
	acoustic, _ := study.AcousticDir(studyDir, "r1")
	a, err := transcribe.ReadAdaptation(acoustic)
	if err != nil || a.Reader != "r1" || a.Recordings != 20 || a.Method != transcribe.MethodMAP || len(a.ID) != 12 {
		t.Fatalf("adaptation.json %+v %v", a, err)
	}
	enrollDir, _ := study.EnrollmentDir(studyDir, "r1")
	if ents, _ := os.ReadDir(enrollDir); len(ents) != 20 {
		t.Errorf("%d recordings kept in %s, want 20", len(ents), enrollDir)
	}

	// r2 has not enrolled: the same dictation in r2's session is decoded with the base model.
	spoken := study.CaseDir(studyDir, transcribetest.Spoken, "00-spoken")
	other := study.CaseDir(studyDir, "20261202-020000-r2", "00-spoken")
	b, _ := os.ReadFile(filepath.Join(spoken, "audio.wav"))
	os.WriteFile(filepath.Join(other, "audio.wav"), b, 0o644)
	st, err := session.ReadState(study.SessionDir(studyDir, "20261202-020000-r2"))
	if err != nil {
		t.Fatal(err)
	}
	st.Reader = "r2"
	b, _ = json.Marshal(st)
	os.WriteFile(filepath.Join(study.SessionDir(studyDir, "20261202-020000-r2"), session.StateFile), b, 0o644)
	stdout, stderr, err = runCommand(t, transcribeCommand, studyDir, "--case", "spoken")
	if err != nil || !strings.Contains(stdout, "reader r1: enrolled, decoded with sightline-radiology-") {
		t.Fatalf("transcribe: %v\n%s\n%s", err, stdout, stderr)
	}
	for _, c := range []struct {
		dir     string
		adapted bool
	}{{spoken, true}, {other, false}} {
		raw, err := transcribe.ReadRaw(c.dir)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(raw.Model, "adapted to r1 (map "+a.ID+")"); got != c.adapted || len(raw.Words) < 8 {
			t.Errorf("%s: model %q (%d words), want adapted %v", c.dir, raw.Model, len(raw.Words), c.adapted)
		}
	}
}
