package audio

import (
	"math"
	"time"
)

// DriftLimit is the audio–host clock drift over a case above which the station flags the case.
const DriftLimit = 20 * time.Millisecond

// BlockStamp pairs a block's first frame (counted from the recording's first frame) with the
// host time it was stamped with.
type BlockStamp struct {
	Frame int64
	Host  time.Duration
}

// ClockFit is the least-squares line through host time against audio time (frame / rate).
type ClockFit struct {
	// Offset is the fitted host time of frame 0: the audio clock's origin on the host clock.
	// It includes the device's capture latency as seen at the callback.
	Offset time.Duration
	// Drift is how far the audio clock walks from the host clock over the stamps' span:
	// (slope − 1) × span. Positive: the host clock ran longer than the frames say (the device
	// runs slow against its nominal rate).
	Drift time.Duration
	// PPM is (slope − 1) in parts per million.
	PPM float64
	// Jitter is the RMS and MaxResidual the largest distance of a stamp from the line: the
	// scheduling noise of the callbacks.
	Jitter, MaxResidual time.Duration
	// Span is the audio time the stamps cover.
	Span time.Duration

	// EnvelopeOffset and EnvelopeDrift describe the line under every stamp that runs closest
	// to them on average (the linear-programming clock-skew estimate of Moon, Skelly and
	// Towsley, 1999). A callback is only ever late, never early, so the earliest stamps carry
	// the clock; this fit shrugs off bursty delivery (PulseAudio hands over fragments of up to
	// ~100 ms) that pulls the least-squares line about.
	EnvelopeOffset, EnvelopeDrift time.Duration
}

// Drift fits host time against frame index over blocks (least squares) and returns the audio
// clock's offset (host time of frame 0) and its drift against the host clock over the span.
// The station flags |drift| > DriftLimit.
func Drift(blocks []BlockStamp, rate int) (offset, drift time.Duration) {
	f := FitClock(blocks, rate)
	return f.Offset, f.Drift
}

// FitClock fits host time against frame index over blocks (least squares); see ClockFit.
// Fewer than two distinct frames give a slope of one through the first stamp.
func FitClock(blocks []BlockStamp, rate int) ClockFit {
	if len(blocks) == 0 || rate <= 0 {
		return ClockFit{}
	}
	// Relative to the first stamp, in seconds: float64 keeps sub-nanosecond precision for
	// spans of days, where absolute nanoseconds would lose it in the squares.
	f0, h0 := blocks[0].Frame, blocks[0].Host
	n := float64(len(blocks))
	var mx, my float64
	for _, b := range blocks {
		mx += float64(b.Frame-f0) / float64(rate)
		my += (b.Host - h0).Seconds()
	}
	mx /= n
	my /= n
	var sxx, sxy float64
	minX, maxX := math.Inf(1), math.Inf(-1)
	for _, b := range blocks {
		x := float64(b.Frame-f0) / float64(rate)
		dx, dy := x-mx, (b.Host-h0).Seconds()-my
		sxx += dx * dx
		sxy += dx * dy
		minX, maxX = min(minX, x), max(maxX, x)
	}
	slope := 1.0
	if sxx > 0 {
		slope = sxy / sxx
	}
	icpt := my - slope*mx // host seconds (after h0) at frame f0
	var ss, worst float64
	for _, b := range blocks {
		x := float64(b.Frame-f0) / float64(rate)
		r := (b.Host - h0).Seconds() - (icpt + slope*x)
		ss += r * r
		worst = max(worst, math.Abs(r))
	}
	span := maxX - minX
	x0 := -float64(f0) / float64(rate) // frame 0
	ea, es := envelope(blocks, rate, mx)
	return ClockFit{
		Offset:         h0 + seconds(icpt+slope*x0),
		Drift:          seconds((slope - 1) * span),
		PPM:            (slope - 1) * 1e6,
		Jitter:         seconds(math.Sqrt(ss / n)),
		MaxResidual:    seconds(worst),
		Span:           seconds(span),
		EnvelopeOffset: h0 + seconds(ea+(1+es)*x0),
		EnvelopeDrift:  seconds(es * span),
	}
}

// envelope finds the line y = a + s·x under every point (x, y) = (audio time, host time −
// audio time), both from the first stamp, that minimises the summed distance to the points.
// That sum is n·(ȳ − a − s·x̄): the best line is the edge of the points' lower convex hull
// above x̄ = mx.
func envelope(blocks []BlockStamp, rate int, mx float64) (a, s float64) {
	type pt struct{ x, y float64 }
	f0, h0 := blocks[0].Frame, blocks[0].Host
	var hull []pt
	for _, b := range blocks {
		x := float64(b.Frame-f0) / float64(rate)
		p := pt{x, (b.Host - h0).Seconds() - x}
		if len(hull) > 0 && p.x <= hull[len(hull)-1].x {
			// Stamps come in frame order; keep the lower of equal x.
			if p.x == hull[len(hull)-1].x && p.y < hull[len(hull)-1].y {
				hull = hull[:len(hull)-1]
			} else {
				continue
			}
		}
		for len(hull) >= 2 {
			o, q := hull[len(hull)-2], hull[len(hull)-1]
			if (q.x-o.x)*(p.y-o.y)-(q.y-o.y)*(p.x-o.x) > 0 {
				break
			}
			hull = hull[:len(hull)-1]
		}
		hull = append(hull, p)
	}
	if len(hull) == 1 {
		return hull[0].y, 0
	}
	for i := 0; i+1 < len(hull); i++ {
		p, q := hull[i], hull[i+1]
		if mx <= q.x || i+2 == len(hull) {
			s = (q.y - p.y) / (q.x - p.x)
			return p.y - s*p.x, s
		}
	}
	return 0, 0 // not reached
}

func seconds(s float64) time.Duration { return time.Duration(math.Round(s * 1e9)) }
