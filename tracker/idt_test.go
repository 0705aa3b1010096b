package tracker

import (
	"fmt"
	"math"
	"math/rand"
	"reflect"
	"testing"
	"time"
)

// trace builds a synthetic gaze recording on a fixed sample clock.
type trace struct {
	rate    float64
	v       Viewing
	rng     *rand.Rand
	samples []Sample
	x, y    float64 // current true gaze position, stage fractions
}

func newTrace(rate float64, seed int64) *trace {
	return &trace{rate: rate, v: PaperViewing(), rng: rand.New(rand.NewSource(seed)), x: 0.5, y: 0.5}
}

// deg converts a position in degrees from the screen centre (small-angle) to stage fractions.
func (tr *trace) deg(dx, dy float64) (fx, fy float64) {
	ppd := tr.v.PixelsPerDegree()
	return 0.5 + dx*ppd/float64(tr.v.WidthPx), 0.5 + dy*ppd/float64(tr.v.HeightPx)
}

// add appends one sample at (x, y) plus Gaussian jitter of sigmaDeg per axis.
func (tr *trace) add(x, y, sigmaDeg float64, valid bool) Sample {
	k := len(tr.samples)
	sx, sy := tr.v.DegreesToFraction(sigmaDeg)
	// The device clock ticks at the rate with a little jitter, as a real one does.
	ts := 12.5 + float64(k)/tr.rate + (tr.rng.Float64()-0.5)*0.0002
	s := Sample{Host: time.Duration(ts * float64(time.Second)), CNT: int64(k), Time: ts}
	if valid {
		s.BPOGX, s.BPOGY, s.BPOGV = x+tr.rng.NormFloat64()*sx, y+tr.rng.NormFloat64()*sy, true
	}
	tr.samples = append(tr.samples, s)
	return s
}

// dwell holds the gaze at (x, y) for n samples and returns the truth about it.
func (tr *trace) dwell(x, y float64, n int, sigmaDeg float64) truthFix {
	tr.x, tr.y = x, y
	f := truthFix{x: x, y: y, n: n}
	for i := 0; i < n; i++ {
		s := tr.add(x, y, sigmaDeg, true)
		if i == 0 {
			f.start = s.Time
		}
		f.end = s.Time
	}
	return f
}

// saccade moves the gaze to (x, y) in m in-flight samples on the straight line.
func (tr *trace) saccade(x, y float64, m int, sigmaDeg float64) {
	for i := 1; i <= m; i++ {
		a := float64(i) / float64(m+1)
		tr.add(tr.x+a*(x-tr.x), tr.y+a*(y-tr.y), sigmaDeg, true)
	}
	tr.x, tr.y = x, y
}

// lost appends n invalid samples (a blink or track loss).
func (tr *trace) lost(n int) {
	for i := 0; i < n; i++ {
		tr.add(tr.x, tr.y, 0, false)
	}
}

type truthFix struct {
	x, y       float64
	start, end float64 // Time of the first and last sample of the dwell
	n          int
}

func (tr *trace) samplesFor(d time.Duration) int { return int(math.Round(d.Seconds() * tr.rate)) }

func TestIDTKnownFixations(t *testing.T) {
	// Five fixation targets, in degrees from the screen centre, 15–20° apart in turn.
	targets := [][2]float64{{-15, -8}, {5, -6}, {-5, 6}, {14, 7}, {0, 0}}
	for _, rate := range []float64{60, 150} {
		for seed := int64(1); seed <= 5; seed++ {
			t.Run(fmt.Sprintf("%gHz/seed%d", rate, seed), func(t *testing.T) {
				tr := newTrace(rate, seed)
				const sigma = 0.05 // degrees, well under the 1° threshold
				var truth []truthFix
				for i, p := range targets {
					x, y := tr.deg(p[0], p[1])
					if i > 0 {
						sacc := time.Duration(30+tr.rng.Intn(21)) * time.Millisecond
						tr.saccade(x, y, max(1, tr.samplesFor(sacc)), sigma)
					}
					dur := time.Duration(200+tr.rng.Intn(301)) * time.Millisecond
					truth = append(truth, tr.dwell(x, y, tr.samplesFor(dur), sigma))
				}
				got := DetectIDT(tr.samples, DefaultIDT())
				if len(got) != len(truth) {
					t.Fatalf("found %d fixations, want %d: %+v", len(got), len(truth), got)
				}
				period := 1 / rate
				for i, f := range got {
					w := truth[i]
					if f.ID != int64(i+1) {
						t.Errorf("fixation %d: ID %d", i+1, f.ID)
					}
					if off := tr.v.AngleDeg(f.X-w.x, f.Y-w.y); off > 0.2 {
						t.Errorf("fixation %d: centroid %.2f° from the target", i+1, off)
					}
					if d := math.Abs(f.Duration - (w.end - w.start)); d > period {
						t.Errorf("fixation %d: duration %.4f s, want %.4f ± %.4f", i+1, f.Duration, w.end-w.start, period)
					}
					if d := math.Abs(f.Start - w.start); d > period {
						t.Errorf("fixation %d: start %.4f s, want %.4f ± %.4f", i+1, f.Start, w.start, period)
					}
					if r := f.Row(); math.Abs(r.FPOGS+r.FPOGD-r.Time) > 1e-12 || r.FPOGID != f.ID || !r.FPOGV || r.FPOGX != f.X {
						t.Errorf("fixation %d: Start+Duration = %v, last sample at %v", i+1, f.Start+f.Duration, f.Last.Time)
					}
					if f.LastCNT-f.FirstCNT+1 != int64(f.N) || f.Last.CNT != f.LastCNT {
						t.Errorf("fixation %d: CNT %d..%d for %d samples (last %d)", i+1, f.FirstCNT, f.LastCNT, f.N, f.Last.CNT)
					}
				}
			})
		}
	}
}

