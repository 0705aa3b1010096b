package tracker

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// The synthetic traces (newTrace, dwell, saccade, lost, messyTrace) are shared with the I-DT
// tests in idt_test.go.

// knownTrace is a trace of five fixations 15–20° apart joined by 30–50 ms saccades, with the
// truth about each fixation.
func knownTrace(rate float64, seed int64, sigma float64) (*trace, []truthFix) {
	targets := [][2]float64{{-15, -8}, {5, -6}, {-5, 6}, {14, 7}, {0, 0}}
	tr := newTrace(rate, seed)
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
	return tr, truth
}

func TestIVTKnownFixations(t *testing.T) {
	for _, rate := range []float64{60, 150} {
		// Jitter of 0.1° per axis is a noisy GP3; at 150 Hz its sample-to-sample velocity
		// (~21°/s RMS) would cross 30°/s often without the 20 ms window.
		for _, sigma := range []float64{0.05, 0.1} {
			for seed := int64(1); seed <= 5; seed++ {
				t.Run(fmt.Sprintf("%gHz/sigma%g/seed%d", rate, sigma, seed), func(t *testing.T) {
					tr, truth := knownTrace(rate, seed, sigma)
					got := DetectIVT(tr.samples, DefaultIVT())
					if len(got) != len(truth) {
						t.Fatalf("found %d fixations, want %d: %+v", len(got), len(truth), got)
					}
					// The window costs a fixation at most ⌈k/2⌉ samples at its start and ⌊k/2⌋
					// at its end (k = 1 at 60 Hz, 3 at 150 Hz), plus one for a noisy edge.
					k := DefaultIVT().WindowIntervals(rate)
					slack := float64((k+1)/2+1) / rate
					for i, f := range got {
						w := truth[i]
						if f.ID != int64(i+1) {
							t.Errorf("fixation %d: ID %d", i+1, f.ID)
						}
						if off := tr.v.AngleDeg(f.X-w.x, f.Y-w.y); off > 0.2 {
							t.Errorf("fixation %d: centroid %.2f° from the target", i+1, off)
						}
						if d := f.Start - w.start; d < 0 || d > slack {
							t.Errorf("fixation %d: start %.4f s, want %.4f + [0, %.4f]", i+1, f.Start, w.start, slack)
						}
						if d := (w.end - w.start) - f.Duration; d < 0 || d > 2*slack {
							t.Errorf("fixation %d: duration %.4f s, want %.4f − [0, %.4f]", i+1, f.Duration, w.end-w.start, 2*slack)
						}
						r := f.Row()
						if math.Abs(r.FPOGS+r.FPOGD-r.Time) > 1e-12 || r.FPOGID != f.ID || !r.FPOGV || r.FPOGX != f.X || r.FPOGY != f.Y {
							t.Errorf("fixation %d: row FPOG (%v,%v) S=%v D=%v ID=%d at Time %v", i+1, r.FPOGX, r.FPOGY, r.FPOGS, r.FPOGD, r.FPOGID, r.Time)
						}
						// A noise burst can split a fixation that the merge step rejoins, leaving
						// its fast samples out of N.
						if span := f.LastCNT - f.FirstCNT + 1; span < int64(f.N) || span > int64(f.N)+2 || f.Last.CNT != f.LastCNT || f.Last.Host != f.HostEnd {
							t.Errorf("fixation %d: CNT %d..%d for %d samples (last %d)", i+1, f.FirstCNT, f.LastCNT, f.N, f.Last.CNT)
						}
						if f.HostStart != time.Duration(f.Start*float64(time.Second)) {
							t.Errorf("fixation %d: HostStart %v for Start %v", i+1, f.HostStart, f.Start)
						}
					}
				})
			}
		}
	}
}

