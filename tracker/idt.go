package tracker

import (
	"fmt"
	"math"
	"time"
)

// DefaultMaxGap is the longest stretch between two consecutive valid samples that one
// fixation may bridge (a dropped sample or two); a longer blink or track loss ends it.
const DefaultMaxGap = 75 * time.Millisecond

// durationSlack absorbs float rounding when a window's span is compared with MinDuration:
// device times are quantised to 10 µs, so 1 µs changes no real decision.
const durationSlack = 1e-6

// IDTParams are the parameters of the dispersion-threshold fixation filter (I-DT).
type IDTParams struct {
	// DispersionDeg bounds (max x − min x) + (max y − min y) of a fixation's samples, each
	// range converted to degrees of visual angle with Viewing.
	DispersionDeg float64
	// MinDuration is the shortest fixation: last sample time − first sample time.
	MinDuration time.Duration
	Viewing     Viewing
	// MaxGap is the longest time between two consecutive valid samples of one fixation;
	// zero means DefaultMaxGap.
	MaxGap time.Duration
}

// DefaultIDT is I-DT at 1° and 100 ms (docs/FORMATS.md §5) for the paper's viewing geometry.
func DefaultIDT() IDTParams {
	return IDTParams{DispersionDeg: 1, MinDuration: 100 * time.Millisecond, Viewing: PaperViewing(), MaxGap: DefaultMaxGap}
}

// String records the parameters beside every output, e.g.
// "I-DT dispersion=1.00deg min=100ms distance=71cm screen=27in 1920x1080 gap=75ms".
func (p IDTParams) String() string {
	v := p.Viewing
	return fmt.Sprintf("I-DT dispersion=%.2fdeg min=%s distance=%gcm screen=%gin %dx%d gap=%s",
		p.DispersionDeg, p.MinDuration, v.DistanceCM, v.DiagonalInch, v.WidthPx, v.HeightPx, p.maxGap())
}

// Validate reports parameters the filter cannot run with.
func (p IDTParams) Validate() error {
	if !(p.DispersionDeg > 0) || math.IsInf(p.DispersionDeg, 0) {
		return fmt.Errorf("I-DT dispersion %v deg: must be positive", p.DispersionDeg)
	}
	if p.MinDuration < 0 || p.MaxGap < 0 {
		return fmt.Errorf("I-DT durations min=%s gap=%s: must not be negative", p.MinDuration, p.MaxGap)
	}
	if err := p.Viewing.Validate(); err != nil {
		return fmt.Errorf("I-DT viewing: %w", err)
	}
	return nil
}

func (p IDTParams) maxGap() time.Duration {
	if p.MaxGap == 0 {
		return DefaultMaxGap
	}
	return p.MaxGap
}

// Fixation is one fixation found by a filter. Times are device seconds, as in FPOGS/FPOGD.
type Fixation struct {
	ID    int64   // 1-based, in order
	X, Y  float64 // centroid of the samples, stage fractions
	Start float64 // Time of the first sample
	// Duration is Last.Time − Start. Start+Duration gives Last.Time back up to float64
	// rounding (a few pairs in a hundred come out an ulp off, and no other float64 Duration
	// would do better): a CSV writer that must show Time = FPOGS + FPOGD exactly should derive
	// FPOGD's decimals from the rounded Time and FPOGS.
	Duration float64

	HostStart, HostEnd time.Duration // Host of the first and the last sample
	FirstCNT, LastCNT  int64
	N                  int    // valid samples in the fixation
	Last               Sample // the last sample, as it arrived
}

// Row is the fixation as a fixations.csv row carries it (docs/FORMATS.md §1): its last sample with
// the FPOG fields set from the fixation, so that Time = FPOGS + FPOGD (see Duration).
func (f Fixation) Row() Sample {
	s := f.Last
	s.FPOGX, s.FPOGY = f.X, f.Y
	s.FPOGS, s.FPOGD = f.Start, f.Duration
	s.FPOGID, s.FPOGV = f.ID, true
	s.Absent &^= FieldsFPOG
	return s
}

