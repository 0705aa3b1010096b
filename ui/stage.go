// Package ui provides Sightline's Fyne views: the image stage shared by reading, replay and box
// editing (EditStage wraps it with zoom, pan, window/level, boxes and masks), the reading view with its pause overlay and summary, and the start screen.
package ui

import (
	"fmt"
	"image"
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"sightline/reader/qa"
	"sightline/reader/stage"
)

// CalibrationDiscRadius is the radius, in stage pixels, of the white disc of a calibration
// screen.
const CalibrationDiscRadius = stage.CalibrationDiscRadius

var (
	stageBlack   = color.Gray{Y: 0}
	overlayColor = qa.OverlayColor
	gazeColor    = qa.GazeColor
)

// Layer is one of the stage's layers. All are drawn over one image with one mapping (stage
// pixels to canvas units), bottom to top in this order; each can be shown or hidden alone, and
// a change to one redraws that layer only.
type Layer int

// The stage's layers.
const (
	LayerImage     Layer = iota // the case's image, or a calibration screen's disc
	LayerMasks                  // segmentation masks, tinted over the image (an EditStage's only)
	LayerBoxes                  // anatomical boxes, labels and handles (an EditStage's only)
	LayerTargets                // calibration and validation targets, and result vectors
	LayerGaze                   // the latest gaze point and its trail
	LayerFixations              // numbered fixation rings sized by duration (the overlay)
	LayerScanpath               // lines joining the overlay's fixations, fading towards the oldest
	numLayers
)

// Stage draws the 1920×1080 reading stage letterboxed uniformly into whatever size it is
// given: black, then its layers (image, targets, gaze, fixations). It reports the pointer as
// stage fractions (mouse-as-gaze).
type Stage struct {
	widget.BaseWidget

	// OnPointer receives the pointer position as stage fractions; inside is false when the
	// pointer left the widget or the stage.
	OnPointer func(fx, fy float64, inside bool)
	// OnMove, when set, receives every pointer move with its buttons (Fyne sends no drag
	// events for the right button: the box editor pans with it from these).
	OnMove func(e *desktop.MouseEvent)

	img         image.Image
	layout      stage.Layout
	calibration bool
	fixes       []stage.Fix
	targets     []Point
	vectors     []Vector
	gaze        Point // the latest gaze, drawn when gazeOn
	gazeOn      bool
	trail       []Point

	shown [numLayers]bool
	dirty [numLayers]bool // changed since the renderer last drew the layer

	view stageView // how the stage is viewed: plainView, or the EditStage that wraps it
}

// stageView is how a stage is viewed. The plain view shows the whole stage letterboxed and
// draws every layer the stage's own way; an EditStage zooms and pans it, draws the image,
// mask and box layers itself and draws more fixations, unnumbered.
type stageView interface {
	// viewMapping is the mapping for a widget of size, given its letterbox mapping.
	viewMapping(size fyne.Size, letterbox mapping) mapping
	// viewMoved reports, once, that the view moved since the layers were placed: every layer
	// needs placing again.
	viewMoved() bool
	// drawer is the view's own drawer for layer l, nil for the stage's.
	drawer(l Layer) layerDrawer
	// fixationStyle is how many of the latest fixations are drawn, and whether numbered.
	fixationStyle() (limit int, numbered bool)
}

// plainView is the view of reading, the operator's console and replay.
type plainView struct{}

func (plainView) viewMapping(_ fyne.Size, m mapping) mapping { return m }
func (plainView) viewMoved() bool                            { return false }
func (plainView) drawer(Layer) layerDrawer                   { return nil }
func (plainView) fixationStyle() (int, bool)                 { return MaxOverlayFixations, true }

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

// MaxOverlayFixations is how many of the latest fixations the overlay draws.
const MaxOverlayFixations = qa.OverlayFixations

// MaxTrail is how many of the latest gaze points the trail draws.
const MaxTrail = 60

// NewStage makes an empty (black) stage: image, targets and gaze layers shown, the fixation
// overlay hidden.
func NewStage() *Stage {
	s := newStage()
	s.ExtendBaseWidget(s)
	return s
}

// newStage is a stage not yet extended as a widget: a wrapper (EditStage) extends it as itself.
func newStage() *Stage {
	s := &Stage{view: plainView{}}
	s.shown = [numLayers]bool{LayerImage: true, LayerTargets: true, LayerGaze: true}
	return s
}