func TestIDTGapsAndShortDwells(t *testing.T) {
	type step func(tr *trace)
	at := func(dx, dy float64, d time.Duration) step {
		return func(tr *trace) {
			x, y := tr.deg(dx, dy)
			if len(tr.samples) > 0 && (x != tr.x || y != tr.y) {
				tr.saccade(x, y, max(1, tr.samplesFor(40*time.Millisecond)), 0.05)
			}
			tr.dwell(x, y, tr.samplesFor(d), 0.05)
		}
	}
	lost := func(d time.Duration) step { return func(tr *trace) { tr.lost(tr.samplesFor(d)) } }
	tests := []struct {
		name  string
		steps []step
		want  int
	}{
		{"blink splits a fixation", []step{at(0, 0, 300*time.Millisecond), lost(150 * time.Millisecond), at(0, 0, 300*time.Millisecond)}, 2},
		{"short dropout is bridged", []step{at(0, 0, 300*time.Millisecond), lost(50 * time.Millisecond), at(0, 0, 300*time.Millisecond)}, 1},
		{"blink leaves a short tail", []step{at(0, 0, 300*time.Millisecond), lost(200 * time.Millisecond), at(0, 0, 60*time.Millisecond)}, 1},
		{"short dwell not reported", []step{at(-10, 0, 300*time.Millisecond), at(0, 5, 80*time.Millisecond), at(10, 0, 300*time.Millisecond)}, 2},
		{"dwell of 120 ms reported", []step{at(-10, 0, 300*time.Millisecond), at(0, 5, 120*time.Millisecond), at(10, 0, 300*time.Millisecond)}, 3},
		{"only a short dwell", []step{at(0, 0, 70*time.Millisecond)}, 0},
		{"all lost", []step{lost(time.Second)}, 0},
	}
	for _, rate := range []float64{60, 150} {
		for _, tc := range tests {
			t.Run(fmt.Sprintf("%gHz/%s", rate, tc.name), func(t *testing.T) {
				tr := newTrace(rate, 7)
				for _, s := range tc.steps {
					s(tr)
				}
				got := DetectIDT(tr.samples, DefaultIDT())
				if len(got) != tc.want {
					t.Fatalf("found %d fixations, want %d: %+v", len(got), tc.want, got)
				}
				for _, f := range got {
					if f.Duration < 0.1-durationSlack {
						t.Errorf("fixation %d lasts %.4f s, under the 100 ms minimum", f.ID, f.Duration)
					}
				}
			})
		}
	}
}

// messyTrace mixes fixations, slow drifts, saccades of all sizes, noise near the threshold,
// dropouts and long losses, to exercise every path of the online filter.
func messyTrace(rate float64, seed int64, n int) []Sample {
	tr := newTrace(rate, seed)
	for len(tr.samples) < n {
		x, y := tr.deg(tr.rng.Float64()*40-20, tr.rng.Float64()*24-12)
		sigma := []float64{0.02, 0.1, 0.25, 0.5}[tr.rng.Intn(4)]
		switch tr.rng.Intn(6) {
		case 0:
			tr.lost(1 + tr.rng.Intn(int(rate/5)))
		case 1: // slow drift
			x1, y1 := tr.deg(tr.rng.Float64()*4-2, tr.rng.Float64()*4-2)
			m := 1 + tr.rng.Intn(int(rate))
			tr.saccade(tr.x+(x1-0.5), tr.y+(y1-0.5), m, sigma)
		default:
			tr.saccade(x, y, tr.rng.Intn(5), sigma)
			tr.dwell(x, y, 1+tr.rng.Intn(int(rate/2)), sigma)
		}
	}
	return tr.samples
}

