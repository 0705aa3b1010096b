package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"sightline/reader/reading"
	"sightline/reader/session"
)

// TestOperatorLevelMeter: the console's meter reads in dBFS, is empty at silence (digital
// silence, a quiet room below −60 dBFS, no microphone), and flags a case silent for 5 s.
func TestOperatorLevelMeter(t *testing.T) {
	test.NewTempApp(t)
	o := NewOperator(&fakeSource{})
	w := test.NewTempWindow(t, o.Content())
	w.Resize(fyne.NewSize(1100, 420))
	st := reading.Stats{Phase: "reading", Index: 0, Total: 3, Screen: session.Screen{Kind: session.KindCase, DicomID: "a"}}
	cases := []struct {
		name  string
		a     AudioStatus
		value float64
		text  string
		flag  string
	}{
		{"speech", AudioStatus{Enabled: true, Recording: true, LevelDB: -24.4, Silent: time.Second}, 0.593, "-24 dBFS", ""},
		{"digital silence", AudioStatus{Enabled: true, Recording: true, LevelDB: -120, Silent: 3 * time.Second}, 0, "silence (below -60 dBFS)", ""},
		{"quiet room", AudioStatus{Enabled: true, Recording: true, LevelDB: -63, Silent: 4900 * time.Millisecond}, 0, "silence (below -60 dBFS)", ""},
		{"silent for 5 s", AudioStatus{Enabled: true, Recording: true, LevelDB: -120, Silent: 5 * time.Second}, 0, "silence (below -60 dBFS)", "silent for 5s"},
		{"silent between cases is no case's", AudioStatus{Enabled: true, LevelDB: -120, Silent: 9 * time.Second}, 0, "silence (below -60 dBFS)", ""},
		{"no microphone", AudioStatus{LevelDB: -10}, 0, "no audio", ""},
		{"microphone failed", AudioStatus{Enabled: true, Recording: true, LevelDB: -10, Err: "removed", Silent: 9 * time.Second}, 0, "no audio", ""},
	}
	for _, c := range cases {
		o.Update(st, nil, c.a)
		if v := o.level.Value; v < c.value-0.001 || v > c.value+0.001 {
			t.Errorf("%s: meter at %.3f, want %.3f", c.name, v, c.value)
		}
		if got := o.level.Text(); got != c.text {
			t.Errorf("%s: meter reads %q, want %q", c.name, got, c.text)
		}
		// Visibly empty: no bar drawn at all, only the neutral track (Fyne's ProgressBar
		// tinted its empty track with the primary colour: it read as full).
		objs := test.WidgetRenderer(o.level).Objects()
		track, bar := objs[0].(*canvas.Rectangle), objs[1].(*canvas.Rectangle)
		if bar.Visible() != (c.value > 0) || track.FillColor != theme.Color(theme.ColorNameInputBackground) {
			t.Errorf("%s: bar drawn %v, track %v", c.name, bar.Visible(), track.FillColor)
		}
		if o.silent.Text != c.flag {
			t.Errorf("%s: silence flag %q, want %q", c.name, o.silent.Text, c.flag)
		}
	}
}

func TestSummaryListsSilentCases(t *testing.T) {
	txt := SummaryText(reading.Summary{Status: "complete", Screens: 3, Shown: 3,
		Silent: []reading.Skip{{DicomID: "a", Reason: "audio silent (peak -70 dBFS)", Kind: reading.RereadSilent}}}, "")
	if !strings.Contains(txt, "Silent dictation: 1\n  a: audio silent (peak -70 dBFS)") {
		t.Errorf("summary does not list the silent case:\n%s", txt)
	}
}
