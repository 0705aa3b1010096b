package qa_test

import (
	"bytes"
	"encoding/csv"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"sightline/reader/qa"
	"sightline/reader/review"
	"sightline/reader/session"
	"sightline/reader/transcribe"
)

// TestWriteCSV: a decided case carries its verdict (its checklist, not the pre-filled one); an
// undecided one the pre-filled checklist; unknown figures are empty, never 0.
func TestWriteCSV(t *testing.T) {
	unknown := qa.Measures{Case: "01-b", Kind: session.KindCase, DicomID: "b", DataLoss: math.NaN(), LongestLoss: -1,
		Problems: []session.Problem{{Kind: session.ProblemRow, File: "cases/01-b/eye_gaze.csv", Line: 5, Message: "row has 4 fields, want 37"},
			{Kind: session.ProblemAudio, Message: "no audio: a gaze-only session"}},
		Audio: qa.AudioMeasure{Expected: true}}
	known := qa.Measures{Case: "00-a", Kind: session.KindCase, DicomID: "a", DataLoss: 0.0125, LongestLoss: 250 * time.Millisecond,
		Duration: 12500 * time.Millisecond, Ended: true, Gate: "pass",
		Audio: qa.AudioMeasure{Expected: true, Present: true, Seconds: 12.75, PeakDB: -6.04, DriftMS: 1.234, HasPeak: true, HasDrift: true, Complete: true},
		Check: &qa.NearestCheck{Report: session.CheckReport{Round: 2, Validation: session.Validation{Verdict: "good", AccuracyDeg: 0.612}}},
		Draft: &transcribe.DraftStats{Words: 40, LowConfidence: 0.25, NoNegation: true, AudioSeconds: 12.75}}
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.FixedZone("CET", 3600))
	latest := review.LatestVerdicts([]review.Verdict{
		{Session: "s1", Case: "00-a", Decision: review.Fail, Reviewer: "ann", At: at},
		{Session: "s1", Case: "00-a", Decision: review.ReRead, Reviewer: "bob", At: at.Add(time.Minute), Note: "mic, \"noisy\"",
			Checklist: review.Checklist{FilesWhole: true}},
		{Session: "s2", Case: "01-b", Decision: review.Pass, Reviewer: "cat", At: at},
	})
	var buf bytes.Buffer
	if err := qa.WriteCSV(&buf, qa.Rows("s1", []qa.Measures{known, unknown}, latest)); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{qa.CSVHeader,
		{"s1", "00-a", "case", "a", "0", "0", "12.500", "1", "pass", "0.0125", "250", "1", "12.750", "-6.0", "1.23", "2", "good", "0.61",
			"1", "0", "0", "0", "0", "", "re-read", "bob", "2026-12-01T09:01:00Z", "mic, \"noisy\"", "0.250", "1"},
		{"s1", "01-b", "case", "b", "0", "0", "0.000", "0", "", "", "", "0", "", "", "", "", "", "",
			"0", "0", "0", "0", "0", "cases/01-b/eye_gaze.csv:5: row has 4 fields, want 37 | no audio: a gaze-only session", "", "", "", "", "", ""},
	}
	for i := range max(len(want), len(recs)) {
		if i >= len(recs) || i >= len(want) || !slices.Equal(recs[i], want[i]) {
			t.Errorf("row %d:\n got %q\nwant %q", i, at2(recs, i), at2(want, i))
		}
	}
}

func at2(r [][]string, i int) []string {
	if i < len(r) {
		return r[i]
	}
	return nil
}

func TestFixationRadius(t *testing.T) {
	for _, tc := range []struct{ s, want float64 }{{-1, 6}, {0, 6}, {0.1, 16.12}, {1, 38}} {
		if got := qa.FixationRadius(tc.s); math.Abs(got-tc.want) > 0.01 {
			t.Errorf("FixationRadius(%v) = %v, want %v", tc.s, got, tc.want)
		}
	}
}

func TestFade(t *testing.T) {
	for _, tc := range []struct {
		i, n int
		want float64
	}{{0, 4, 0.25}, {3, 4, 1}, {9, 4, 1}, {-1, 4, 0.25}, {0, 0, 1}, {0, 1, 1}} {
		if got := qa.Fade(tc.i, tc.n); got != tc.want {
			t.Errorf("Fade(%d, %d) = %v, want %v", tc.i, tc.n, got, tc.want)
		}
	}
}

func TestDraftNotes(t *testing.T) {
	if n := (qa.Measures{}).DraftNotes(); n != nil {
		t.Errorf("no draft: %q", n)
	}
	m := qa.Measures{Draft: &transcribe.DraftStats{Words: 40, LowConfidence: 0.25, NoNegation: true, AudioSeconds: 12.75}}
	n := m.DraftNotes()
	if len(n) != 2 || !strings.Contains(n[0], "25% of its 40 words below confidence 0.5") || !strings.Contains(n[1], "no negation word") || !strings.Contains(n[1], "13 s") {
		t.Errorf("notes %q", n)
	}
}
