// Package stage provides the geometry of the 1920×1080 reading stage: where an image is drawn
// (its pads) and how a gaze point maps to the DICOM pixel it fell on (docs/FORMATS.md §3).
package stage

import "image"

// Width and Height are the stage size in stage pixels, whatever the monitor.
const (
	Width  = 1920
	Height = 1080
)

// CalibrationDiscRadius is the radius, in stage pixels, of the white disc at the centre of a
// calibration screen: the reader's screen, the review's replay and its pictures draw the same.
const CalibrationDiscRadius = 30

// Fix is a fixation as the stage draws it (the reading overlay, the replay, the box editor's
// gaze aid): where on the stage and for how long. The device's live fixations, the replay's
// and the recorded readers' all reach the stage as this one record.
type Fix struct {
	ID       int64   // the device's fixation id (FPOGID), 0 when the source has none
	X, Y     float64 // stage fractions
	Duration float64 // seconds
}

// Layout is an image of W×H DICOM pixels placed on the stage: scaled to fit with its aspect
// kept, centred, padded black. The pads are in stage pixels and describe the drawn rectangle:
// the image occupies x ∈ [Left, Width−Right), y ∈ [Top, Height−Bottom).
type Layout struct {
	W, H                     int
	Top, Bottom, Left, Right int
}

// Fit places a W×H image on the stage. The odd pixel of padding, if any, goes to the
// bottom/right, as the reference did.
func Fit(w, h int) Layout {
	if w <= 0 || h <= 0 {
		return Layout{W: w, H: h, Top: Height / 2, Bottom: Height - Height/2, Left: Width / 2, Right: Width - Width/2}
	}
	// Compare aspect ratios in integers so that the side that fills the stage fills it exactly.
	dw, dh := Width, Height
	if w*Height > h*Width { // wider than the stage: full width
		dh = (h*Width + w/2) / w
	} else {
		dw = (w*Height + h/2) / h
	}
	dw, dh = max(dw, 1), max(dh, 1)
	l := Layout{W: w, H: h}
	l.Left = (Width - dw) / 2
	l.Right = Width - dw - l.Left
	l.Top = (Height - dh) / 2
	l.Bottom = Height - dh - l.Top
	return l
}

// Rect is the drawn rectangle in stage pixels.
func (l Layout) Rect() image.Rectangle {
	return image.Rect(l.Left, l.Top, Width-l.Right, Height-l.Bottom)
}

// ToDICOM maps a gaze point given as stage fractions (FPOGX, FPOGY) to the DICOM pixel it fell
// on, with the reference formula X = int(W' / (1920 − left − right) · (eyeX − left)), where W'
// is W rounded up to even (and H' likewise): the EGD-CXR mapping script padded an odd-sized
// image with a black column or row before it scaled, and its published X/Y_ORIGINAL came from
// that, so on odd sizes they sit up to a pixel from the unpadded scale. Where the reference
// lands on its padding (X = W) the last real pixel is given. A point outside the drawn image
// gives (−1, −1) and false: the reference yielded small negatives there, which read like real
// coordinates.
func (l Layout) ToDICOM(fx, fy float64) (x, y int, inside bool) {
	eyeX, eyeY := fx*Width, fy*Height
	dw, dh := float64(Width-l.Left-l.Right), float64(Height-l.Top-l.Bottom)
	if dw <= 0 || dh <= 0 ||
		!(eyeX >= float64(l.Left) && eyeX < float64(Width-l.Right)) ||
		!(eyeY >= float64(l.Top) && eyeY < float64(Height-l.Bottom)) {
		return -1, -1, false
	}
	// Go's int conversion truncates toward zero, as Python's int() does; inside the rectangle
	// the operand is never negative.
	x = int(float64(even(l.W)) / dw * (eyeX - float64(l.Left)))
	y = int(float64(even(l.H)) / dh * (eyeY - float64(l.Top)))
	return min(x, l.W-1), min(y, l.H-1), true
}

// even is n rounded up to even: an odd image's size once the reference has padded it.
func even(n int) int { return n + n%2 }

// ToStage maps a DICOM pixel position (pixel centres at +0.5) to stage fractions where it is
// drawn (W across the drawn width, no padding): the inverse of ToDICOM to within a pixel, and
// exactly on even sizes.
func (l Layout) ToStage(x, y float64) (fx, fy float64) {
	dw, dh := float64(Width-l.Left-l.Right), float64(Height-l.Top-l.Bottom)
	eyeX := float64(l.Left) + x*dw/float64(l.W)
	eyeY := float64(l.Top) + y*dh/float64(l.H)
	return eyeX / Width, eyeY / Height
}