func TestIVTAgreesWithIDTOnCleanTraces(t *testing.T) {
	for _, rate := range []float64{60, 150} {
		for seed := int64(11); seed <= 20; seed++ {
			t.Run(fmt.Sprintf("%gHz/seed%d", rate, seed), func(t *testing.T) {
				tr, truth := knownTrace(rate, seed, 0.05)
				ivt := DetectIVT(tr.samples, DefaultIVT())
				idt := DetectIDT(tr.samples, DefaultIDT())
				if len(ivt) != len(idt) || len(ivt) != len(truth) {
					t.Fatalf("I-VT finds %d fixations, I-DT %d, truth %d", len(ivt), len(idt), len(truth))
				}
				for i := range ivt {
					if off := tr.v.AngleDeg(ivt[i].X-idt[i].X, ivt[i].Y-idt[i].Y); off > 0.1 {
						t.Errorf("fixation %d: I-VT and I-DT centroids %.3f° apart", i+1, off)
					}
				}
			})
		}
	}
}

func TestIVTSaccadesGapsAndShortDwells(t *testing.T) {
	type step func(tr *trace)
	const sigma = 0.03
	// at moves the gaze in a 40 ms saccade, if it is elsewhere, and dwells for d.
	at := func(dx, dy float64, d time.Duration) step {
		return func(tr *trace) {
			x, y := tr.deg(dx, dy)
			if len(tr.samples) > 0 && (x != tr.x || y != tr.y) {
				tr.saccade(x, y, max(1, tr.samplesFor(40*time.Millisecond)), sigma)
			}
			tr.dwell(x, y, tr.samplesFor(d), sigma)
		}
	}
	// jump moves the gaze between two samples, with none in flight.
	jump := func(dx, dy float64, d time.Duration) step {
		return func(tr *trace) {
			x, y := tr.deg(dx, dy)
			tr.dwell(x, y, tr.samplesFor(d), sigma)
		}
	}
	// spike is one sample 3° off the gaze (a glint mistaken for the pupil).
	spike := func(tr *trace) {
		fx, _ := tr.v.DegreesToFraction(3)
		tr.add(tr.x+fx, tr.y, sigma, true)
	}
	lost := func(d time.Duration) step { return func(tr *trace) { tr.lost(tr.samplesFor(d)) } }
	const ms = time.Millisecond
	noGapFill := func(p *IVTParams) { p.GapFill = 0 }
	noMerge := func(p *IVTParams) { p.MergeGap = 0 }
	tests := []struct {
		name   string
		params []func(*IVTParams)
		steps  []step
		want   int
	}{
		{"2deg saccade within one interval", nil, []step{jump(0, 0, 300*ms), jump(2, 0, 300*ms)}, 2},
		{"1deg saccade within one interval", nil, []step{jump(0, 0, 300*ms), jump(0, 1, 300*ms)}, 2},
		{"0.3deg step is no saccade", nil, []step{jump(0, 0, 300*ms), jump(0.3, 0, 300*ms)}, 1},
		{"short saccade of 3deg", nil, []step{at(0, 0, 300*ms), at(3, 0, 300*ms), at(0, 0, 300*ms)}, 3},
		{"blink splits a fixation", nil, []step{at(0, 0, 300*ms), lost(150 * ms), at(0, 0, 300*ms)}, 2},
		{"short dropout is filled", nil, []step{at(0, 0, 300*ms), lost(50 * ms), at(0, 0, 300*ms)}, 1},
		{"dropout without gap fill or merge", []func(*IVTParams){noGapFill, noMerge}, []step{at(0, 0, 300*ms), lost(50 * ms), at(0, 0, 300*ms)}, 2},
		{"dropout without gap fill is merged", []func(*IVTParams){noGapFill}, []step{at(0, 0, 300*ms), lost(50 * ms), at(0, 0, 300*ms)}, 1},
		{"saccade hidden in a blink", nil, []step{at(0, 0, 300*ms), lost(200 * ms), jump(10, 0, 300*ms)}, 2},
		{"blink leaves a short tail", nil, []step{at(0, 0, 300*ms), lost(200 * ms), at(0, 0, 40*ms)}, 1},
		{"dwell of 40 ms discarded", nil, []step{at(-10, 0, 300*ms), at(0, 5, 40*ms), at(10, 0, 300*ms)}, 2},
		{"dwell of 150 ms kept", nil, []step{at(-10, 0, 300*ms), at(0, 5, 150*ms), at(10, 0, 300*ms)}, 3},
		// At 60 Hz both intervals around a spike are fast: the spike leaves the fixation, and
		// merging rejoins the parts. At 150 Hz the 3-interval window measures endpoints only,
		// so the spike and its successor read slow, form a fragment 1.5° off the fixation that
		// blocks the merge, and are discarded as short: two fixations. Median3 is the remedy.
		{"spike merged back", nil, []step{at(0, 0, 300*ms), spike, at(0, 0, 300*ms)}, 1},
		{"spike splits without merging", []func(*IVTParams){noMerge}, []step{at(0, 0, 300*ms), spike, at(0, 0, 300*ms)}, 2},
		{"spike removed by the median", []func(*IVTParams){noMerge, func(p *IVTParams) { p.Median3 = true }}, []step{at(0, 0, 300*ms), spike, at(0, 0, 300*ms)}, 1},
		{"only a short dwell", nil, []step{at(0, 0, 40*ms)}, 0},
		{"all lost", nil, []step{lost(time.Second)}, 0},
	}
	// Counts that differ at 150 Hz.
	want150 := map[string]int{"spike merged back": 2}
	for _, rate := range []float64{60, 150} {
		for _, tc := range tests {
			t.Run(fmt.Sprintf("%gHz/%s", rate, tc.name), func(t *testing.T) {
				tr := newTrace(rate, 7)
				for _, s := range tc.steps {
					s(tr)
				}
				p := DefaultIVT()
				for _, f := range tc.params {
					f(&p)
				}
				got := DetectIVT(tr.samples, p)
				want := tc.want
				if w, ok := want150[tc.name]; ok && rate == 150 {
					want = w
				}
				if len(got) != want {
					t.Fatalf("%s: found %d fixations, want %d: %+v", p, len(got), want, got)
				}
				for i, f := range got {
					if f.Duration < p.MinDuration.Seconds()-durationSlack {
						t.Errorf("fixation %d lasts %.4f s, under the minimum", f.ID, f.Duration)
					}
					if f.ID != int64(i+1) || !f.Last.Valid() || f.Last.Time != f.Start+f.Duration {
						t.Errorf("fixation %d: ID %d, last sample %+v", i+1, f.ID, f.Last)
					}
				}
			})
		}
	}
}

