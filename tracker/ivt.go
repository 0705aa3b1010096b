package tracker

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// IVTParams are the parameters of the velocity-threshold fixation filter (I-VT), laid out as the
// steps of the Tobii I-VT filter (Olsen 2012): gap fill-in, noise reduction, velocity
// calculator, classifier, merge adjacent fixations, discard short fixations.
type IVTParams struct {
	// VelocityDeg is the classifier threshold: a sample whose angular velocity is below it, in
	// degrees per second, is a fixation sample.
	VelocityDeg float64
	// Window is the velocity calculator's window length. It is turned into a whole number of
	// sample intervals k = max(1, round(Window / sample period)), so at 60 Hz a 20 ms window is
	// one interval (the two-sample difference) and at 150 Hz three (20 ms exactly).
	Window  time.Duration
	Viewing Viewing
	// GapFill is the longest time between two valid samples, across invalid or missing ones,
	// that is bridged as if the gaze had moved in a straight line between them (Tobii's linear
	// gap fill-in); longer gaps end any fixation. Zero disables gap fill-in.
	GapFill time.Duration
	// Median3 turns on noise reduction: the positions used for velocities are a moving median
	// of three samples, per axis. Centroids always come from the raw positions.
	Median3 bool
	// MergeGap and MergeDeg merge two consecutive fixations when the second starts at most
	// MergeGap after the first ends and their centroids are at most MergeDeg apart. A zero
	// MergeGap disables merging.
	MergeGap time.Duration
	MergeDeg float64
	// MinDuration discards fixations shorter than it (last sample time − first sample time),
	// after merging. Zero keeps them all.
	MinDuration time.Duration
}

// DefaultIVT is I-VT at 30°/s (docs/FORMATS.md §5) with the Tobii I-VT defaults: a 20 ms velocity
// window, gap fill-in up to 75 ms, no noise reduction, merging fixations at most 75 ms and
// 0.5° apart, discarding fixations under 60 ms; for the paper's viewing geometry.
func DefaultIVT() IVTParams {
	return IVTParams{
		VelocityDeg: 30,
		Window:      20 * time.Millisecond,
		Viewing:     PaperViewing(),
		GapFill:     75 * time.Millisecond,
		MergeGap:    75 * time.Millisecond,
		MergeDeg:    0.5,
		MinDuration: 60 * time.Millisecond,
	}
}

// String records the parameters beside every output, e.g. "I-VT velocity=30deg/s window=20ms
// distance=71cm screen=27in 1920x1080 gapfill=75ms noise=off merge=75ms/0.50deg min=60ms".
func (p IVTParams) String() string {
	v := p.Viewing
	gap, noise, merge := "off", "off", "off"
	if p.GapFill > 0 {
		gap = p.GapFill.String()
	}
	if p.Median3 {
		noise = "median3"
	}
	if p.MergeGap > 0 {
		merge = fmt.Sprintf("%s/%.2fdeg", p.MergeGap, p.MergeDeg)
	}
	return fmt.Sprintf("I-VT velocity=%gdeg/s window=%s distance=%gcm screen=%gin %dx%d gapfill=%s noise=%s merge=%s min=%s",
		p.VelocityDeg, p.Window, v.DistanceCM, v.DiagonalInch, v.WidthPx, v.HeightPx, gap, noise, merge, p.MinDuration)
}

// Validate reports parameters the filter cannot run with.
func (p IVTParams) Validate() error {
	if !(p.VelocityDeg > 0) || math.IsInf(p.VelocityDeg, 0) {
		return fmt.Errorf("I-VT velocity %v deg/s: must be positive", p.VelocityDeg)
	}
	if p.Window <= 0 {
		return fmt.Errorf("I-VT window %s: must be positive", p.Window)
	}
	if p.GapFill < 0 || p.MergeGap < 0 || p.MinDuration < 0 {
		return fmt.Errorf("I-VT durations gapfill=%s merge=%s min=%s: must not be negative", p.GapFill, p.MergeGap, p.MinDuration)
	}
	if !(p.MergeDeg >= 0) || math.IsInf(p.MergeDeg, 0) {
		return fmt.Errorf("I-VT merge angle %v deg: must not be negative", p.MergeDeg)
	}
	if err := p.Viewing.Validate(); err != nil {
		return fmt.Errorf("I-VT viewing: %w", err)
	}
	return nil
}