// IDT is the I-DT filter of Salvucci & Goldberg (2000), run online: feed samples in order with
// Push. It keeps a window of consecutive valid samples whose dispersion is within the threshold.
// A sample that would push the dispersion over the threshold ends the window as a fixation if
// the window spans MinDuration; otherwise the window's oldest samples are dropped until the
// sample fits. This gives exactly the textbook batch algorithm, sample for sample.
//
// Gaps: invalid samples (BPOGV false: blinks, track loss, off-screen) are skipped. Two
// consecutive valid samples more than MaxGap apart in device Time (or going backwards, as when
// the device resets its clock for a new media item) cannot belong to one fixation: the window
// ends there, and becomes a fixation if it qualifies. An invalid sample that arrives more than
// MaxGap after the last valid one ends the window at once, so live displays drop the fixation
// without waiting for the gaze to come back.
//
// Running minima and maxima live in monotonic deques and the centroid sums are kept (or
// rebuilt once per window), so Push costs O(1) amortised.
type IDT struct {
	p                      IDTParams
	distCM, wCM, hCM       float64
	minSec, gapSec         float64
	nextID                 int64
	pts                    []idtPoint // window points; pts[i] has sequence number off+i
	off, first, next       int64      // window = sequence numbers [first, next)
	minX, maxX, minY, maxY minDeque   // max kept as the min of the negated values
	sumX, sumY             float64
	dirty                  bool // sums invalid since the window's front moved
	last                   Sample
}

type idtPoint struct {
	x, y, t float64
	host    time.Duration
	cnt     int64
}

// NewIDT makes an online I-DT filter. It panics if p fails Validate: check parameters that
// come from users or files first.
func NewIDT(p IDTParams) *IDT {
	if err := p.Validate(); err != nil {
		panic("tracker.NewIDT: " + err.Error())
	}
	return &IDT{
		p:      p,
		distCM: p.Viewing.DistanceCM, wCM: p.Viewing.WidthCM(), hCM: p.Viewing.HeightCM(),
		minSec: p.MinDuration.Seconds(), gapSec: p.maxGap().Seconds(),
		nextID: 1,
	}
}

// Params are the filter's parameters.
func (d *IDT) Params() IDTParams { return d.p }

// Push feeds the next sample and returns the fixations that it ended (usually none).
func (d *IDT) Push(s Sample) (done []Fixation) {
	if d.size() > 0 && (s.Time-d.last.Time > d.gapSec || s.Time < d.last.Time) {
		done = d.closeWindow(done)
	}
	if !s.Valid() {
		return done
	}
	for d.size() > 0 && d.dispersionWith(s.BPOGX, s.BPOGY) > d.p.DispersionDeg {
		if d.qualifies() {
			done = append(done, d.fixation())
			d.nextID++
			d.reset()
			break
		}
		d.popFront()
	}
	d.push(s)
	return done
}

// Current is the fixation in progress, if the window already qualifies as one (it spans
// MinDuration). Its ID is the one it will have when it ends.
func (d *IDT) Current() (Fixation, bool) {
	if d.size() == 0 || !d.qualifies() {
		return Fixation{}, false
	}
	return d.fixation(), true
}

// NextID is the ID the next fixation to end will have.
func (d *IDT) NextID() int64 { return d.nextID }

// Flush ends the stream: the window becomes a fixation if it qualifies. The filter may then be
// fed a new stream; IDs keep counting.
func (d *IDT) Flush() []Fixation {
	return d.closeWindow(nil)
}

// DetectIDT runs I-DT over a recorded stream; it gives the same fixations as Push and Flush.
func DetectIDT(samples []Sample, p IDTParams) []Fixation {
	d := NewIDT(p)
	var out []Fixation
	for _, s := range samples {
		out = append(out, d.Push(s)...)
	}
	return append(out, d.Flush()...)
}

func (d *IDT) size() int64 { return d.next - d.first }

func (d *IDT) qualifies() bool {
	return d.last.Time-d.pts[d.first-d.off].t >= d.minSec-durationSlack
}