// referenceIDT is the textbook batch I-DT (Salvucci & Goldberg 2000), written independently of
// the online filter: split the valid samples at gaps, then slide a window over each part.
func referenceIDT(samples []Sample, p IDTParams) []Fixation {
	v := p.Viewing
	dispersion := func(w []Sample) float64 {
		x0, x1, y0, y1 := w[0].BPOGX, w[0].BPOGX, w[0].BPOGY, w[0].BPOGY
		for _, s := range w {
			x0, x1 = math.Min(x0, s.BPOGX), math.Max(x1, s.BPOGX)
			y0, y1 = math.Min(y0, s.BPOGY), math.Max(y1, s.BPOGY)
		}
		return v.AngleDeg(x1-x0, 0) + v.AngleDeg(0, y1-y0)
	}
	var out []Fixation
	id := int64(1)
	segment := func(seg []Sample) {
		for i := 0; i < len(seg); {
			j := i
			for j < len(seg) && seg[j].Time-seg[i].Time < p.MinDuration.Seconds()-durationSlack {
				j++
			}
			if j == len(seg) {
				return
			}
			if dispersion(seg[i:j+1]) > p.DispersionDeg {
				i++
				continue
			}
			for j+1 < len(seg) && dispersion(seg[i:j+2]) <= p.DispersionDeg {
				j++
			}
			w := seg[i : j+1]
			var sx, sy float64
			for _, s := range w {
				sx += s.BPOGX
				sy += s.BPOGY
			}
			out = append(out, Fixation{
				ID: id, X: sx / float64(len(w)), Y: sy / float64(len(w)),
				Start: w[0].Time, Duration: w[len(w)-1].Time - w[0].Time,
				HostStart: w[0].Host, HostEnd: w[len(w)-1].Host,
				FirstCNT: w[0].CNT, LastCNT: w[len(w)-1].CNT,
				N: len(w), Last: w[len(w)-1],
			})
			id++
			i = j + 1
		}
	}
	var seg []Sample
	for _, s := range samples {
		if !s.Valid() {
			continue
		}
		if len(seg) > 0 && s.Time-seg[len(seg)-1].Time > p.maxGap().Seconds() {
			segment(seg)
			seg = nil
		}
		seg = append(seg, s)
	}
	segment(seg)
	return out
}

func TestIDTOnlineMatchesBatchAndTextbook(t *testing.T) {
	params := map[string]IDTParams{
		"default":             DefaultIDT(),
		"2deg 200ms gap 30ms": {DispersionDeg: 2, MinDuration: 200 * time.Millisecond, Viewing: PaperViewing(), MaxGap: 30 * time.Millisecond},
		"0.5deg 60ms near":    {DispersionDeg: 0.5, MinDuration: 60 * time.Millisecond, Viewing: Viewing{DistanceCM: 50, DiagonalInch: 24, WidthPx: 1920, HeightPx: 1200}},
	}
	for pname, p := range params {
		for _, rate := range []float64{60, 150, 1000} {
			for seed := int64(1); seed <= 4; seed++ {
				t.Run(fmt.Sprintf("%s/%gHz/seed%d", pname, rate, seed), func(t *testing.T) {
					samples := messyTrace(rate, seed, int(40*rate))
					batch := DetectIDT(samples, p)

					// Online, peeking at Current after every sample as a live overlay does.
					d := NewIDT(p)
					var online []Fixation
					lastCurrent := map[int64]Fixation{}
					for _, s := range samples {
						online = append(online, d.Push(s)...)
						if c, ok := d.Current(); ok {
							if c.ID != d.NextID() {
								t.Fatalf("Current ID %d, NextID %d", c.ID, d.NextID())
							}
							lastCurrent[c.ID] = c
						}
					}
					online = append(online, d.Flush()...)
					if len(batch) == 0 {
						t.Fatal("no fixations: the trace does not exercise the filter")
					}
					if !reflect.DeepEqual(online, batch) {
						t.Fatalf("online and batch differ: %d vs %d fixations", len(online), len(batch))
					}
					ref := referenceIDT(samples, p)
					if len(ref) != len(batch) {
						t.Fatalf("textbook I-DT finds %d fixations, online %d", len(ref), len(batch))
					}
					for i := range ref {
						if !reflect.DeepEqual(ref[i], batch[i]) {
							t.Fatalf("fixation %d:\n textbook %+v\n online   %+v", i+1, ref[i], batch[i])
						}
						// The last live view of a fixation is the fixation as it ended.
						if c := lastCurrent[batch[i].ID]; !reflect.DeepEqual(c, batch[i]) {
							t.Fatalf("fixation %d: last Current %+v, ended as %+v", i+1, c, batch[i])
						}
					}
				})
			}
		}
	}
}

