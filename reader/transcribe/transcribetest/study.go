// Package transcribetest writes recorded studies with real dictations for the tests of
// transcription: reader/transcribe's batch, and the transcribe and enroll commands.
package transcribetest

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"sightline/internal/notrun"
	"sightline/reader/session"
	"sightline/reader/study"
)

// Dictation is what the spoken case says.
const Dictation = "there is a small left pleural effusion with adjacent atelectasis. the heart is enlarged."

// Sessions are the folder names of Study's two sessions: Spoken's reader is r1, the other's r2.
const (
	Spoken = "20261202-010000-r1"
	Other  = "20261202-020000-r2"
)

// Study writes a study with two sessions: the first (Spoken) has a spoken case 00-spoken (48 kHz
// stereo, as the station records), a silent one 01-silent, one whose WAV a kill cut off
// (02-cut), one without audio (03-gazeonly) and a calibration screen; the second (Other) has
// 00-spoken with no audio. It skips the test without espeak-ng or sox (scripts/deps.sh test
// installs them).
func Study(t testing.TB) string {
	t.Helper()
	for _, p := range []string{"espeak-ng", "sox"} {
		if _, err := exec.LookPath(p); err != nil {
			notrun.Skip(t, p+" is not installed (scripts/deps.sh test installs it)")
		}
	}
	studyDir := t.TempDir()
	Session(t, studyDir, Spoken, "r1", []session.Screen{
		{Index: 0, Kind: session.KindCase, DicomID: "spoken"},
		{Index: 1, Kind: session.KindCase, DicomID: "silent"},
		{Index: 2, Kind: session.KindCase, DicomID: "cut"},
		{Index: 3, Kind: session.KindCase, DicomID: "gazeonly"},
		{Index: 4, Kind: session.KindCalibration, DicomID: "calibration-x-1"},
	})
	Session(t, studyDir, Other, "r1", []session.Screen{{Index: 0, Kind: session.KindCase, DicomID: "spoken"}})
	speech := filepath.Join(t.TempDir(), "s.wav")
	if out, err := exec.Command("espeak-ng", "-v", "en-us", "-s", "160", "-w", speech, Dictation).CombinedOutput(); err != nil {
		t.Fatalf("espeak-ng: %v %s", err, out)
	}
	wav := func(folder string) string { return filepath.Join(study.CaseDir(studyDir, Spoken, folder), "audio.wav") }
	Sox(t, speech, "-r", "48000", "-c", "2", wav("00-spoken"))
	Sox(t, "-n", "-r", "48000", "-c", "1", "-b", "16", wav("01-silent"), "trim", "0", "2")
	cut := wav("02-cut")
	Sox(t, speech, "-r", "48000", "-c", "1", cut)
	// A kill after the header promised more: the header says twice what the file holds.
	b, _ := os.ReadFile(cut)
	binary.LittleEndian.PutUint32(b[40:], uint32(2*(len(b)-44))) // sox writes a 44-byte header
	os.WriteFile(cut, b, 0o644)
	os.WriteFile(wav("04-calibration-x-1"), nil, 0o644)
	return studyDir
}

// Session writes an ended session of reader under studyDir, every screen of plan read, each
// in an empty case folder NN-<dicom_id>; it returns the session's folder.
func Session(t testing.TB, studyDir, id, reader string, plan []session.Screen) string {
	t.Helper()
	dir := study.SessionDir(studyDir, id)
	st := session.State{Status: session.StatusComplete}
	st.SessionID, st.Reader, st.Plan = id, reader, plan
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, s := range plan {
		st.Done = append(st.Done, s.Index)
		if err := os.MkdirAll(study.CaseDir(studyDir, id, fmt.Sprintf("%02d-%s", s.Index, s.DicomID)), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := json.Marshal(st)
	if err := os.WriteFile(filepath.Join(dir, session.StateFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Sox runs sox with its dither seeded (-R: the same file each run).
func Sox(t testing.TB, args ...string) {
	t.Helper()
	if out, err := exec.Command("sox", append([]string{"-R"}, args...)...).CombinedOutput(); err != nil {
		t.Fatalf("sox %v: %v %s", args, err, out)
	}
}
