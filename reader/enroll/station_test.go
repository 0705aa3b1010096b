package enroll

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sightline/internal/notrun"
	"sightline/reader/audio"
	"sightline/reader/audio/pulsetest"
	"sightline/reader/demo"
	"sightline/reader/study"
	"sightline/reader/transcribe"
	"sightline/reader/wav"
)

// TestEnrollStation records a line of the enrollment script through the station's capture
// code from a private PulseAudio server (espeak-ng played into a null sink the station records),
// keeps it where `sightline enroll` keeps recordings, adapts the recogniser to the recorded
// lines, and stops a second adaptation midway as the station's quit does: the first model stays
// whole.
func TestEnrollStation(t *testing.T) {
	for _, p := range []string{"espeak-ng", "paplay"} {
		if _, err := exec.LookPath(p); err != nil {
			notrun.Skip(t, p+" is not installed (scripts/deps.sh test installs it)")
		}
	}
	if _, err := transcribe.FindAdaptTools(); err != nil {
		notrun.Skip(t, err.Error())
	}
	srv := pulsetest.Start(t)
	srv.AddSink("enroll_test", "Enroll_test")
	studyDir := t.TempDir()
	if _, err := demo.Write(studyDir); err != nil {
		t.Fatal(err)
	}
	st, err := Open(studyDir, "dr e", audio.Config{Device: "Monitor of Enroll_test", Backend: "pulse"}, true, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	cmd := st.Lines()
	script := Script()
	if len(script) != len(transcribe.EnrollmentScript()) {
		t.Fatalf("%d lines, want %d", len(script), len(transcribe.EnrollmentScript()))
	}
	speak := func(i int, path string) {
		if out, err := exec.Command("espeak-ng", "-v", "en-us", "-s", "160", "-w", path, script[i]).CombinedOutput(); err != nil {
			t.Fatalf("espeak-ng: %v %s", err, out)
		}
	}
	line1 := filepath.Join(t.TempDir(), "line1.wav")
	speak(0, line1)
	if err := cmd.Start(0); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("paplay", "--device=enroll_test", line1).CombinedOutput(); err != nil {
		t.Fatalf("paplay: %v %s", err, out)
	}
	secs, err := cmd.Stop()
	if err != nil {
		t.Fatal(err)
	}
	enrollDir, _ := study.EnrollmentDir(studyDir, "dr e")
	kept := filepath.Join(enrollDir, "01.wav")
	info, err := wav.Inspect(kept)
	if err != nil || secs < 1 {
		t.Fatalf("line 1: %.2f s recorded, %s: %v", secs, kept, err)
	}
	_, pcm, err := audio.ReadWAV(kept)
	loudest := 0
	for _, v := range pcm {
		loudest = max(loudest, int(v), -int(v))
	}
	if err != nil || loudest < 3000 {
		t.Errorf("line 1 as recorded is silent (peak %d of 32767, %v): %+v", loudest, err, info)
	}
	// A line begun and dropped leaves nothing.
	if err := cmd.Start(1); err != nil {
		t.Fatal(err)
	}
	cmd.Drop()
	if ents, _ := os.ReadDir(enrollDir); len(ents) != 1 {
		t.Errorf("after a dropped line the enrollment folder holds %d files, want 01.wav only", len(ents))
	}
	// The other lines as if read in earlier sittings; then the adaptation.
	for i := 1; i < transcribe.MinEnrollRecordings; i++ {
		speak(i, filepath.Join(enrollDir, fmt.Sprintf("%02d.wav", i+1)))
	}
	rec, err := cmd.Recorded()
	if err != nil || len(rec) != transcribe.MinEnrollRecordings {
		t.Fatalf("recorded lines %v, %v", rec, err)
	}
	msg, err := st.Adapt()
	if err != nil {
		t.Fatal(err)
	}
	acoustic, _ := study.AcousticDir(studyDir, "dr e")
	a, err := transcribe.ReadAdaptation(acoustic)
	if err != nil || a.Recordings != transcribe.MinEnrollRecordings || !strings.Contains(msg, a.ID) {
		t.Fatalf("adapted model %+v (%v); the reader is told %q", a, err, msg)
	}

	// The station quits during a second adaptation: it stops, and the first model stays.
	done := make(chan error, 1)
	go func() {
		_, err := st.Adapt()
		done <- err
	}()
	st.Close() // as the window's Close (and the quit after a signal) does
	if err := <-done; err == nil {
		t.Log("the second adaptation ended before the quit reached it") // nothing to check then
	} else if !errors.Is(err, ErrClosing) && !strings.Contains(err.Error(), "killed") && !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("the adaptation stopped by the quit: %v", err)
	}
	if b, err := transcribe.ReadAdaptation(acoustic); err != nil || b.ID != a.ID && b.Recordings != transcribe.MinEnrollRecordings {
		t.Errorf("after the quit the model is %+v (%v), want the first (%s) or a whole second", b, err, a.ID)
	}
	if err := cmd.Start(2); !errors.Is(err, audio.ErrLinesClosed) {
		t.Errorf("a line started after the quit: %v", err)
	}
	if _, err := os.Stat(acoustic + ".new"); err == nil {
		t.Error("a half-made model folder was left")
	}
}

// TestEnrollOpenNoMicrophone: with no capture device the enrollment says so, and what to do.
func TestEnrollOpenNoMicrophone(t *testing.T) {
	studyDir := t.TempDir()
	if _, err := demo.Write(studyDir); err != nil {
		t.Fatal(err)
	}
	_, err := Open(studyDir, "dr e", audio.Config{Device: "no such microphone", Backend: "null"}, true, os.Stderr)
	if err == nil || !strings.Contains(err.Error(), "microphone") {
		t.Fatalf("enrollment with no microphone: %v", err)
	}
	_, err = Open(studyDir, "dr e", audio.Config{Device: "none"}, true, os.Stderr)
	if err == nil || !strings.Contains(err.Error(), "--audio none") {
		t.Fatalf("enrollment with --audio none: %v", err)
	}
}
