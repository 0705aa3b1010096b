package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"sightline/reader/reading"
	"sightline/tracker/quality"
)

// TestEnterTriggersHighlightedButton: on every card the reader can meet, Enter does exactly
// what the blue (HighImportance) button does, and that button is the one the card recommends.
func TestEnterTriggersHighlightedButton(t *testing.T) {
	report := func(verdict quality.ValidationVerdict) reading.CheckReport {
		return reading.CheckReport{Round: 1, Validation: reading.Validation{AccuracyDeg: 0.8, Verdict: verdict,
			Points: []reading.PointQuality{{X: 0.3, Y: 0.3, GazeX: 0.31, GazeY: 0.3, N: 40}}}}
	}
	cards := []struct {
		name string
		show func(v *Reading)
		top  func(v *Reading) fyne.CanvasObject
		want string // the call the highlighted button makes
	}{
		{"report good", func(v *Reading) { v.Check(report("good")) }, func(v *Reading) fyne.CanvasObject { return v.card }, "accept"},
		{"report acceptable", func(v *Reading) { v.Check(report("acceptable")) }, func(v *Reading) fyne.CanvasObject { return v.card }, "accept"},
		{"report redo recommended", func(v *Reading) { v.Check(report("redo")) }, func(v *Reading) fyne.CanvasObject { return v.card }, "recalibrate"},
		{"report failed (no samples)", func(v *Reading) { v.Check(failedReport()) }, func(v *Reading) fyne.CanvasObject { return v.card }, "recalibrate"},
		{"tracker options", func(v *Reading) { v.TrackerOptions("waiting for the eye tracker to connect") },
			func(v *Reading) fyne.CanvasObject { return v.card }, "recalibrate"},
		{"recalibration prompt", func(v *Reading) { v.Prompt() }, func(v *Reading) fyne.CanvasObject { return v.card }, "recalibrate"},
		{"re-read offer", func(v *Reading) { v.Offer([]reading.Skip{{DicomID: "x", Reason: "data loss 20%"}}) },
			func(v *Reading) fyne.CanvasObject { return v.card }, "accept"},
		{"pause overlay", func(v *Reading) { v.Show(caseFrame(2544, 3056)); v.SetPaused(true) },
			func(v *Reading) fyne.CanvasObject { return v.pause }, "resume"},
		{"pause over a report", func(v *Reading) { v.Check(report("redo")); v.SetPaused(true) },
			func(v *Reading) fyne.CanvasObject { return v.pause }, "resume"},
	}
	for _, c := range cards {
		t.Run(c.name, func(t *testing.T) {
			v, ctl, w := newReadingWindow(t)
			c.show(v)
			var high []*widget.Button
			walk(c.top(v), func(o fyne.CanvasObject) {
				if b, ok := o.(*widget.Button); ok && b.Importance == widget.HighImportance {
					high = append(high, b)
				}
			})
			if len(high) != 1 {
				t.Fatalf("%d highlighted buttons on the card, want 1", len(high))
			}
			test.Tap(high[0])
			tapped := strings.Join(ctl.calls, ",")
			if tapped != c.want {
				t.Fatalf("the highlighted button %q does %q, want %q", high[0].Text, tapped, c.want)
			}
			ctl.calls = nil
			press(w, fyne.KeyReturn)
			press(w, fyne.KeyEnter)
			if got := strings.Join(ctl.calls, ","); got != tapped+","+tapped {
				t.Fatalf("Return, Enter do %q; the highlighted button %q does %q", got, high[0].Text, tapped)
			}
		})
	}
}

// TestEnterWithoutCardDoesNothing: on a case, Enter is not a reading key.
func TestEnterWithoutCardDoesNothing(t *testing.T) {
	v, ctl, w := newReadingWindow(t)
	v.Show(caseFrame(2544, 3056))
	press(w, fyne.KeyReturn)
	if len(ctl.calls) != 0 {
		t.Fatalf("Enter on a case: calls %v", ctl.calls)
	}
}

func failedReport() reading.CheckReport {
	return reading.CheckReport{Round: 1, CalError: "calibrate: the tracker did not connect within 15s",
		Validation: reading.Validation{AccuracyDeg: -1, PrecisionDeg: -1, DataLoss: 1, Verdict: reading.VerdictFailed,
			Reasons: []string{"no gaze samples: the tracker sent none"},
			Points:  []reading.PointQuality{{X: 0.3, Y: 0.3, AccuracyDeg: -1, PrecisionDeg: -1, DataLoss: 1}}}}
}

// TestFailedReportOffersNoAccept: a validation that measured nothing shows no accuracy (no
// "-1.00°") and no Accept: redo, or end the session.
func TestFailedReportOffersNoAccept(t *testing.T) {
	v, ctl, w := newReadingWindow(t)
	v.Check(failedReport())
	b := buttonsIn(v.card)
	if b["Accept"] != nil || b["Redo calibration"] == nil || b["End session"] == nil {
		t.Fatalf("failed report buttons: %v", b)
	}
	var text string
	walk(v.card, func(o fyne.CanvasObject) {
		if l, ok := o.(*widget.Label); ok {
			text += l.Text + "\n"
		}
	})
	if strings.Contains(text, "-1") || strings.Contains(text, "−1") || !strings.Contains(text, "Validation failed: no gaze samples") {
		t.Fatalf("failed report text:\n%s", text)
	}
	test.Tap(b["End session"])
	press(w, fyne.KeyReturn)
	if got := strings.Join(ctl.calls, ","); got != "end,recalibrate" {
		t.Fatalf("calls %s", got)
	}
}
