package app

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"sightline/internal/notrun"
	"sightline/reader/qa/qatest"
	"sightline/reader/review"
	"sightline/reader/session"
	"sightline/reader/study"
)

// reviewStudy is a study folder with two recorded sessions (one with its dictation, one
// gaze-only) and no worklist: the pictures say the image is not available.
func reviewStudy(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "study")
	qatest.Record(t, study.SessionDir(dir, "s1"), qatest.Session{Reader: "R1", Cases: []qatest.Case{
		{DicomID: session.CalibrationID("s1", 1), Kind: session.KindCalibration, Samples: 30},
		{DicomID: "img-a", Samples: 90, JumpAt: 45, Audio: true, Click: 750 * time.Millisecond},
	}})
	qatest.Record(t, study.SessionDir(dir, "s2"), qatest.Session{Reader: "R2", GazeOnly: true,
		Cases: []qatest.Case{{DicomID: "img-b", Samples: 60}}})
	return dir
}

func TestReviewCommandArgs(t *testing.T) {
	dir := reviewStudy(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{dir, "--video", t.TempDir()}, "--video needs --session ID"},
		{[]string{filepath.Join(dir, "nope"), "--session", "s1"}, "no such file or directory"}, // the window, refused before it opens
		{[]string{filepath.Join(dir, "nope"), "--report", t.TempDir()}, "no such file or directory"},
	} {
		_, _, err := runCommand(t, reviewCommand, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("review %v: %v, want %q", tc.args, err, tc.want)
		}
	}
}

// TestReviewReportCommand: the report reads the verdicts of STUDY/review.db.
func TestReviewReportCommand(t *testing.T) {
	dir := reviewStudy(t)
	ctx := context.Background()
	st, err := review.Open(ctx, dir, review.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddVerdict(ctx, review.Verdict{Session: "s1", Case: "01-img-a", Decision: review.ReRead, Reviewer: "ann", Note: "mic off"}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	out := filepath.Join(t.TempDir(), "qa")
	stdout, stderr, err := runCommand(t, reviewCommand, dir, "--report", out)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if want := "wrote the QA report of 2 session(s), 3 case folder(s)"; !strings.Contains(stdout, want) {
		t.Errorf("stdout %q lacks %q", stdout, want)
	}
	// stderr is not a terminal here: no line redrawn in place with \r (it piled up in logs).
	if strings.Contains(stderr, "\r") || strings.Contains(stderr, "case(s)") {
		t.Errorf("stderr, not a terminal, has a progress line: %q", stderr)
	}
	csv, err := os.ReadFile(filepath.Join(out, "qa.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(csv), ",re-read,ann,") || !strings.Contains(string(csv), "mic off") {
		t.Errorf("qa.csv lacks the verdict:\n%s", csv)
	}
	for _, f := range []string{"index.html", "session-s1.html", "session-s2.html"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	page, _ := os.ReadFile(filepath.Join(out, "session-s1.html"))
	if !strings.Contains(string(page), "image not available") {
		t.Errorf("session-s1.html does not say the image is missing (the study has no worklist)")
	}
}

func TestReviewVideoCommand(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		notrun.Skip(t, "ffmpeg not installed (scripts/deps.sh test installs it)")
	}
	dir := reviewStudy(t)
	out := filepath.Join(t.TempDir(), "videos")
	stdout, stderr, err := runCommand(t, reviewCommand, dir, "--session", "s1", "--video", out)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	files, _ := filepath.Glob(filepath.Join(out, "*"))
	for i := range files {
		files[i] = filepath.Base(files[i])
	}
	if want := []string{"00-" + session.CalibrationID("s1", 1) + ".mp4", "01-img-a.mp4"}; !slices.Equal(files, want) {
		t.Errorf("videos %v, want %v", files, want)
	}
	if !strings.Contains(stdout, "01-img-a.mp4: 1.5 s; image not available:") || !strings.Contains(stdout, "wrote 2 video(s)") ||
		!strings.Contains(stdout, "silent: a calibration screen (no dictation)") {
		t.Errorf("stdout:\n%s", stdout)
	}
	stdout, stderr, err = runCommand(t, reviewCommand, dir, "--session", "s2", "--video", out)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(stdout, "00-img-b.mp4: 1.0 s, silent: gaze-only session") {
		t.Errorf("the gaze-only case's video does not say it is silent:\n%s", stdout)
	}
	_, _, err = runCommand(t, reviewCommand, dir, "--session", "s9", "--video", out)
	if err == nil || !strings.Contains(err.Error(), "video of session s9") {
		t.Errorf("unknown session: %v", err)
	}
}
