package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"sightline/reader/reading"
	"sightline/reader/study"
)

// TestConsoleShowsASilentTracker: a tracker that has sent nothing for half a second shows at
// once as no samples and 100% loss in the alarm colour, though the 2 s rolling figures have
// barely moved; one that never sent anything reads 100% at 0 Hz, never "0.0%".
func TestConsoleShowsASilentTracker(t *testing.T) {
	test.NewTempApp(t)
	o := NewOperator(&fakeSource{})
	test.NewTempWindow(t, o.Content())
	for _, tc := range []struct {
		name string
		st   reading.Stats
	}{
		{"stopped mid-case", reading.Stats{Phase: "reading", Index: 1, Total: 5, RecentRate: 45, RecentLoss: 0.25,
			Samples: 900, SinceSample: 600 * time.Millisecond}},
		{"never connected", reading.Stats{Phase: "reading", Index: 1, Total: 5, RecentRate: 0, RecentLoss: 1,
			SinceSample: 20 * time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o.Update(tc.st, nil, AudioStatus{})
			if !strings.HasPrefix(o.lossLbl.Text, "100%") || strings.Contains(o.lossLbl.Text, "0.0%") {
				t.Errorf("data loss line %q", o.lossLbl.Text)
			}
			if o.lossLbl.Color != lossColor(1) {
				t.Errorf("data loss not in the alarm colour")
			}
			if !strings.HasPrefix(o.gazeLbl.Text, "NO SAMPLES for") {
				t.Errorf("gaze line %q", o.gazeLbl.Text)
			}
		})
	}
	o.Update(reading.Stats{Phase: "reading", Index: 1, Total: 5, RecentRate: 60, RecentLoss: 0.01,
		SinceSample: 10 * time.Millisecond}, nil, AudioStatus{})
	if o.lossLbl.Text != "1.0% over the last 2s" || !strings.HasPrefix(o.gazeLbl.Text, "60.0 Hz") {
		t.Errorf("a streaming tracker: %q, %q", o.lossLbl.Text, o.gazeLbl.Text)
	}
	o.Update(reading.Stats{Phase: "calibrating", Waiting: "waiting for the eye tracker to connect"}, nil, AudioStatus{})
	if o.phase.Text != "calibrating · waiting for the eye tracker to connect" {
		t.Errorf("state line %q", o.phase.Text)
	}
}

// TestWaitingLineAndTrackerOptions: the reader's screen says in one line what the station waits
// for; Esc brings the options (retry, skip the device calibration, end), Esc again goes back.
func TestWaitingLineAndTrackerOptions(t *testing.T) {
	v, ctl, w := newReadingWindow(t)
	v.Waiting("waiting for the eye tracker to connect")
	if got := v.WaitingText(); got != "Waiting for the eye tracker to connect · Esc: options" {
		t.Fatalf("waiting line %q", got)
	}
	if v.waitBox.Size().Width == 0 || !v.wait.Visible() {
		t.Fatal("waiting line not laid out")
	}
	press(w, fyne.KeyEscape) // the run answers Pause with TrackerOptions
	if got := strings.Join(ctl.calls, ","); got != "pause" {
		t.Fatalf("Esc while waiting: %s", got)
	}
	v.TrackerOptions("waiting for the eye tracker to connect")
	if v.WaitingText() != "" || !v.CardVisible() {
		t.Fatal("options card not up in place of the waiting line")
	}
	b := buttonsIn(v.card)
	for _, name := range []string{"Retry", "Skip device calibration", "End session"} {
		if b[name] == nil {
			t.Fatalf("options lack %q: %v", name, b)
		}
	}
	ctl.calls = nil
	test.Tap(b["Skip device calibration"])
	test.Tap(b["End session"])
	press(w, fyne.KeyR) // no recalibration key here
	press(w, fyne.KeyEscape)
	if got := strings.Join(ctl.calls, ","); got != "skip,end,resume" {
		t.Fatalf("options calls %s", got)
	}
	v.Waiting("waiting for the eye tracker to connect") // the run's answer to Resume
	if v.CardVisible() || v.WaitingText() == "" {
		t.Fatal("back to waiting: the card is still up, or the line is gone")
	}
	v.Show(caseFrame(2544, 3056))
	if v.WaitingText() != "" {
		t.Fatal("waiting line over a case")
	}
}

