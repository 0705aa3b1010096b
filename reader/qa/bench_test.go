package qa_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"sightline/reader/qa"
	"sightline/reader/qa/qatest"
	"sightline/reader/study"
)

// bigReplay is a long case in memory: 5,000 fixations of 12 samples at 60 Hz (16.7 minutes),
// 500 phrases and an envelope of its length.
func bigReplay() *qa.Replay {
	r := &qa.Replay{Start: time.Second}
	const fixes, per = 5000, 12
	for i := range fixes * per {
		t := r.Start + time.Duration(i)*time.Second/60
		r.Gaze = append(r.Gaze, qa.Gaze{T: t, X: float64(i%97) / 97, Y: float64(i%89) / 89, Valid: i%50 != 0})
		if i%per == 0 {
			r.Fixations = append(r.Fixations, qa.Fixation{N: i/per + 1, Start: t, End: t + 180*time.Millisecond, X: 0.5, Y: 0.5})
		}
	}
	r.End = r.Gaze[len(r.Gaze)-1].T
	for i := range 500 {
		b := r.Start + time.Duration(i)*2*time.Second
		r.Phrases = append(r.Phrases, qa.Phrase{Text: "word", Begin: b, End: b + time.Second})
	}
	return r
}

// BenchmarkFrame is one replay frame's model work with 5,000 fixations: what is visible at t,
// t moving on by a 60 Hz frame each time (issue 11: < 2 ms).
func BenchmarkFrame(b *testing.B) {
	r := bigReplay()
	t := r.Start
	var sink int
	b.ReportAllocs()
	for b.Loop() {
		f := r.At(t)
		sink += len(f.Fixations) + len(f.Trail) + f.Phrase
		if t += time.Second / 60; t > r.End {
			t = r.Start
		}
	}
	_ = sink
}

// BenchmarkSeek is a seek: the play head moved to a far time and the frame there (issue 11:
// < 50 ms).
func BenchmarkSeek(b *testing.B) {
	r := bigReplay()
	p := qa.NewPlayhead(r.Start, r.End, nil)
	span := r.End - r.Start
	i := 0
	for b.Loop() {
		i = (i*7919 + 104729) % 1000
		p.Seek(r.Start + span*time.Duration(i)/1000)
		_ = r.At(p.Position())
	}
}

// BenchmarkLoad reads a recorded 30-second case with audio (rows, events, the waveform, the
// transcript): what opening a case for replay costs.
func BenchmarkLoad(b *testing.B) {
	s := qatest.Session{ID: "s1", Cases: []qatest.Case{{DicomID: "a", Samples: 1800, Audio: true, Click: time.Second}}}
	dir := qatest.Record(b, study.SessionDir(b.TempDir(), "s1"), s)
	o, _ := openSession(b, dir)
	for b.Loop() {
		if _, err := qa.Load(o, o.Cases[0], qa.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzReadEnvelope: any file reads as an envelope (and as samples) or an error, never a panic.
func FuzzReadEnvelope(f *testing.F) {
	f.Add(qatest.WAV(16000, 1, []int16{0, 100, -30000, 5}))
	f.Add(qatest.WAV(8000, 2, make([]int16, 300))[:100])
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVE"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "a.wav")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		e, err := qa.ReadEnvelope(p)
		if err == nil && (e.Peak < 0 || e.Peak > 1 || int64(len(e.Peaks)) < e.Frames/int64(e.PerPeak)) {
			t.Fatalf("envelope %+v", e)
		}
		rate, ch, pcm, err := qa.ReadPCM(p)
		if err == nil && (rate <= 0 || ch <= 0 || len(pcm)%ch != 0) {
			t.Fatalf("PCM %d Hz %d channels, %d samples", rate, ch, len(pcm))
		}
	})
}
