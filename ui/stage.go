// Package ui provides Sightline's Fyne views: the image stage shared by reading, replay and box
// editing, the reading view with its pause overlay and summary, and the start screen.
package ui

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"sightline/reader/reading"
	"sightline/reader/stage"
)

// CalibrationDiscRadius is the radius, in stage pixels, of the white disc of a calibration
// screen.
const CalibrationDiscRadius = 30

var (
	stageBlack   = color.Gray{Y: 0}
	overlayColor = color.NRGBA{R: 255, G: 196, B: 0, A: 220}
	gazeColor    = color.NRGBA{R: 0, G: 230, B: 120, A: 230}
)

// Stage draws the 1920×1080 reading stage letterboxed uniformly into whatever size it is
// given: black, the image in the rectangle its layout describes, optionally a calibration disc
// and a fixation overlay. It reports the pointer as stage fractions (mouse-as-gaze).
type Stage struct {
	widget.BaseWidget

	// OnPointer receives the pointer position as stage fractions; inside is false when the
	// pointer left the widget or the stage.
	OnPointer func(fx, fy float64, inside bool)

	img         image.Image
	layout      stage.Layout
	calibration bool
	overlay     bool
	fixes       []reading.Fix
	targets     []Point
	vectors     []Vector
	gaze        Point // the latest gaze, drawn when gazeOn (operator console)
	gazeOn      bool
}

// SetGaze draws the latest gaze point as a dot (the operator's live view); ok false hides it.
func (s *Stage) SetGaze(x, y float64, ok bool) {
	if s.gazeOn == ok && s.gaze == (Point{x, y}) {
		return
	}
	s.gaze, s.gazeOn = Point{x, y}, ok
	s.Refresh()
}

// Point is a position on the stage in fractions.
type Point struct{ X, Y float64 }

// Vector is a line on the stage from one point to another (fractions), e.g. from a calibration
// target to where the tracker placed the gaze.
type Vector struct {
	X0, Y0, X1, Y1 float64
	Color          color.Color
}

// TargetRadius is the outer radius, in stage pixels, of a calibration or validation target.
const TargetRadius = 22

// SetTargets draws gaze targets (a ring with a centre dot) on a black stage, replacing any image.
func (s *Stage) SetTargets(pts []Point) {
	s.img, s.calibration, s.fixes = nil, false, nil
	s.layout = stage.Layout{W: stage.Width, H: stage.Height}
	s.targets = pts
	s.Refresh()
}

// SetVectors draws lines over the stage (calibration and validation results).
func (s *Stage) SetVectors(v []Vector) {
	s.vectors = v
	s.Refresh()
}

// NewStage makes an empty (black) stage.
func NewStage() *Stage {
	s := &Stage{}
	s.ExtendBaseWidget(s)
	return s
}

// SetImage shows img placed by l. A nil image leaves the stage black.
func (s *Stage) SetImage(img image.Image, l stage.Layout) {
	s.img, s.layout, s.calibration = img, l, false
	s.fixes, s.targets, s.vectors = nil, nil, nil
	s.Refresh()
}

// SetCalibration shows a calibration screen: black with a white disc at the centre.
func (s *Stage) SetCalibration() {
	s.img, s.layout, s.calibration = nil, stage.Layout{W: stage.Width, H: stage.Height}, true
	s.fixes, s.targets, s.vectors = nil, nil, nil
	s.Refresh()
}

// SetOverlay turns the fixation overlay on or off.
func (s *Stage) SetOverlay(on bool) {
	s.overlay = on
	s.Refresh()
}

// Overlay reports whether the fixation overlay is on.
func (s *Stage) Overlay() bool { return s.overlay }

// SetFixations replaces the fixations the overlay draws.
func (s *Stage) SetFixations(f []reading.Fix) {
	same := len(f) == len(s.fixes) && (len(f) == 0 || f[len(f)-1] == s.fixes[len(s.fixes)-1])
	s.fixes = f
	if s.overlay && !same {
		s.Refresh()
	}
}

// Layout is the layout of the image on show.
func (s *Stage) Layout() stage.Layout { return s.layout }

