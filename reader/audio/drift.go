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
		r := (b.Host-h0).Seconds() - (icpt + slope*x)
		ss += r * r
		worst = max(worst, math.Abs(r))
	}
	span := maxX - minX
	origin := icpt - slope*float64(f0)/float64(rate)
	return ClockFit{
		Offset:      h0 + seconds(origin),
		Drift:       seconds((slope - 1) * span),
		PPM:         (slope - 1) * 1e6,
		Jitter:      seconds(math.Sqrt(ss / n)),
		MaxResidual: seconds(worst),
		Span:        seconds(span),
	}
}

func seconds(s float64) time.Duration { return time.Duration(math.Round(s * 1e9)) }