// changed marks layers to redraw and asks for a refresh when one of them is shown.
func (s *Stage) changed(ls ...Layer) {
	show := false
	for _, l := range ls {
		s.dirty[l] = true
		show = show || s.shown[l]
	}
	if show {
		s.Refresh()
	}
}

// ShowLayer shows or hides one layer.
func (s *Stage) ShowLayer(l Layer, on bool) {
	if l < 0 || l >= numLayers || s.shown[l] == on {
		return
	}
	s.shown[l] = on
	s.dirty[l] = true
	s.Refresh()
}

// LayerShown reports whether a layer is shown.
func (s *Stage) LayerShown(l Layer) bool { return l >= 0 && l < numLayers && s.shown[l] }

// SetGaze draws the latest gaze point as a dot (the operator's live view); ok false hides it.
func (s *Stage) SetGaze(x, y float64, ok bool) {
	if s.gazeOn == ok && s.gaze == (Point{x, y}) {
		return
	}
	s.gaze, s.gazeOn = Point{x, y}, ok
	s.changed(LayerGaze)
}

// SetTrail draws the gaze's recent path, oldest first, fading towards the oldest; the latest
// MaxTrail points are drawn.
func (s *Stage) SetTrail(pts []Point) {
	s.trail = pts
	s.changed(LayerGaze)
}

// SetTargets draws gaze targets (a ring with a centre dot) on a black stage, replacing any image.
func (s *Stage) SetTargets(pts []Point) {
	s.img, s.calibration, s.fixes = nil, false, nil
	s.layout = stage.Layout{W: stage.Width, H: stage.Height}
	s.targets = pts
	s.changed(LayerImage, LayerTargets, LayerFixations, LayerScanpath)
}

// SetVectors draws lines over the stage (calibration and validation results).
func (s *Stage) SetVectors(v []Vector) {
	s.vectors = v
	s.changed(LayerTargets)
}

// SetImage shows img placed by l, and clears the targets, vectors and fixations. A nil image
// leaves the stage black.
func (s *Stage) SetImage(img image.Image, l stage.Layout) {
	s.img, s.layout, s.calibration = img, l, false
	s.fixes, s.targets, s.vectors = nil, nil, nil
	s.changed(LayerImage, LayerTargets, LayerFixations, LayerScanpath)
}

// SetCalibration shows a calibration screen: black with a white disc at the centre.
func (s *Stage) SetCalibration() {
	s.img, s.layout, s.calibration = nil, stage.Layout{W: stage.Width, H: stage.Height}, true
	s.fixes, s.targets, s.vectors = nil, nil, nil
	s.changed(LayerImage, LayerTargets, LayerFixations, LayerScanpath)
}

// SetOverlay shows or hides the fixation overlay (LayerFixations).
func (s *Stage) SetOverlay(on bool) { s.ShowLayer(LayerFixations, on) }

// Overlay reports whether the fixation overlay is on.
func (s *Stage) Overlay() bool { return s.shown[LayerFixations] }

// SetFixations replaces the fixations the overlay draws.
func (s *Stage) SetFixations(f []stage.Fix) {
	same := len(f) == len(s.fixes) && (len(f) == 0 || f[len(f)-1] == s.fixes[len(s.fixes)-1])
	s.fixes = f
	if !same {
		s.changed(LayerFixations, LayerScanpath)
	}
}

// Layout is the layout of the image on show.
func (s *Stage) Layout() stage.Layout { return s.layout }

// mapping places stage pixels in the widget: canvas units per stage pixel and the stage's
// origin, letterboxed.
type mapping struct {
	k float32
	o fyne.Position
}

// mapping is the stage's mapping for a widget of size, through its view.
func (s *Stage) mapping(size fyne.Size) mapping { return s.view.viewMapping(size, mappingOf(size)) }

// mappingOf is the letterbox: the whole stage fitted into size.
func mappingOf(size fyne.Size) mapping {
	k := min(size.Width/stage.Width, size.Height/stage.Height)
	if k <= 0 {
		return mapping{}
	}
	return mapping{k, fyne.NewPos((size.Width-stage.Width*k)/2, (size.Height-stage.Height*k)/2)}
}

// at maps stage pixels to canvas units.
func (m mapping) at(x, y float64) fyne.Position {
	return fyne.NewPos(m.o.X+float32(x)*m.k, m.o.Y+float32(y)*m.k)
}

// frac maps stage fractions to canvas units.
func (m mapping) frac(p Point) fyne.Position { return m.at(p.X*stage.Width, p.Y*stage.Height) }

