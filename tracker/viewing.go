package tracker

import (
	"errors"
	"fmt"
	"math"
)

// Viewing is the viewing geometry of a reading station: how far the reader's eyes are from the
// screen and how big the screen is. The screen's physical width and height follow from the
// diagonal and the pixel aspect (square pixels assumed), so a 27-inch 1920×1080 panel is
// 59.77 cm × 33.62 cm. Angles are computed for offsets centred on the screen centre, where
// the line of sight is perpendicular to the screen.
type Viewing struct {
	DistanceCM, DiagonalInch float64
	WidthPx, HeightPx        int
}

// PaperViewing is the EGD-CXR set-up (docs/FORMATS.md §4): the reader sat 28 in (71 cm) from a
// 27-inch monitor driven at 1920 × 1080.
func PaperViewing() Viewing {
	return Viewing{DistanceCM: 71, DiagonalInch: 27, WidthPx: 1920, HeightPx: 1080}
}

// Validate reports whether every quantity is positive and finite; the other methods return
// meaningless numbers for a Viewing that fails it.
func (v Viewing) Validate() error {
	bad := func(x float64) bool { return !(x > 0) || math.IsInf(x, 0) }
	switch {
	case bad(v.DistanceCM):
		return fmt.Errorf("viewing distance %v cm: %w", v.DistanceCM, errBadViewing)
	case bad(v.DiagonalInch):
		return fmt.Errorf("screen diagonal %v in: %w", v.DiagonalInch, errBadViewing)
	case v.WidthPx <= 0 || v.HeightPx <= 0:
		return fmt.Errorf("screen %dx%d px: %w", v.WidthPx, v.HeightPx, errBadViewing)
	}
	return nil
}

var errBadViewing = errors.New("must be positive")

// WidthCM is the physical width of the screen's active area.
func (v Viewing) WidthCM() float64 {
	return v.DiagonalInch * 2.54 * float64(v.WidthPx) / math.Hypot(float64(v.WidthPx), float64(v.HeightPx))
}

// HeightCM is the physical height of the screen's active area.
func (v Viewing) HeightCM() float64 {
	return v.DiagonalInch * 2.54 * float64(v.HeightPx) / math.Hypot(float64(v.WidthPx), float64(v.HeightPx))
}

// PixelsPerDegree is the number of pixels subtending 1° of visual angle at the screen centre
// (0.5° either side of the line of sight). About 39.8 for PaperViewing.
func (v Viewing) PixelsPerDegree() float64 {
	return chordCM(v.DistanceCM, 1) * float64(v.WidthPx) / v.WidthCM()
}

// DegreesToFraction is the extent of deg degrees of visual angle, centred on the screen centre,
// as fractions of the screen's width and height.
func (v Viewing) DegreesToFraction(deg float64) (fx, fy float64) {
	c := chordCM(v.DistanceCM, deg)
	return c / v.WidthCM(), c / v.HeightCM()
}

// AngleDeg is the visual angle, in degrees, subtended by an offset given in stage fractions
// (dxFrac of the width, dyFrac of the height), centred on the screen centre. It inverts
// DegreesToFraction along either axis.
func (v Viewing) AngleDeg(dxFrac, dyFrac float64) float64 {
	l := math.Hypot(dxFrac*v.WidthCM(), dyFrac*v.HeightCM())
	return angleDeg(v.DistanceCM, l)
}

// chordCM is the length on the screen, in cm, of deg degrees centred on the line of sight.
func chordCM(distanceCM, deg float64) float64 {
	return 2 * distanceCM * math.Tan(deg*math.Pi/360)
}

// angleDeg inverts chordCM.
func angleDeg(distanceCM, lengthCM float64) float64 {
	return 2 * math.Atan(lengthCM/(2*distanceCM)) * 180 / math.Pi
}