// transform returns the canvas units per stage pixel and the stage origin inside the widget.
func transform(size fyne.Size) (scale float32, origin fyne.Position) {
	scale = min(size.Width/stage.Width, size.Height/stage.Height)
	if scale <= 0 {
		return 0, fyne.Position{}
	}
	return scale, fyne.NewPos((size.Width-stage.Width*scale)/2, (size.Height-stage.Height*scale)/2)
}

// StageToCanvas maps stage pixels to a position inside the widget, in canvas units.
func (s *Stage) StageToCanvas(x, y float64) fyne.Position {
	k, o := transform(s.Size())
	return fyne.NewPos(o.X+float32(x)*k, o.Y+float32(y)*k)
}

// CanvasToStage maps a position inside the widget to stage fractions, and whether it lies on
// the stage.
func (s *Stage) CanvasToStage(p fyne.Position) (fx, fy float64, inside bool) {
	k, o := transform(s.Size())
	if k == 0 {
		return 0, 0, false
	}
	fx = float64((p.X-o.X)/k) / stage.Width
	fy = float64((p.Y-o.Y)/k) / stage.Height
	return fx, fy, fx >= 0 && fx < 1 && fy >= 0 && fy < 1
}

// MouseIn is part of desktop.Hoverable.
func (s *Stage) MouseIn(e *desktop.MouseEvent) { s.pointer(e.Position) }

// MouseMoved is part of desktop.Hoverable.
func (s *Stage) MouseMoved(e *desktop.MouseEvent) { s.pointer(e.Position) }

// MouseOut is part of desktop.Hoverable.
func (s *Stage) MouseOut() {
	if s.OnPointer != nil {
		s.OnPointer(0, 0, false)
	}
}

func (s *Stage) pointer(p fyne.Position) {
	if s.OnPointer != nil {
		s.OnPointer(s.CanvasToStage(p))
	}
}

// CreateRenderer is part of fyne.Widget.
func (s *Stage) CreateRenderer() fyne.WidgetRenderer {
	r := &stageRenderer{s: s, bg: canvas.NewRectangle(stageBlack), disc: canvas.NewCircle(color.White),
		dot: canvas.NewCircle(gazeColor)}
	r.image = canvas.NewImageFromImage(nil)
	r.image.FillMode = canvas.ImageFillStretch
	r.image.ScaleMode = canvas.ImageScaleSmooth
	r.refresh()
	return r
}

type stageRenderer struct {
	s      *Stage
	bg     *canvas.Rectangle
	image  *canvas.Image
	shown  image.Image // the image the canvas object holds, to refresh it only when it changes
	disc   *canvas.Circle
	dot    *canvas.Circle      // live gaze
	marks  []fyne.CanvasObject // targets (ring, dot) then vectors, rebuilt on refresh: few and rare
	rings  []*canvas.Circle
	labels []*canvas.Text
	nfix   int // fixations drawn: fixes[first : first+nfix]
	first  int
	objs   []fyne.CanvasObject
}

func (r *stageRenderer) Destroy() {}

func (r *stageRenderer) MinSize() fyne.Size { return fyne.NewSize(stage.Width/8, stage.Height/8) }

func (r *stageRenderer) Objects() []fyne.CanvasObject { return r.objs }

