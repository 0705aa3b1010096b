package reading

import (
	"strings"
	"testing"

	"sightline/tracker/quality"
)

func TestAudioGate(t *testing.T) {
	cases := []struct {
		name    string
		a       AudioCheck
		verdict quality.GateVerdict
		reason  string
	}{
		{"good", AudioCheck{Seconds: 4.9, ScreenSeconds: 5, PeakDB: -12}, "pass", ""},
		{"device error", AudioCheck{Seconds: 4.9, ScreenSeconds: 5, PeakDB: -12, Err: "lost"}, "fail", "audio: lost"},
		{"nothing", AudioCheck{ScreenSeconds: 5}, "fail", "no audio recorded"},
		// The microphone removed 1.5 s into a 5 s case: before, this passed.
		{"much shorter than the case", AudioCheck{Seconds: 1.5, ScreenSeconds: 5, PeakDB: -12}, "fail",
			"audio covers 1.5 s of the case's 5.0 s on screen"},
		{"delivery latency at the end", AudioCheck{Seconds: 59.2, ScreenSeconds: 60, PeakDB: -12}, "pass", ""},
		{"silent", AudioCheck{Seconds: 5, ScreenSeconds: 5, PeakDB: -70, Silent: true}, "warn", "audio silent (peak -70 dBFS)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := Quality{Verdict: "pass"}
			AudioGate(&q, c.a)
			if q.Verdict != c.verdict || (c.reason != "" && !strings.Contains(strings.Join(q.Reasons, "; "), c.reason)) {
				t.Errorf("verdict %s %q, want %s %q", q.Verdict, q.Reasons, c.verdict, c.reason)
			}
		})
	}
}
