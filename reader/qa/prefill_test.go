package qa_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sightline/reader/qa"
	"sightline/reader/qa/qatest"
	"sightline/reader/review"
	"sightline/reader/session"
	"sightline/reader/study"
)

// TestPrefillMeasured: each checklist item is ticked from a measurement or shown as not
// measured: a WAV without its RIFF header or cut to a third is not "audio present and not
// silent", and a calibration screen, which records no audio, has its audio not measured.
func TestPrefillMeasured(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spoil func(caseDir string)
		i     int // the case of threeCases+one measured
		audio qa.ItemMark
	}{
		{"whole WAV", nil, 3, qa.Met},
		{"calibration screen", nil, 0, qa.Unmeasured},
		{"no RIFF header", func(d string) {
			p := filepath.Join(d, session.AudioFile)
			b, _ := os.ReadFile(p)
			copy(b, "this is not a RIFF header at all........")
			os.WriteFile(p, b, 0o644)
		}, 3, qa.Unmet},
		{"cut to a third", func(d string) {
			p := filepath.Join(d, session.AudioFile)
			st, _ := os.Stat(p)
			os.Truncate(p, st.Size()/3)
		}, 3, qa.Unmet},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := threeCases()
			s.Cases = append(s.Cases, qatest.Case{DicomID: "c", Samples: 120, Audio: true, Click: time.Second})
			dir := qatest.Record(t, study.SessionDir(t.TempDir(), "s1"), s)
			if tc.spoil != nil {
				tc.spoil(filepath.Join(dir, "cases", "03-c"))
			}
			o, err := session.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			c := o.Cases[tc.i]
			for _, loaded := range []bool{false, true} {
				m := qa.Measure(o, c)
				if loaded {
					r, err := qa.Load(o, c, qa.Options{})
					if err != nil {
						t.Fatal(err)
					}
					m.Add(r)
				}
				p := m.Prefill()
				if p[qa.ItemAudio] != tc.audio {
					t.Errorf("loaded %v: audio %v, want %v (problems %v)", loaded, p[qa.ItemAudio], tc.audio, m.Problems)
				}
				if cl := m.Checklist(); cl.AudioOK != (tc.audio == qa.Met) {
					t.Errorf("loaded %v: checklist AudioOK %v", loaded, cl.AudioOK)
				}
				// One fault, one line: a problem found both by Open and by Load is said once.
				seen := map[string]bool{}
				for _, f := range m.Findings() {
					if seen[f] {
						t.Errorf("loaded %v: %q listed twice in %q", loaded, f, m.Findings())
					}
					seen[f] = true
				}
				if m.Faults() != len(m.Findings()) {
					t.Errorf("%d faults, %d lines", m.Faults(), len(m.Findings()))
				}
				if tc.audio == qa.Unmet && !strings.Contains(strings.Join(m.Findings(), "\n"), "audio.wav") {
					t.Errorf("loaded %v: findings %q do not name audio.wav", loaded, m.Findings())
				}
			}
		})
	}
}

// TestGarbageTranscriptIsAFault: a transcript.json that does not read is a fault of the case
// before the case is loaded (the table's ⚠ counts it, as the report does).
func TestGarbageTranscriptIsAFault(t *testing.T) {
	s := threeCases()
	dir := qatest.Record(t, study.SessionDir(t.TempDir(), "s1"), s)
	p := filepath.Join(dir, "cases", "01-a", session.TranscriptFile)
	if err := os.WriteFile(p, []byte("{garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	o, err := session.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := qa.Measure(o, o.Cases[1])
	if !strings.Contains(strings.Join(m.Findings(), "\n"), "transcript.json") {
		t.Fatalf("findings %q do not name the transcript", m.Findings())
	}
	r, err := qa.Load(o, o.Cases[1], qa.Options{})
	if err != nil {
		t.Fatal(err)
	}
	before := m.Faults()
	m.Add(r)
	if m.Faults() != before {
		t.Fatalf("loading adds the transcript's fault again: %q", m.Findings())
	}
}

// TestOrderAndProgress: a case sent back by its verdict comes first; progress counts every
// case folder the table lists.
func TestOrderAndProgress(t *testing.T) {
	dir := qatest.Record(t, study.SessionDir(t.TempDir(), "s1"), threeCases())
	o, err := session.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ms := qa.MeasureSession(o)
	latest := map[review.CaseKey]review.Verdict{
		{Session: "s1", Case: ms[1].Case}: {Decision: review.Fail},
		{Session: "s1", Case: ms[0].Case}: {Decision: review.Pass},
	}
	order := qa.Order("s1", ms, latest)
	if order[0] != 1 {
		t.Fatalf("order %v: the failed case 1 is not first", order)
	}
	if p := qa.SessionProgress(o, "s1", latest); p != (qa.Progress{Cases: 3, Decided: 2, Failed: 1}) {
		t.Fatalf("progress %+v", p)
	}
}