// WindowIntervals is the velocity window in sample intervals at the given sampling rate: the
// whole number of intervals closest to Window, at least one.
func (p IVTParams) WindowIntervals(rate float64) int {
	if !(rate > 0) || math.IsInf(rate, 0) {
		return 1
	}
	return windowIntervals(p.Window, 1/rate)
}

func windowIntervals(w time.Duration, period float64) int {
	k := math.Round(w.Seconds() / period)
	if !(k >= 1) {
		return 1
	}
	return int(min(k, 1<<30))
}

// ivtPoint is a valid sample as the filter sees it.
type ivtPoint struct {
	idx    int     // index in the input
	x, y   float64 // raw position
	vx, vy float64 // position for velocities (median-filtered when asked)
	t      float64
	seg    int // segment: points joined by normal or bridged intervals
}

// ivtRun is a candidate fixation: points [first, last] of one run of fixation samples, or a
// merge of several.
type ivtRun struct {
	first, last int // point indices
	sumX, sumY  float64
	n           int
}

// DetectIVT runs the I-VT filter of Salvucci & Goldberg (2000), in the steps of the Tobii I-VT
// filter, over a recorded stream and returns the fixations in order, IDs from 1.
//
// Valid samples (BPOGV with finite positions) are cut into segments: two consecutive valid
// samples stay in one segment when nothing lies between them (no invalid sample, and at most
// 1.5 sample periods apart), or when they are at most GapFill apart; device Time going
// backwards (a new media item) always cuts. Velocities are computed within a segment over a
// window of k sample intervals (see WindowIntervals; the sample period is the median interval
// of the first samples), placed so that the sample is at its middle, leaning backwards when k
// is odd: for k = 1 the velocity of a sample is its distance from the previous sample over the
// time between them (the first sample of a segment takes the next interval's). Over a bridged
// gap this equals the velocity of linearly interpolated samples. Samples below VelocityDeg are
// fixation samples; each run of them within a segment is a fixation whose centroid is the mean
// raw position of its samples. Fixations are merged (MergeGap, MergeDeg) and short ones
// discarded (MinDuration), in that order. With k ≥ 2 (above about 75 Hz at 20 ms) a sample's own
// position does not enter its velocity, as in Tobii's calculator, so a lone outlier can read as
// slow, form a fragment well off the fixation, keep the two halves from merging and then be
// discarded: the fixation comes out split. Median3 removes such outliers first.
//
// Each Fixation is filled as I-DT fills it: Start and Last are the first and last valid samples,
// N counts its fixation samples (a merge leaves out the samples between the merged parts), and
// Row gives the fixations.csv row. DetectIVT panics if p fails Validate.
func DetectIVT(samples []Sample, p IVTParams) []Fixation {
	if err := p.Validate(); err != nil {
		panic("tracker.DetectIVT: " + err.Error())
	}
	period := medianPeriod(samples)
	k := 1
	if period > 0 {
		// A window longer than the recording is the whole recording (and cannot overflow).
		k = min(windowIntervals(p.Window, period), max(1, len(samples)))
	}
	pts := ivtSegments(samples, p, period)
	if len(pts) == 0 {
		return nil
	}
	if p.Median3 {
		median3(pts)
	}
	runs := ivtClassify(pts, p, k)
	runs = ivtMerge(runs, pts, p)

	// Discard short fixations, then build the rest in one allocation: a Fixation holds a
	// whole Sample, and growing the slice would copy them over and over.
	minSec := p.MinDuration.Seconds()
	kept := runs[:0]
	for _, r := range runs {
		if pts[r.last].t-pts[r.first].t >= minSec-durationSlack {
			kept = append(kept, r)
		}
	}
	if len(kept) == 0 {
		return nil
	}
	out := make([]Fixation, 0, len(kept))
	for _, r := range kept {
		a, b := pts[r.first], pts[r.last]
		first, last := samples[a.idx], samples[b.idx]
		out = append(out, Fixation{
			ID: int64(len(out) + 1),
			X:  r.sumX / float64(r.n), Y: r.sumY / float64(r.n),
			Start: first.Time, Duration: last.Time - first.Time,
			HostStart: first.Host, HostEnd: last.Host,
			FirstCNT: first.CNT, LastCNT: last.CNT,
			N:    r.n,
			Last: last,
		})
	}
	return out
}