// StageToCanvas maps stage pixels to a position inside the widget, in canvas units.
func (s *Stage) StageToCanvas(x, y float64) fyne.Position { return s.mapping(s.Size()).at(x, y) }

// CanvasToStage maps a position inside the widget to stage fractions, and whether it lies on
// the stage.
func (s *Stage) CanvasToStage(p fyne.Position) (fx, fy float64, inside bool) {
	m := s.mapping(s.Size())
	if m.k == 0 {
		return 0, 0, false
	}
	fx = float64((p.X-m.o.X)/m.k) / stage.Width
	fy = float64((p.Y-m.o.Y)/m.k) / stage.Height
	return fx, fy, fx >= 0 && fx < 1 && fy >= 0 && fy < 1
}

// MouseIn is part of desktop.Hoverable.
func (s *Stage) MouseIn(e *desktop.MouseEvent) { s.pointer(e.Position) }

// MouseMoved is part of desktop.Hoverable.
func (s *Stage) MouseMoved(e *desktop.MouseEvent) {
	s.pointer(e.Position)
	if s.OnMove != nil {
		s.OnMove(e)
	}
}

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

// layerDrawer draws one layer: update takes the stage's data into canvas objects (reusing
// those it made before), place positions them through the mapping.
type layerDrawer interface {
	update(s *Stage)
	place(s *Stage, m mapping)
	objects() []fyne.CanvasObject
}

// CreateRenderer is part of fyne.Widget.
func (s *Stage) CreateRenderer() fyne.WidgetRenderer {
	r := &stageRenderer{s: s, bg: canvas.NewRectangle(stageBlack)}
	r.layers = [numLayers]layerDrawer{
		LayerImage:     newImageLayer(),
		LayerMasks:     noLayer{},
		LayerBoxes:     noLayer{},
		LayerTargets:   &targetLayer{},
		LayerGaze:      &gazeLayer{dot: canvas.NewCircle(gazeColor)},
		LayerFixations: &fixationLayer{},
		LayerScanpath:  &scanpathLayer{},
	}
	for l := range numLayers {
		if d := s.view.drawer(l); d != nil {
			r.layers[l] = d
		}
	}
	for l := range s.dirty {
		s.dirty[l] = true
	}
	r.refresh()
	return r
}

type stageRenderer struct {
	s       *Stage
	bg      *canvas.Rectangle
	layers  [numLayers]layerDrawer
	size    fyne.Size // the size the layers were placed for
	objs    []fyne.CanvasObject
	updates [numLayers]int // layer updates, for the tests
}

func (r *stageRenderer) Destroy() {}

func (r *stageRenderer) MinSize() fyne.Size { return fyne.NewSize(stage.Width/8, stage.Height/8) }

func (r *stageRenderer) Objects() []fyne.CanvasObject { return r.objs }

func (r *stageRenderer) Layout(size fyne.Size) {
	r.size = size
	r.bg.Move(fyne.Position{})
	r.bg.Resize(size)
	m := r.s.mapping(size)
	for l, d := range r.layers {
		if r.s.shown[l] {
			d.place(r.s, m)
		}
	}
}

func (r *stageRenderer) Refresh() {
	placed := r.refresh()
	if sz := r.s.Size(); sz != r.size || r.s.view.viewMoved() {
		r.Layout(sz)
	} else {
		m := r.s.mapping(sz)
		for _, l := range placed {
			r.layers[l].place(r.s, m)
		}
	}
	canvas.Refresh(r.s)
}

// refresh updates the layers that changed and gathers the shown layers' objects; it returns
// the layers updated, which need placing.
func (r *stageRenderer) refresh() []Layer {
	var placed []Layer
	for l := range numLayers {
		if r.s.dirty[l] && r.s.shown[l] {
			r.s.dirty[l] = false
			r.layers[l].update(r.s)
			r.updates[l]++
			placed = append(placed, l)
		}
	}
	r.objs = append(r.objs[:0], r.bg)
	for l, d := range r.layers {
		if r.s.shown[l] {
			r.objs = append(r.objs, d.objects()...)
		}
	}
	return placed
}

// noLayer draws nothing: the plain stage's mask and box layers.
type noLayer struct{}

func (noLayer) update(*Stage)                { /* nothing to draw */ }
func (noLayer) place(*Stage, mapping)        { /* nothing to place */ }
func (noLayer) objects() []fyne.CanvasObject { return nil }