// dispersionWith is the window's dispersion in degrees if (x, y) joined it.
func (d *IDT) dispersionWith(x, y float64) float64 {
	x0, x1 := math.Min(d.minX.min(), x), math.Max(-d.maxX.min(), x)
	y0, y1 := math.Min(d.minY.min(), y), math.Max(-d.maxY.min(), y)
	return angleDeg(d.distCM, (x1-x0)*d.wCM) + angleDeg(d.distCM, (y1-y0)*d.hCM)
}

func (d *IDT) closeWindow(done []Fixation) []Fixation {
	if d.size() > 0 && d.qualifies() {
		done = append(done, d.fixation())
		d.nextID++
	}
	d.reset()
	return done
}

func (d *IDT) push(s Sample) {
	seq := d.next
	d.next++
	d.pts = append(d.pts, idtPoint{x: s.BPOGX, y: s.BPOGY, t: s.Time, host: s.Host, cnt: s.CNT})
	d.minX.push(seq, s.BPOGX)
	d.maxX.push(seq, -s.BPOGX)
	d.minY.push(seq, s.BPOGY)
	d.maxY.push(seq, -s.BPOGY)
	if !d.dirty {
		d.sumX += s.BPOGX
		d.sumY += s.BPOGY
	}
	d.last = s
}

func (d *IDT) popFront() {
	d.first++
	if d.size() == 0 {
		d.reset()
		return
	}
	d.dirty = true
	d.minX.expire(d.first)
	d.maxX.expire(d.first)
	d.minY.expire(d.first)
	d.maxY.expire(d.first)
	// Drop the dead front of the buffer once it is at least half of it.
	if dead := d.first - d.off; dead >= 64 && dead*2 >= int64(len(d.pts)) {
		n := copy(d.pts, d.pts[dead:])
		d.pts = d.pts[:n]
		d.off = d.first
	}
}

func (d *IDT) reset() {
	d.first, d.off = d.next, d.next
	d.pts = d.pts[:0]
	d.minX.reset()
	d.maxX.reset()
	d.minY.reset()
	d.maxY.reset()
	d.sumX, d.sumY, d.dirty = 0, 0, false
}

// fixation describes the (non-empty) window. Once a window qualifies its front never moves
// again, so the sums are rebuilt at most once per fixation.
func (d *IDT) fixation() Fixation {
	w := d.pts[d.first-d.off:]
	if d.dirty {
		d.sumX, d.sumY = 0, 0
		for _, p := range w {
			d.sumX += p.x
			d.sumY += p.y
		}
		d.dirty = false
	}
	n := float64(len(w))
	f := w[0]
	return Fixation{
		ID: d.nextID,
		X:  d.sumX / n, Y: d.sumY / n,
		Start: f.t, Duration: d.last.Time - f.t,
		HostStart: f.host, HostEnd: d.last.Host,
		FirstCNT: f.cnt, LastCNT: d.last.CNT,
		N:    len(w),
		Last: d.last,
	}
}

// minDeque is a monotonic deque: the minimum of a sliding window in O(1) amortised.
type minDeque struct {
	e []dequeEntry
	h int
}

type dequeEntry struct {
	seq int64
	v   float64
}

func (q *minDeque) push(seq int64, v float64) {
	for len(q.e) > q.h && q.e[len(q.e)-1].v >= v {
		q.e = q.e[:len(q.e)-1]
	}
	if q.h > 0 && q.h == len(q.e) {
		q.e, q.h = q.e[:0], 0
	}
	q.e = append(q.e, dequeEntry{seq, v})
}

func (q *minDeque) min() float64 { return q.e[q.h].v }

// expire drops entries older than first.
func (q *minDeque) expire(first int64) {
	for q.h < len(q.e) && q.e[q.h].seq < first {
		q.h++
	}
	if q.h >= 64 && q.h*2 >= len(q.e) {
		n := copy(q.e, q.e[q.h:])
		q.e, q.h = q.e[:n], 0
	}
}

func (q *minDeque) reset() { q.e, q.h = q.e[:0], 0 }
