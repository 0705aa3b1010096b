package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"sightline/reader/reading"
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