// imageLayer is the case's image (its drawn rectangle) or a calibration screen's disc.
type imageLayer struct {
	image *canvas.Image
	shown image.Image // the image the canvas object holds, to refresh it only when it changes
	disc  *canvas.Circle
	objs  []fyne.CanvasObject
}

func newImageLayer() *imageLayer {
	l := &imageLayer{disc: canvas.NewCircle(color.White)}
	l.image = canvas.NewImageFromImage(nil)
	l.image.FillMode = canvas.ImageFillStretch
	l.image.ScaleMode = canvas.ImageScaleSmooth
	return l
}

func (l *imageLayer) update(s *Stage) {
	if s.img != l.shown {
		l.image.Image, l.shown = s.img, s.img
		l.image.Refresh()
	}
	l.objs = l.objs[:0]
	if s.img != nil {
		l.objs = append(l.objs, l.image)
	}
	if s.calibration {
		l.objs = append(l.objs, l.disc)
	}
}

func (l *imageLayer) place(s *Stage, m mapping) {
	rect := s.layout.Rect()
	l.image.Move(m.at(float64(rect.Min.X), float64(rect.Min.Y)))
	l.image.Resize(fyne.NewSize(float32(rect.Dx())*m.k, float32(rect.Dy())*m.k))
	circle(l.disc, m.at(stage.Width/2, stage.Height/2), float32(CalibrationDiscRadius)*m.k)
}

func (l *imageLayer) objects() []fyne.CanvasObject { return l.objs }

// circle centres c on p with radius r, in canvas units.
func circle(c *canvas.Circle, p fyne.Position, r float32) {
	c.Move(fyne.NewPos(p.X-r, p.Y-r))
	c.Resize(fyne.NewSize(2*r, 2*r))
}

// targetLayer draws the targets (ring and centre dot) and the vectors.
type targetLayer struct {
	rings, dots []*canvas.Circle
	lines       []*canvas.Line
	objs        []fyne.CanvasObject
}

func (l *targetLayer) update(s *Stage) {
	for len(l.rings) < len(s.targets) {
		ring := canvas.NewCircle(color.Transparent)
		ring.StrokeColor, ring.StrokeWidth = color.White, 3
		l.rings, l.dots = append(l.rings, ring), append(l.dots, canvas.NewCircle(color.White))
	}
	for len(l.lines) < len(s.vectors) {
		line := canvas.NewLine(color.White)
		line.StrokeWidth = 2
		l.lines = append(l.lines, line)
	}
	l.objs = l.objs[:0]
	for i := range s.targets {
		l.objs = append(l.objs, l.rings[i], l.dots[i])
	}
	for i, v := range s.vectors {
		if l.lines[i].StrokeColor != v.Color {
			l.lines[i].StrokeColor = v.Color
			l.lines[i].Refresh()
		}
		l.objs = append(l.objs, l.lines[i])
	}
}

func (l *targetLayer) place(s *Stage, m mapping) {
	for i, t := range s.targets {
		if i >= len(l.rings) {
			break
		}
		c := m.frac(t)
		circle(l.rings[i], c, float32(TargetRadius)*m.k)
		circle(l.dots[i], c, 4*m.k)
	}
	for i, v := range s.vectors {
		if i >= len(l.lines) {
			break
		}
		l.lines[i].Position1 = m.frac(Point{v.X0, v.Y0})
		l.lines[i].Position2 = m.frac(Point{v.X1, v.Y1})
	}
}

func (l *targetLayer) objects() []fyne.CanvasObject { return l.objs }

// gazeLayer draws the trail (segments fading towards the oldest) and the latest gaze point.
type gazeLayer struct {
	dot  *canvas.Circle
	segs []*canvas.Line
	from int // trail[from:] is drawn
	nseg int
	objs []fyne.CanvasObject
}

func (l *gazeLayer) update(s *Stage) {
	l.from = max(0, len(s.trail)-MaxTrail)
	l.nseg = max(0, len(s.trail)-l.from-1)
	for len(l.segs) < l.nseg {
		seg := canvas.NewLine(gazeColor)
		seg.StrokeWidth = 2
		l.segs = append(l.segs, seg)
	}
	l.objs = l.objs[:0]
	for i := range l.nseg {
		// Older segments fade: the newest is as opaque as the dot, the oldest nearly gone.
		c := gazeColor
		c.A = uint8(float64(gazeColor.A) * qa.Fade(i, l.nseg))
		if l.segs[i].StrokeColor != c {
			l.segs[i].StrokeColor = c
			l.segs[i].Refresh()
		}
		l.objs = append(l.objs, l.segs[i])
	}
	if s.gazeOn {
		l.objs = append(l.objs, l.dot)
	}
}