func TestIVTMergedFixationCountsItsSamples(t *testing.T) {
	// At 60 Hz a spike costs the spike and the sample after it (both intervals are fast);
	// the merged fixation spans the whole dwell but counts only its fixation samples.
	tr := newTrace(60, 9)
	tr.dwell(0.5, 0.5, 20, 0.02)
	fx, _ := tr.v.DegreesToFraction(3)
	tr.add(0.5+fx, 0.5, 0, true)
	tr.dwell(0.5, 0.5, 20, 0.02)
	got := DetectIVT(tr.samples, DefaultIVT())
	if len(got) != 1 {
		t.Fatalf("found %d fixations, want 1", len(got))
	}
	f := got[0]
	if f.FirstCNT != 0 || f.LastCNT != 40 || f.N != 39 {
		t.Errorf("CNT %d..%d with N=%d, want 0..40 with 39", f.FirstCNT, f.LastCNT, f.N)
	}
	if off := tr.v.AngleDeg(f.X-0.5, f.Y-0.5); off > 0.05 {
		t.Errorf("centroid %.3f° off: the spike leaked into it", off)
	}
}

func TestIVTClockReset(t *testing.T) {
	// A device that restarts Time (a new media item) ends the fixation even at the same spot,
	// and the two are not merged.
	tr := newTrace(60, 4)
	tr.dwell(0.5, 0.5, 20, 0.05)
	tail := newTrace(60, 5)
	tail.dwell(0.5, 0.5, 20, 0.05)
	for _, s := range tail.samples {
		s.Time -= 12.5
		tr.samples = append(tr.samples, s)
	}
	if got := DetectIVT(tr.samples, DefaultIVT()); len(got) != 2 {
		t.Fatalf("found %d fixations, want 2", len(got))
	}
}

