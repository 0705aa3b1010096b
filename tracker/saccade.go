package tracker

import "math"

// The stage that gaze fractions refer to, in stage pixels (docs/FORMATS.md §3).
const (
	stagePxW = 1920
	stagePxH = 1080
)

// SaccadeVector is the saccade from one fixation centroid to the next, as EGD-CXR's
// SACCADE_MAG and SACCADE_DIR columns carry it: the magnitude in stage pixels (1920×1080) and
// the direction in degrees counter-clockwise from +x with y pointing up the screen, in
// (−180, 180]. Positions are stage fractions.
func SaccadeVector(x0, y0, x1, y1 float64) (magPx, dirDeg float64) {
	dx := (x1 - x0) * stagePxW
	dy := (y1 - y0) * stagePxH
	return math.Hypot(dx, dy), math.Atan2(-dy, dx) * 180 / math.Pi
}