// TestCannotCalibrate: a tracker that does not calibrate is said in one sentence, with Skip
// device calibration the highlighted choice (Enter); Esc does not go back to a wait. The report
// that follows names what happened in words, with no error text; its Redo (highlighted) is
// Enter, and A accepts without a mouse.
func TestCannotCalibrate(t *testing.T) {
	v, ctl, w := newReadingWindow(t)
	v.Waiting("starting the eye tracker's calibration")
	v.CannotCalibrate("it showed no calibration point when asked")
	if v.WaitingText() != "" || !v.CardVisible() {
		t.Fatal("the card is not up in place of the waiting line")
	}
	texts := labelsIn(v.card)
	if !strings.Contains(texts, "The eye tracker does not calibrate: it showed no calibration point when asked.") {
		t.Errorf("card says %q", texts)
	}
	b := buttonsIn(v.card)
	for _, name := range []string{"Retry", "Skip device calibration", "End session"} {
		if b[name] == nil {
			t.Fatalf("card lacks %q: %v", name, b)
		}
	}
	ctl.calls = nil
	press(w, fyne.KeyReturn)
	press(w, fyne.KeyEscape)
	if got := strings.Join(ctl.calls, ","); got != "skip,resume" {
		t.Fatalf("Enter, Esc: %s; want skip (the run ignores the resume)", got)
	}

	rep := reading.CheckReport{Round: 1, CalError: reading.ErrNoCalibration.Error() + ": it showed no calibration point within 5s",
		Validation: reading.Validation{AccuracyDeg: 11.2, PrecisionDeg: 0.3, DataLoss: 0.02, Verdict: "redo",
			Points: []reading.PointQuality{{X: 0.3, Y: 0.3, GazeX: 0.5, GazeY: 0.5, N: 40}}}}
	text := CheckText(rep)
	if strings.Contains(text, "5s") || !strings.Contains(text, "The eye tracker did not calibrate: validation only") {
		t.Errorf("report:\n%s", text)
	}
	for _, e := range []string{"opengaze: calibrate: waiting for CALIB_RESULT: context deadline exceeded",
		"skipped by the reader: validation only"} {
		if got := CheckText(reading.CheckReport{CalError: e, Validation: rep.Validation}); strings.Contains(got, e) {
			t.Errorf("report shows the error text %q:\n%s", e, got)
		}
	}
	v.Check(rep)
	ctl.calls = nil
	press(w, fyne.KeyReturn)
	press(w, fyne.KeyA)
	if got := strings.Join(ctl.calls, ","); got != "recalibrate,accept" {
		t.Fatalf("Enter, A on a redo report: %s", got)
	}
	if !strings.Contains(labelsIn(v.card), "A: accept") {
		t.Errorf("the report does not say A accepts: %q", labelsIn(v.card))
	}
}

func labelsIn(o fyne.CanvasObject) string {
	var out []string
	walk(o, func(o fyne.CanvasObject) {
		if l, ok := o.(*widget.Label); ok {
			out = append(out, l.Text)
		}
	})
	return strings.Join(out, "\n")
}

// TestSummaryDiskFull: a session ended by a full disk says so in words on the reader's screen,
// without the failed write's path and error.
func TestSummaryDiskFull(t *testing.T) {
	err := fmt.Errorf("flush session files: write eye_gaze.csv row: %w",
		&os.PathError{Op: "write", Path: filepath.Join(study.CaseDir("/data", "s", "02-x"), "eye_gaze.csv"), Err: syscall.ENOSPC})
	txt := SummaryText(reading.Summary{Status: "ended", Reason: reading.ReasonDiskFull, Screens: 13, Shown: 3, Err: err}, "")
	if !strings.Contains(txt, "Why: disk full") || !strings.Contains(txt, "Recording stopped: the disk is full.") ||
		strings.Contains(txt, "eye_gaze.csv") || strings.Contains(txt, "no space left") {
		t.Errorf("summary:\n%s", txt)
	}
}