func TestIVTNonFinitePositionsAreInvalid(t *testing.T) {
	tr := newTrace(60, 6)
	tr.dwell(0.5, 0.5, 30, 0.05)
	tr.samples[10].BPOGX = math.NaN()
	tr.samples[20].BPOGY = math.Inf(1)
	got := DetectIVT(tr.samples, DefaultIVT())
	if len(got) != 1 || got[0].N != 28 || math.IsNaN(got[0].X) || math.IsInf(got[0].Y, 0) {
		t.Fatalf("got %+v, want one fixation of 28 samples", got)
	}
}

func TestIVTParams(t *testing.T) {
	if got, want := DefaultIVT().String(), "I-VT velocity=30deg/s window=20ms distance=71cm screen=27in 1920x1080 gapfill=75ms noise=off merge=75ms/0.50deg min=60ms"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	p := DefaultIVT()
	p.GapFill, p.MergeGap, p.Median3 = 0, 0, true
	if got := p.String(); !strings.Contains(got, "gapfill=off noise=median3 merge=off") {
		t.Errorf("String() = %q, want the steps off and the median on", got)
	}
	for rate, want := range map[float64]int{30: 1, 60: 1, 120: 2, 150: 3, 250: 5, 1000: 20, 0: 1, math.Inf(1): 1} {
		if got := DefaultIVT().WindowIntervals(rate); got != want {
			t.Errorf("WindowIntervals(%g) = %d, want %d", rate, got, want)
		}
	}
	bad := map[string]func(*IVTParams){
		"zero velocity":     func(p *IVTParams) { p.VelocityDeg = 0 },
		"infinite velocity": func(p *IVTParams) { p.VelocityDeg = math.Inf(1) },
		"zero window":       func(p *IVTParams) { p.Window = 0 },
		"negative gap fill": func(p *IVTParams) { p.GapFill = -1 },
		"negative minimum":  func(p *IVTParams) { p.MinDuration = -1 },
		"NaN merge angle":   func(p *IVTParams) { p.MergeDeg = math.NaN() },
		"no viewing":        func(p *IVTParams) { p.Viewing = Viewing{} },
	}
	for name, f := range bad {
		p := DefaultIVT()
		f(&p)
		if p.Validate() == nil {
			t.Errorf("%s: Validate() = nil", name)
		}
	}
	if err := DefaultIVT().Validate(); err != nil {
		t.Errorf("DefaultIVT: %v", err)
	}
	huge := DefaultIVT()
	huge.Window = math.MaxInt64
	if got := DefaultIVT().WindowIntervals(1e9); got != 20_000_000 {
		t.Errorf("WindowIntervals(1 GHz) = %d", got)
	}
	if got := huge.WindowIntervals(1e9); got != 1<<30 {
		t.Errorf("huge window: WindowIntervals = %d", got)
	}
	tr := newTrace(60, 1)
	tr.dwell(0.5, 0.5, 30, 0.05)
	if got := DetectIVT(tr.samples, huge); len(got) != 1 || got[0].N != 30 {
		t.Errorf("huge window: a still dwell gives %+v, want one fixation of 30 samples", got)
	}
	if got := DetectIVT(nil, DefaultIVT()); got != nil {
		t.Errorf("no samples: %+v", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("DetectIVT accepted invalid parameters")
		}
	}()
	DetectIVT(nil, IVTParams{})
}

// BenchmarkIVT measures the filter on the messy trace at a GP3's 60 Hz and at 2000 Hz (where
// the window spans 40 samples).
func BenchmarkIVT(b *testing.B) {
	for _, rate := range []float64{60, 2000} {
		samples := messyTrace(rate, 1, 200000)
		b.Run(fmt.Sprintf("%gHz", rate), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				DetectIVT(samples, DefaultIVT())
			}
			b.ReportMetric(float64(b.N)*float64(len(samples))/b.Elapsed().Seconds(), "samples/s")
		})
	}
}
