package app

import (
	"os"
	"strings"
	"testing"

	"sightline/reader/audio/pulsetest"
	"sightline/reader/demo"
	"sightline/reader/transcribe"
)

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

// TestEnrollWiring: the enrollment screen's commands are the room's (a line recorded and kept
// where `sightline enroll` keeps it), and its Close quits the enrollment and goes back.
func TestEnrollWiring(t *testing.T) {
	srv := pulsetest.Start(t)
	srv.AddSink("enroll_wiring", "Enroll_wiring")
	studyDir := t.TempDir()
	if _, err := demo.Write(studyDir); err != nil {
		t.Fatal(err)
	}
	o := &Options{Audio: "Monitor of Enroll_wiring", AudioBackend: "pulse", audioSet: true, Err: os.Stderr}
	backed := false
	cmd, err := enrollInStation(o, studyDir, "dr w", func() { backed = true })
	if err != nil {
		t.Fatal(err)
	}
	if len(cmd.Script) != len(transcribe.EnrollmentScript()) || cmd.MinLines != transcribe.MinEnrollRecordings {
		t.Fatalf("%d lines, min %d", len(cmd.Script), cmd.MinLines)
	}
	if err := cmd.Start(0); err != nil {
		t.Fatal(err)
	}
	if _, err := cmd.Stop(); err != nil {
		t.Fatal(err)
	}
	if rec, err := cmd.Recorded(); err != nil || len(rec) != 1 {
		t.Errorf("recorded lines %v, %v; want line 1", rec, err)
	}
	cmd.Close()
	if !backed {
		t.Error("Close did not go back to the start screen")
	}
	if err := cmd.Start(1); err == nil {
		t.Error("a line started after Close")
	}
}
