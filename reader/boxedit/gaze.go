package boxedit

import (
	"math"

	"sightline/reader/stage"
)

// Fixation is one reader's fixation on the image, in DICOM pixels.
type Fixation struct {
	X, Y     float64
	Duration float64 // seconds
	Reader   string
	Session  string
}

// NearMarginStage is how far outside a box, in stage pixels, a fixation counts as "just
// outside": 40 stage pixels is about 1° of visual angle on the station's 1920-pixel-wide
// monitor at 60 cm, the order of a screen-based tracker's accuracy. A fixation that close to
// a box may well have been on the anatomy inside it.
const NearMarginStage = 40

// MinNear is the least number of fixations just outside a box for the hint, and NearShare
// the least share of the fixations inside it: a few glances along an edge are not a sign.
const (
	MinNear   = 3
	NearShare = 0.10
)

// Margin is NearMarginStage in the DICOM pixels of an image placed by l.
func Margin(l stage.Layout) float64 {
	dw := float64(stage.Width - l.Left - l.Right)
	if dw <= 0 || l.W <= 0 {
		return 0
	}
	return NearMarginStage * float64(l.W) / dw
}

// ZoneGaze is the gaze aid of one zone.
type ZoneGaze struct {
	Inside int     // fixations inside the box
	Share  float64 // Inside over all the fixations on the image (0 when there are none)
	Near   int     // fixations outside the box but within the margin
	// Hint is set when enough fixations fall just outside: the box may be too tight. It is a
	// hint for the person editing, never an edit.
	Hint bool
}

// Gaze measures, per zone, the share of fixations inside its box and those just outside
// (within margin DICOM pixels of it). Zones without a box measure nothing.
func Gaze(zones []Zone, fixes []Fixation, margin float64) []ZoneGaze {
	out := make([]ZoneGaze, len(zones))
	for i, z := range zones {
		if !z.Box.HasCoords() {
			continue
		}
		b := z.Box
		g := &out[i]
		for _, f := range fixes {
			dx := math.Max(0, math.Max(b.X1-f.X, f.X-b.X2))
			dy := math.Max(0, math.Max(b.Y1-f.Y, f.Y-b.Y2))
			switch d := math.Hypot(dx, dy); {
			case d == 0:
				g.Inside++
			case d <= margin:
				g.Near++
			}
		}
		if len(fixes) > 0 {
			g.Share = float64(g.Inside) / float64(len(fixes))
		}
		g.Hint = g.Near >= MinNear && float64(g.Near) >= NearShare*float64(g.Inside)
	}
	return out
}
