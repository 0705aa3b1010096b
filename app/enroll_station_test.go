package app

import (
	"os"
	"strings"
	"testing"

	"sightline/reader/demo"
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