func (l *gazeLayer) place(s *Stage, m mapping) {
	circle(l.dot, m.frac(s.gaze), max(14*m.k, 3))
	for i := range l.nseg {
		if l.from+i+1 >= len(s.trail) {
			break
		}
		l.segs[i].Position1 = m.frac(s.trail[l.from+i])
		l.segs[i].Position2 = m.frac(s.trail[l.from+i+1])
	}
}

func (l *gazeLayer) objects() []fyne.CanvasObject { return l.objs }

// fixationLayer draws the latest MaxOverlayFixations fixations as rings sized by duration,
// numbered as in the case.
type fixationLayer struct {
	rings  []*canvas.Circle
	labels []*canvas.Text
	first  int // fixes[first : first+n] are drawn
	n      int
	objs   []fyne.CanvasObject
}

// fixationRadius is qa.FixationRadius: the review videos draw the rings alike.
func fixationRadius(seconds float64) float32 { return float32(qa.FixationRadius(seconds)) }

func (l *fixationLayer) update(s *Stage) {
	// The latest MaxOverlayFixations only: a long case has thousands, and every one drawn is
	// redrawn at each refresh.
	limit, numbered := s.view.fixationStyle()
	l.first = max(0, len(s.fixes)-limit)
	shown := s.fixes[l.first:]
	l.objs = l.objs[:0]
	for i := range shown {
		if i >= len(l.rings) {
			ring := canvas.NewCircle(color.Transparent)
			ring.StrokeColor, ring.StrokeWidth = overlayColor, 2
			label := canvas.NewText("", overlayColor)
			label.TextStyle.Bold = true
			l.rings, l.labels = append(l.rings, ring), append(l.labels, label)
		}
		if n := fmt.Sprint(l.first + i + 1); l.labels[i].Text != n {
			l.labels[i].Text = n
			l.labels[i].Refresh()
		}
		l.objs = append(l.objs, l.rings[i])
		if numbered { // the box editor shows several readers' fixations: their order says little
			l.objs = append(l.objs, l.labels[i])
		}
	}
	l.n = len(shown)
}

func (l *fixationLayer) place(s *Stage, m mapping) {
	for i := 0; i < l.n && l.first+i < len(s.fixes); i++ {
		f := s.fixes[l.first+i]
		p := m.frac(Point{f.X, f.Y})
		circle(l.rings[i], p, fixationRadius(f.Duration)*m.k)
		ls := l.labels[i].MinSize()
		l.labels[i].Move(fyne.NewPos(p.X-ls.Width/2, p.Y-ls.Height/2))
		l.labels[i].Resize(ls)
	}
}

func (l *fixationLayer) objects() []fyne.CanvasObject { return l.objs }

// scanpathLayer joins the fixations the overlay draws in their order, the newest line as
// opaque as the rings and the oldest nearly gone: where the eyes went, and in which order.
type scanpathLayer struct {
	lines []*canvas.Line
	first int // fixes[first:] are joined
	n     int // lines drawn
	objs  []fyne.CanvasObject
}

func (l *scanpathLayer) update(s *Stage) {
	l.first = max(0, len(s.fixes)-MaxOverlayFixations)
	l.n = max(0, len(s.fixes)-l.first-1)
	for len(l.lines) < l.n {
		line := canvas.NewLine(overlayColor)
		line.StrokeWidth = 2
		l.lines = append(l.lines, line)
	}
	l.objs = l.objs[:0]
	for i := range l.n {
		c := overlayColor
		c.A = uint8(float64(overlayColor.A) * qa.Fade(i, l.n))
		if l.lines[i].StrokeColor != c {
			l.lines[i].StrokeColor = c
			l.lines[i].Refresh()
		}
		l.objs = append(l.objs, l.lines[i])
	}
}

func (l *scanpathLayer) place(s *Stage, m mapping) {
	for i := 0; i < l.n && l.first+i+1 < len(s.fixes); i++ {
		a, b := s.fixes[l.first+i], s.fixes[l.first+i+1]
		l.lines[i].Position1 = m.frac(Point{a.X, a.Y})
		l.lines[i].Position2 = m.frac(Point{b.X, b.Y})
	}
}

func (l *scanpathLayer) objects() []fyne.CanvasObject { return l.objs }