func (r *stageRenderer) Layout(size fyne.Size) {
	r.bg.Move(fyne.Position{})
	r.bg.Resize(size)
	l := r.s.layout
	rect := l.Rect()
	r.image.Move(r.s.StageToCanvas(float64(rect.Min.X), float64(rect.Min.Y)))
	k, _ := transform(size)
	r.image.Resize(fyne.NewSize(float32(rect.Dx())*k, float32(rect.Dy())*k))

	g := r.s.StageToCanvas(r.s.gaze.X*stage.Width, r.s.gaze.Y*stage.Height)
	gr := max(float32(14)*k, 3)
	r.dot.Move(fyne.NewPos(g.X-gr, g.Y-gr))
	r.dot.Resize(fyne.NewSize(2*gr, 2*gr))

	rad := float32(CalibrationDiscRadius) * k
	c := r.s.StageToCanvas(stage.Width/2, stage.Height/2)
	r.disc.Move(fyne.NewPos(c.X-rad, c.Y-rad))
	r.disc.Resize(fyne.NewSize(2*rad, 2*rad))

	i := 0
	for _, t := range r.s.targets {
		c := r.s.StageToCanvas(t.X*stage.Width, t.Y*stage.Height)
		ro, ri := float32(TargetRadius)*k, float32(4)*k
		r.marks[i].Move(fyne.NewPos(c.X-ro, c.Y-ro))
		r.marks[i].Resize(fyne.NewSize(2*ro, 2*ro))
		r.marks[i+1].Move(fyne.NewPos(c.X-ri, c.Y-ri))
		r.marks[i+1].Resize(fyne.NewSize(2*ri, 2*ri))
		i += 2
	}
	for _, v := range r.s.vectors {
		l := r.marks[i].(*canvas.Line)
		l.Position1 = r.s.StageToCanvas(v.X0*stage.Width, v.Y0*stage.Height)
		l.Position2 = r.s.StageToCanvas(v.X1*stage.Width, v.Y1*stage.Height)
		i++
	}
	for i := 0; i < r.nfix; i++ {
		f := r.s.fixes[r.first+i]
		p := r.s.StageToCanvas(f.X*stage.Width, f.Y*stage.Height)
		rr := fixationRadius(f.Duration) * k
		r.rings[i].Move(fyne.NewPos(p.X-rr, p.Y-rr))
		r.rings[i].Resize(fyne.NewSize(2*rr, 2*rr))
		ls := r.labels[i].MinSize()
		r.labels[i].Move(fyne.NewPos(p.X-ls.Width/2, p.Y-ls.Height/2))
		r.labels[i].Resize(ls)
	}
}

// fixationRadius grows with the square root of the duration, so that area tracks time:
// 100 ms ≈ 16 px, 1 s ≈ 38 px on the stage.
func fixationRadius(seconds float64) float32 {
	return float32(6 + 32*math.Sqrt(math.Max(seconds, 0)))
}

func (r *stageRenderer) Refresh() {
	r.refresh()
	r.Layout(r.s.Size())
	canvas.Refresh(r.s)
}

func (r *stageRenderer) refresh() {
	s := r.s
	if s.img != r.shown {
		r.image.Image = s.img
		r.shown = s.img
		r.image.Refresh()
	}
	r.objs = append(r.objs[:0], r.bg)
	if s.img != nil {
		r.objs = append(r.objs, r.image)
	}
	if s.calibration {
		r.objs = append(r.objs, r.disc)
	}
	r.marks = r.marks[:0]
	for range s.targets {
		ring := canvas.NewCircle(color.Transparent)
		ring.StrokeColor, ring.StrokeWidth = color.White, 3
		dot := canvas.NewCircle(color.White)
		r.marks = append(r.marks, ring, dot)
	}
	for _, v := range s.vectors {
		l := canvas.NewLine(v.Color)
		l.StrokeWidth = 2
		r.marks = append(r.marks, l)
	}
	r.objs = append(r.objs, r.marks...)
	if s.gazeOn {
		r.objs = append(r.objs, r.dot)
	}
	r.nfix = 0
	if !s.overlay {
		return
	}
	// The latest MaxOverlayFixations only, numbered as in the case: a long case has thousands,
	// and every one drawn is redrawn at each refresh.
	r.first = max(0, len(s.fixes)-MaxOverlayFixations)
	shown := s.fixes[r.first:]
	for i := range shown {
		if i >= len(r.rings) {
			ring := canvas.NewCircle(color.Transparent)
			ring.StrokeColor, ring.StrokeWidth = overlayColor, 2
			label := canvas.NewText("", overlayColor)
			label.TextStyle.Bold = true
			r.rings, r.labels = append(r.rings, ring), append(r.labels, label)
		}
		if n := fmt.Sprint(r.first + i + 1); r.labels[i].Text != n {
			r.labels[i].Text = n
			r.labels[i].Refresh()
		}
		r.objs = append(r.objs, r.rings[i], r.labels[i])
	}
	r.nfix = len(shown)
}

// MaxOverlayFixations is how many of the latest fixations the overlay draws.
const MaxOverlayFixations = 50
