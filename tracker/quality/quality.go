// Package quality measures eye-tracking data quality (docs/FORMATS.md §5): accuracy, precision, data
// loss and track-loss runs over recorded samples, a validation procedure's arithmetic and the
// REFLACX per-case gate. Every function is pure.
package quality

import (
	"math"
	"time"

	"sightline/tracker"
)

// AngleDeg is the visual angle, in degrees, between two stage points (fractions of the width
// and height) as seen from an eye at v.DistanceCM in front of the screen centre: the angle
// between the two lines of sight, exact anywhere on the screen. (tracker.Viewing.AngleDeg treats
// an offset as if it were centred on the screen centre, which is close enough for filter
// thresholds but overstates offsets near the edges by up to a few per cent.)
func AngleDeg(v tracker.Viewing, x0, y0, x1, y1 float64) float64 {
	return newGeom(v).angle(x0, y0, x1, y1)
}

// geom holds a Viewing's physical sizes for repeated angles.
type geom struct{ w, h, d float64 }

func newGeom(v tracker.Viewing) geom {
	return geom{w: v.WidthCM(), h: v.HeightCM(), d: v.DistanceCM}
}

func (g geom) angle(x0, y0, x1, y1 float64) float64 {
	// Lines of sight a and b from the eye at the origin; the screen is the plane z = d.
	ax, ay := (x0-0.5)*g.w, (y0-0.5)*g.h
	bx, by := (x1-0.5)*g.w, (y1-0.5)*g.h
	d := g.d
	// |a×b| and a·b; atan2 keeps small angles exact where acos would not.
	cx, cy, cz := ay*d-d*by, d*bx-ax*d, ax*by-ay*bx
	cross := math.Sqrt(cx*cx + cy*cy + cz*cz)
	dot := ax*bx + ay*by + d*d
	return math.Atan2(cross, dot) * 180 / math.Pi
}

// usable reports whether s has a valid, finite best point of gaze.
func usable(s *tracker.Sample) bool {
	return s.Valid() && !math.IsNaN(s.BPOGX) && !math.IsNaN(s.BPOGY) && !math.IsInf(s.BPOGX, 0) && !math.IsInf(s.BPOGY, 0)
}

// Accuracy is the mean visual angle between the valid best points of gaze and the target
// (stage fractions), and the number of valid samples it averages. With none it is NaN.
func Accuracy(samples []tracker.Sample, targetX, targetY float64, v tracker.Viewing) (deg float64, n int) {
	g := newGeom(v)
	var sum float64
	for i := range samples {
		s := &samples[i]
		if !usable(s) {
			continue
		}
		sum += g.angle(s.BPOGX, s.BPOGY, targetX, targetY)
		n++
	}
	if n == 0 {
		return math.NaN(), 0
	}
	return sum / float64(n), n
}

// PrecisionRMS is the root mean square of the visual angles between consecutive valid samples,
// and the number of such pairs. A pair is consecutive only when no record lies between them: an
// invalid sample, a CNT that does not follow on (a dropped record or a device reset), a sample
// with Lost records before it, or one that Resumed a lost connection breaks the chain. With no
// pair it is NaN.
func PrecisionRMS(samples []tracker.Sample, v tracker.Viewing) (deg float64, n int) {
	g := newGeom(v)
	var sum float64
	var prev *tracker.Sample
	for i := range samples {
		s := &samples[i]
		if !usable(s) {
			prev = nil
			continue
		}
		if prev != nil && s.CNT == prev.CNT+1 && s.Lost == 0 && !s.Resumed {
			a := g.angle(prev.BPOGX, prev.BPOGY, s.BPOGX, s.BPOGY)
			sum += a * a
			n++
		}
		prev = s
	}
	if n == 0 {
		return math.NaN(), 0
	}
	return math.Sqrt(sum / float64(n)), n
}

// Expected is the number of samples a tracker at rate Hz delivers in duration, rounded to the
// nearest; 0 for a duration or rate that is not positive.
func Expected(duration time.Duration, rate float64) int {
	if duration <= 0 || !(rate > 0) || math.IsInf(rate, 0) {
		return 0
	}
	return int(math.Round(duration.Seconds() * rate))
}

// DataLoss is the fraction of the expected samples that did not arrive valid: (expected − valid
// samples) ÷ expected, so records the device or link dropped count as lost along with invalid
// ones. It is clamped to [0, 1], and 0 when nothing was expected.
func DataLoss(samples []tracker.Sample, expected int) float64 {
	if expected <= 0 {
		return 0
	}
	valid := 0
	for i := range samples {
		if usable(&samples[i]) {
			valid++
		}
	}
	return math.Min(1, math.Max(0, float64(expected-valid)/float64(expected)))
}

// LongestLoss is the longest run of track loss, in time at rate Hz: consecutive lost records,
// whether they arrived invalid (a blink, the eyes not found) or never arrived (a CNT gap, or
// Lost on a sample whose CNT does not count on). Runs at the ends of samples count from the
// first or to the last record held. It is 0 for a rate that is not positive.
func LongestLoss(samples []tracker.Sample, rate float64) time.Duration {
	if !(rate > 0) || math.IsInf(rate, 0) {
		return 0
	}
	var run, longest int64
	for i := range samples {
		s := &samples[i]
		if i > 0 {
			run += missingBefore(&samples[i-1], s)
		}
		if usable(s) {
			longest = max(longest, run)
			run = 0
		} else {
			run++
		}
	}
	longest = max(longest, run)
	return time.Duration(float64(longest) / rate * float64(time.Second))
}

// missingBefore is the number of records that never arrived between prev and s.
func missingBefore(prev, s *tracker.Sample) int64 {
	if s.CNT > prev.CNT {
		return s.CNT - prev.CNT - 1
	}
	return max(0, s.Lost) // the counter restarted: trust the source's own count
}

// seconds is the sample's device time: TimeTick over TickFreq when the frequency is known
// (it never restarts), otherwise Time.
func seconds(s *tracker.Sample) float64 {
	if s.TickFreq > 0 {
		return float64(s.TimeTick) / float64(s.TickFreq)
	}
	return s.Time
}

// span is the time the samples cover at rate Hz: from the first to the last record, plus the
// one period the last record stands for; 0 when it cannot be told. The device clock (TimeTick
// over TickFreq, else Time) measures it while it runs forward; where it steps back between two
// records, that step counts as the records that lie between them (the ones missing, plus one)
// at rate Hz: a clock that jumps back must not shrink the span, which would count reading
// time the samples do cover as a track loss at their ends.
func span(samples []tracker.Sample, rate float64) time.Duration {
	if len(samples) == 0 || !(rate > 0) || math.IsInf(rate, 0) {
		return 0
	}
	first, last := &samples[0], &samples[len(samples)-1]
	ticks := first.TickFreq > 0 && first.TickFreq == last.TickFreq
	at := func(s *tracker.Sample) float64 {
		if ticks && s.TickFreq == first.TickFreq {
			return float64(s.TimeTick) / float64(s.TickFreq)
		}
		return s.Time
	}
	var d float64
	for i := 1; i < len(samples); i++ {
		prev, s := &samples[i-1], &samples[i]
		step := at(s) - at(prev)
		if !(step >= 0) || math.IsInf(step, 0) {
			step = float64(missingBefore(prev, s)+1) / rate
		}
		d += step
	}
	return time.Duration((d + 1/rate) * float64(time.Second))
}
