package app

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

// TestEnrollInStation records a line of the enrollment script through the station's capture
// code from a private PulseAudio server (espeak-ng played into a null sink the station records),
// keeps it where `sightline enroll` keeps recordings, adapts the recogniser to the recorded
// lines, and stops a second adaptation midway as the station's quit does: the first model stays
// whole.
func TestEnrollInStation(t *testing.T) {
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
	o := &Options{Audio: "Monitor of Enroll_test", AudioBackend: "pulse", audioSet: true, Err: os.Stderr}
	backed := false
	cmd, err := enrollInStation(o, studyDir, "dr e", func() { backed = true })
	if err != nil {
		t.Fatal(err)
	}
	script := transcribe.EnrollmentScript()
	if len(cmd.Script) != len(script) || cmd.MinLines != transcribe.MinEnrollRecordings {
		t.Fatalf("%d lines, min %d", len(cmd.Script), cmd.MinLines)
	}
	speak := func(i int, path string) {
		if out, err := exec.Command("espeak-ng", "-v", "en-us", "-s", "160", "-w", path, cmd.Script[i]).CombinedOutput(); err != nil {
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
	cmd.Cancel()
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
	msg, err := cmd.Adapt()
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
		_, err := cmd.Adapt()
		done <- err
	}()
	cmd.Close() // as the window's Close (and the quit after a signal) does
	if err := <-done; err == nil {
		t.Log("the second adaptation ended before the quit reached it") // nothing to check then
	} else if !errors.Is(err, errEnrollClosing) && !strings.Contains(err.Error(), "killed") && !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("the adaptation stopped by the quit: %v", err)
	}
	if b, err := transcribe.ReadAdaptation(acoustic); err != nil || b.ID != a.ID && b.Recordings != transcribe.MinEnrollRecordings {
		t.Errorf("after the quit the model is %+v (%v), want the first (%s) or a whole second", b, err, a.ID)
	}
	if !backed {
		t.Error("Close did not go back to the start screen")
	}
	if _, err := os.Stat(acoustic + ".new"); err == nil {
		t.Error("a half-made model folder was left")
	}
}

// TestEnrollNoMicrophone: with no capture device the station says so, and what to do.
func TestEnrollNoMicrophone(t *testing.T) {
	studyDir := t.TempDir()
	if _, err := demo.Write(studyDir); err != nil {
		t.Fatal(err)
	}
	o := &Options{Audio: "no such microphone", AudioBackend: "null", audioSet: true, Err: os.Stderr}
	_, err := enrollInStation(o, studyDir, "dr e", func() {})
	if err == nil || !strings.Contains(err.Error(), "microphone") {
		t.Fatalf("enrollment with no microphone: %v", err)
	}
	t.Log(err)
}