func TestIDTCurrentAndGapEndsLive(t *testing.T) {
	tr := newTrace(60, 3)
	tr.dwell(0.5, 0.5, 30, 0.05)
	d := NewIDT(DefaultIDT())
	for i, s := range tr.samples {
		if done := d.Push(s); len(done) != 0 {
			t.Fatalf("sample %d ended a fixation during a steady dwell", i)
		}
		_, ok := d.Current()
		if want := s.Time-tr.samples[0].Time >= 0.1-durationSlack; ok != want {
			t.Fatalf("sample %d (%.3f s in): Current ok = %v, want %v", i, s.Time-tr.samples[0].Time, ok, want)
		}
	}
	// Track loss: the fixation ends on the first invalid sample more than MaxGap after the
	// last valid one, not when the gaze comes back.
	var ended []Fixation
	for i := 0; i < 10 && len(ended) == 0; i++ {
		s := tr.add(0.5, 0.5, 0, false)
		ended = d.Push(s)
		if len(ended) == 1 && s.Time-tr.samples[29].Time <= DefaultMaxGap.Seconds() {
			t.Fatalf("fixation ended %.3f s into the loss, before MaxGap", s.Time-tr.samples[29].Time)
		}
	}
	if len(ended) != 1 || ended[0].N != 30 || ended[0].ID != 1 {
		t.Fatalf("ended = %+v, want fixation 1 of 30 samples", ended)
	}
	if _, ok := d.Current(); ok {
		t.Fatal("Current still reports a fixation after it ended")
	}
	if got := d.Flush(); len(got) != 0 {
		t.Fatalf("Flush = %+v, want nothing", got)
	}
}

func TestIDTClockReset(t *testing.T) {
	// A device that restarts Time (a new media item) ends the fixation even at the same spot.
	tr := newTrace(60, 4)
	tr.dwell(0.5, 0.5, 20, 0.05)
	tail := newTrace(60, 5)
	tail.dwell(0.5, 0.5, 20, 0.05)
	for _, s := range tail.samples {
		s.Time -= 12.5
		tr.samples = append(tr.samples, s)
	}
	if got := DetectIDT(tr.samples, DefaultIDT()); len(got) != 2 {
		t.Fatalf("found %d fixations, want 2", len(got))
	}
}

func TestIDTParams(t *testing.T) {
	if got, want := DefaultIDT().String(), "I-DT dispersion=1.00deg min=100ms distance=71cm screen=27in 1920x1080 gap=75ms"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	p := DefaultIDT()
	p.MaxGap = 0
	if got := p.String(); got != DefaultIDT().String() {
		t.Errorf("zero MaxGap: String() = %q, want the default gap", got)
	}
	bad := map[string]IDTParams{
		"zero dispersion":  {MinDuration: time.Millisecond, Viewing: PaperViewing()},
		"negative minimum": {DispersionDeg: 1, MinDuration: -1, Viewing: PaperViewing()},
		"no viewing":       {DispersionDeg: 1, MinDuration: time.Millisecond},
	}
	for name, p := range bad {
		if p.Validate() == nil {
			t.Errorf("%s: Validate() = nil", name)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("NewIDT accepted invalid parameters")
		}
	}()
	NewIDT(bad["no viewing"])
}

// BenchmarkIDT measures the online filter on a 2000 Hz recording, alone and with a live
// overlay asking for the current fixation after every sample.
func BenchmarkIDT(b *testing.B) {
	samples := messyTrace(2000, 1, 200000)
	for _, live := range []bool{false, true} {
		name := "push"
		if live {
			name = "push+current"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				d := NewIDT(DefaultIDT())
				for _, s := range samples {
					d.Push(s)
					if live {
						d.Current()
					}
				}
				d.Flush()
			}
			b.ReportMetric(float64(b.N)*float64(len(samples))/b.Elapsed().Seconds(), "samples/s")
		})
	}
}