// medianPeriod is the median positive interval between the first consecutive samples (valid
// or not), in seconds, or 0 when there is none. The median ignores dropped records and blinks.
func medianPeriod(samples []Sample) float64 {
	const probe = 256
	var dts []float64
	for i := 1; i < len(samples) && len(dts) < probe; i++ {
		if dt := samples[i].Time - samples[i-1].Time; dt > 0 {
			dts = append(dts, dt)
		}
	}
	if len(dts) == 0 {
		return 0
	}
	slices.Sort(dts)
	return dts[len(dts)/2]
}

// ivtSegments collects the valid samples and cuts them into segments.
func ivtSegments(samples []Sample, p IVTParams, period float64) []ivtPoint {
	pts := make([]ivtPoint, 0, len(samples))
	gapFill := p.GapFill.Seconds()
	seg := 0
	sawInvalid := false
	for i := range samples {
		s := &samples[i]
		if !s.BPOGV || !finite(s.BPOGX) || !finite(s.BPOGY) {
			sawInvalid = true
			continue
		}
		if n := len(pts); n > 0 {
			dt := s.Time - pts[n-1].t
			interrupted := sawInvalid || period <= 0 || dt > 1.5*period
			bridged := p.GapFill > 0 && dt <= gapFill+durationSlack
			if !(dt > 0) || (interrupted && !bridged) {
				seg++
			}
		}
		sawInvalid = false
		pts = append(pts, ivtPoint{idx: i, x: s.BPOGX, y: s.BPOGY, vx: s.BPOGX, vy: s.BPOGY, t: s.Time, seg: seg})
	}
	return pts
}

// median3 replaces the velocity positions by the median of each point and its neighbours in
// the segment; a segment's end points keep theirs.
func median3(pts []ivtPoint) {
	px, py := pts[0].x, pts[0].y // raw values of the previous point
	for i := 1; i+1 < len(pts); i++ {
		cx, cy := pts[i].x, pts[i].y
		if pts[i-1].seg == pts[i].seg && pts[i+1].seg == pts[i].seg {
			pts[i].vx = med3(px, cx, pts[i+1].x)
			pts[i].vy = med3(py, cy, pts[i+1].y)
		}
		px, py = cx, cy
	}
}

func med3(a, b, c float64) float64 {
	return max(min(a, b), min(max(a, b), c))
}

// ivtClassify computes every point's velocity and returns the runs of fixation samples.
func ivtClassify(pts []ivtPoint, p IVTParams, k int) []ivtRun {
	v := p.Viewing
	distCM, wCM, hCM := v.DistanceCM, v.WidthCM(), v.HeightCM()
	back := (k + 1) / 2
	var runs []ivtRun
	open := false
	for s := 0; s < len(pts); {
		e := s // segment is pts[s..e]
		for e+1 < len(pts) && pts[e+1].seg == pts[s].seg {
			e++
		}
		open = false
		for i := s; i <= e && e > s; i++ {
			lo := max(s, i-back)
			hi := min(e, lo+k)
			lo = max(s, hi-k)
			a, b := &pts[lo], &pts[hi]
			deg := angleDeg(distCM, math.Hypot((b.vx-a.vx)*wCM, (b.vy-a.vy)*hCM))
			if deg/(b.t-a.t) >= p.VelocityDeg {
				open = false
				continue
			}
			if !open {
				runs = append(runs, ivtRun{first: i})
				open = true
			}
			r := &runs[len(runs)-1]
			r.last = i
			r.sumX += pts[i].x
			r.sumY += pts[i].y
			r.n++
		}
		s = e + 1
	}
	return runs
}

// ivtMerge merges consecutive runs that are close in time and space, in place.
func ivtMerge(runs []ivtRun, pts []ivtPoint, p IVTParams) []ivtRun {
	if p.MergeGap <= 0 || len(runs) < 2 {
		return runs
	}
	v := p.Viewing
	distCM, wCM, hCM := v.DistanceCM, v.WidthCM(), v.HeightCM()
	maxGap := p.MergeGap.Seconds() + durationSlack
	out := runs[:1]
	for _, r := range runs[1:] {
		q := &out[len(out)-1]
		gap := pts[r.first].t - pts[q.last].t
		qn, rn := float64(q.n), float64(r.n)
		dx, dy := r.sumX/rn-q.sumX/qn, r.sumY/rn-q.sumY/qn
		if gap > 0 && gap <= maxGap && angleDeg(distCM, math.Hypot(dx*wCM, dy*hCM)) <= p.MergeDeg {
			q.last = r.last
			q.sumX += r.sumX
			q.sumY += r.sumY
			q.n += r.n
			continue
		}
		out = append(out, r)
	}
	return out
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
