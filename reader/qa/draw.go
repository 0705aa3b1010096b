package qa

import "math"

// The overlay's drawing parameters, shared by the review view's stage (ui) and the review
// videos (reader/qavideo), so that both draw a case alike.

// OverlayFixations is how many of the latest fixations an overlay draws: a long case has
// thousands, and every one drawn costs each frame.
const OverlayFixations = 50

// FixationRadius is a fixation ring's radius in stage pixels: it grows with the square root
// of the duration, so that the area tracks the time (100 ms ≈ 16 px, 1 s ≈ 38 px).
func FixationRadius(seconds float64) float64 {
	return 6 + 32*math.Sqrt(math.Max(seconds, 0))
}
