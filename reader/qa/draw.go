package qa

import (
	"image/color"
	"math"
)

// The overlay's drawing parameters, shared by the review view's stage (ui) and the review
// videos (reader/qavideo), so that both draw a case alike.

// OverlayFixations is how many of the latest fixations an overlay draws: a long case has
// thousands, and every one drawn costs each frame.
const OverlayFixations = 50

// Colours of the overlay (fixation rings, their numbers and the scanpath) and of the gaze
// point and its trail.
var (
	OverlayColor = color.NRGBA{R: 255, G: 196, B: 0, A: 220}
	GazeColor    = color.NRGBA{R: 0, G: 230, B: 120, A: 230}
)

// FixationRadius is a fixation ring's radius in stage pixels: it grows with the square root
// of the duration, so that the area tracks the time (100 ms ≈ 16 px, 1 s ≈ 38 px).
func FixationRadius(seconds float64) float64 {
	return 6 + 32*math.Sqrt(math.Max(seconds, 0))
}

// Fade is the opacity, from 0 to 1, of line i of n joined in time order (the scanpath, the
// gaze trail): the newest as opaque as its colour, older ones fainter, the oldest nearly gone.
func Fade(i, n int) float64 {
	if n <= 0 {
		return 1
	}
	return float64(min(max(i, 0), n-1)+1) / float64(n)
}
