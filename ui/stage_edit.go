package ui

import (
	"encoding/binary"
	"image"
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"

	"sightline/reader/boxedit"
	"sightline/reader/review"
	"sightline/reader/stage"
)

// MaxZoom is the largest zoom: one DICOM pixel then spans many screen pixels.
const MaxZoom = 32

// EditStage is the box editor's stage: a Stage with zoom and pan (one more factor and offset
// in the stage's one mapping, so every layer follows), window/level, the box layer and the
// mask layer. It draws its image through a raster that samples exactly the pixels on screen at
// the canvas's own resolution, so a 4× zoom of a full-resolution DICOM costs what the window's
// pixels cost, and window/level is a lookup table on the way. The plain Stage knows none of
// this: it asks its view (here, the EditStage) for the mapping and the layers drawn otherwise.
type EditStage struct {
	*Stage

	zoom   float64
	cx, cy float64 // the stage point at the widget's centre, in stage pixels
	moved  bool    // the view changed since the layers were placed
	// fit keeps the image's drawn rectangle filling the widget, whatever its size, until
	// the view is zoomed or panned.
	fit bool

	center, width float64 // window/level over the 0–255 grey levels
	lut           [256]uint8

	boxes []BoxShape
	masks []Mask
}

// BoxShape is one box the box layer draws, in DICOM pixels of the image on show.
type BoxShape struct {
	X1, X2, Y1, Y2 float64
	Color          color.NRGBA
	Label          string
	Selected       bool // drawn thicker, with its 8 handles
	Faint          bool // drawn thin and see-through (another person's rival edit)
	// Margin, when > 0, draws a faint outline that far outside the box (DICOM pixels): the
	// gaze aid's "may be too tight" hint.
	Margin float64
}

// Mask is a segmentation mask drawn tinted over the image: pixels of Image with a grey level
// above zero are in the mask. Its size may differ from the image's: it is stretched over it.
type Mask struct {
	Name  string
	Image *image.Gray
	Color color.NRGBA
}

// NewEditStage makes a stage for the box editor: zoom, pan and window/level on, the box and
// mask layers shown, the gaze and target layers hidden.
func NewEditStage() *EditStage {
	e := &EditStage{Stage: newStage(), zoom: 1, cx: stage.Width / 2, cy: stage.Height / 2}
	e.view = e
	e.setWindow(127.5, 255)
	e.shown[LayerMasks], e.shown[LayerBoxes], e.shown[LayerGaze], e.shown[LayerTargets] = true, true, false, false
	e.ExtendBaseWidget(e)
	return e
}

// viewMapping adds the zoom and pan to the letterbox.
func (e *EditStage) viewMapping(size fyne.Size, m mapping) mapping {
	if m.k == 0 {
		return m
	}
	if e.fit {
		e.fitView(size, m)
	}
	k := m.k * float32(e.zoom)
	return mapping{k, fyne.NewPos(size.Width/2-float32(e.cx)*k, size.Height/2-float32(e.cy)*k)}
}

// drawer: the image through the sampling raster, the masks tinted into it, the boxes.
func (e *EditStage) drawer(l Layer) layerDrawer {
	switch l {
	case LayerImage:
		return newRasterImageLayer(e)
	case LayerMasks:
		return maskLayer{}
	case LayerBoxes:
		return &boxLayer{e: e}
	}
	return nil
}

// MaxEditFixations is how many fixations an editing stage draws: every reader's fixations on
// the image, where the reading overlay draws only the latest MaxOverlayFixations.
const MaxEditFixations = 2000

// fixationStyle: every reader's fixations, unnumbered (their order says little).
func (e *EditStage) fixationStyle() (int, bool) { return MaxEditFixations, false }

// fitView sets the zoom and centre that make the image's drawn rectangle fill size.
func (e *EditStage) fitView(size fyne.Size, m mapping) {
	r := e.layout.Rect()
	if r.Dx() <= 0 || r.Dy() <= 0 {
		e.zoom, e.cx, e.cy = 1, stage.Width/2, stage.Height/2
		return
	}
	z := min(float64(size.Width)/(float64(r.Dx())*float64(m.k)), float64(size.Height)/(float64(r.Dy())*float64(m.k)))
	e.zoom = math.Max(1, math.Min(MaxZoom, z))
	e.cx, e.cy = float64(r.Min.X+r.Max.X)/2, float64(r.Min.Y+r.Max.Y)/2
}

// FitImage zooms so that the image fills the widget, and keeps it so as the widget is
// resized, until the next zoom or pan.
func (e *EditStage) FitImage() {
	e.fit, e.moved = true, true
	e.Refresh()
}

// viewMoved reports, once, that the zoom or pan changed: every layer needs placing again.
func (e *EditStage) viewMoved() bool {
	if !e.moved {
		return false
	}
	e.moved = false
	return true
}

// Zoom is the zoom (1: the whole stage fits) and the stage point at the centre, in stage
// pixels.
func (e *EditStage) Zoom() (zoom, cx, cy float64) { return e.zoom, e.cx, e.cy }

// SetZoom zooms to z (1…MaxZoom) centred on the stage point (cx, cy), kept so that the stage
// never leaves the middle of the widget.
func (e *EditStage) SetZoom(z, cx, cy float64) {
	z = math.Max(1, math.Min(MaxZoom, z))
	cx = math.Max(0, math.Min(stage.Width, cx))
	cy = math.Max(0, math.Min(stage.Height, cy))
	if z == e.zoom && cx == e.cx && cy == e.cy && !e.fit {
		return
	}
	e.zoom, e.cx, e.cy, e.moved, e.fit = z, cx, cy, true, false
	e.Refresh()
}

// ZoomAt multiplies the zoom by f keeping the stage point under p (canvas units) in place.
func (e *EditStage) ZoomAt(f float64, p fyne.Position) {
	m := e.mapping(e.Size())
	if m.k == 0 {
		return
	}
	z := math.Max(1, math.Min(MaxZoom, e.zoom*f))
	sx, sy := float64((p.X-m.o.X)/m.k), float64((p.Y-m.o.Y)/m.k) // under the pointer
	size := e.Size()
	k := float64(mappingOf(size).k) * z
	// After: size/2 − c·k + sx·k = p  ⇒  c = sx − (p − size/2)/k.
	e.SetZoom(z, sx-(float64(p.X)-float64(size.Width)/2)/k, sy-(float64(p.Y)-float64(size.Height)/2)/k)
}

// PanBy moves the image by (dx, dy) canvas units.
func (e *EditStage) PanBy(dx, dy float32) {
	k := float64(e.mapping(e.Size()).k)
	if k == 0 {
		return
	}
	e.SetZoom(e.zoom, e.cx-float64(dx)/k, e.cy-float64(dy)/k)
}

// Window is the window/level: the centre and width over the image's 0–255 grey levels.
func (e *EditStage) Window() (center, width float64) { return e.center, e.width }

// SetWindow sets the window/level (width at least 1).
func (e *EditStage) SetWindow(center, width float64) {
	width = math.Max(1, math.Min(1024, width))
	center = math.Max(-256, math.Min(512, center))
	if center == e.center && width == e.width {
		return
	}
	e.setWindow(center, width)
	e.changed(LayerImage)
}

func (e *EditStage) setWindow(center, width float64) {
	e.center, e.width = center, width
	lo := center - width/2
	for v := range 256 {
		e.lut[v] = uint8(math.Round(255 * math.Max(0, math.Min(1, (float64(v)-lo)/width))))
	}
}

// SetBoxes replaces the boxes the box layer draws.
func (e *EditStage) SetBoxes(b []BoxShape) {
	e.boxes = b
	e.changed(LayerBoxes)
}

// SetMasks replaces the segmentation masks.
func (e *EditStage) SetMasks(m []Mask) {
	e.masks = m
	e.changed(LayerMasks, LayerImage)
}

// DicomView is where the image's DICOM pixels lie in the widget now: canvas units per DICOM
// pixel and the origin, through the layout, the letterbox, the zoom and the pan.
func (e *EditStage) DicomView() boxedit.View {
	m := e.mapping(e.Size())
	l := e.layout
	if l.W <= 0 {
		return boxedit.View{}
	}
	r := l.Rect()
	k := float64(m.k) * float64(r.Dx()) / float64(l.W)
	return boxedit.View{K: k, OX: float64(m.o.X) + float64(r.Min.X)*float64(m.k), OY: float64(m.o.Y) + float64(r.Min.Y)*float64(m.k)}
}

// rasterImageLayer draws the image by sampling, for every pixel of the widget, the image
// pixel under it (nearest neighbour: at a high zoom the pixels are seen as they are), through
// the window/level table, with the masks tinted on top when their layer is shown.
type rasterImageLayer struct {
	e      *EditStage
	raster *canvas.Raster
	buf    *image.RGBA
	objs   []fyne.CanvasObject
}

func newRasterImageLayer(e *EditStage) *rasterImageLayer {
	l := &rasterImageLayer{e: e}
	l.raster = canvas.NewRaster(l.generate)
	return l
}

func (l *rasterImageLayer) update(s *Stage) {
	l.objs = append(l.objs[:0], l.raster)
	l.raster.Refresh()
}

func (l *rasterImageLayer) place(s *Stage, m mapping) {
	size := s.Size()
	if l.raster.Size() != size || l.raster.Position() != (fyne.Position{}) {
		l.raster.Move(fyne.Position{})
		l.raster.Resize(size)
	}
	l.raster.Refresh()
}

func (l *rasterImageLayer) objects() []fyne.CanvasObject { return l.objs }

// generate renders w×h output pixels covering the widget.
func (l *rasterImageLayer) generate(w, h int) image.Image {
	if l.buf == nil || l.buf.Rect.Dx() != w || l.buf.Rect.Dy() != h {
		l.buf = image.NewRGBA(image.Rect(0, 0, w, h))
	}
	renderView(l.buf, l.e)
	return l.buf
}

// renderView fills out (the widget at out's resolution) with the stage's image as the
// mapping places it: each output pixel takes the image pixel under its centre through the
// window/level table; output rows that fall on the same image row are copies of the first.
func renderView(out *image.RGBA, s *EditStage) {
	w, h := out.Rect.Dx(), out.Rect.Dy()
	g, ok := s.img.(*image.Gray)
	size := s.Size()
	var m mapping
	var r image.Rectangle
	if ok && size.Width > 0 {
		m, r = s.mapping(size), s.layout.Rect()
	}
	if !ok || w == 0 || h == 0 || m.k == 0 || r.Dx() <= 0 || r.Dy() <= 0 {
		fillBlack(out.Pix)
		return
	}
	v := newViewSampler(s, g, w, h, size, m, r)
	prev := -1 // the image row the previous output row shows
	for y := range h {
		prev = v.row(out, y, prev)
	}
}

// opaqueBlack is an opaque black pixel, little-endian RGBA.
const opaqueBlack = 0xff000000

// fillBlack paints RGBA pixels opaque black.
func fillBlack(pix []uint8) {
	for i := 0; i+4 <= len(pix); i += 4 {
		binary.LittleEndian.PutUint32(pix[i:], opaqueBlack)
	}
}

// viewSampler maps the output's pixels to the image's: the image column under each output
// column, the window/level table as whole pixels, and the masks shown.
type viewSampler struct {
	g      *image.Gray
	xs     []int // per output column, the image column (−1 off the image)
	lut    [256]uint32
	masks  []maskSampler
	uy, fy float64 // canvas units per output row; image rows per stage pixel
	m      mapping
	minY   float64 // the drawn rectangle's top, in stage pixels
	w, gh  int
}

func newViewSampler(s *EditStage, g *image.Gray, w, h int, size fyne.Size, m mapping, r image.Rectangle) *viewSampler {
	gw, gh := g.Rect.Dx(), g.Rect.Dy()
	v := &viewSampler{g: g, xs: make([]int, w), m: m, minY: float64(r.Min.Y), w: w, gh: gh,
		uy: float64(size.Height) / float64(h), fy: float64(gh) / float64(r.Dy())}
	// Output pixel (x+0.5) in canvas units → stage pixels → image pixels.
	ux := float64(size.Width) / float64(w)
	fx := float64(gw) / float64(r.Dx())
	for x := range w {
		sx := (float64(x)+0.5)*ux - float64(m.o.X)
		ix := math.Floor((sx/float64(m.k) - float64(r.Min.X)) * fx)
		v.xs[x] = -1
		if ix >= 0 && ix < float64(gw) {
			v.xs[x] = int(ix)
		}
	}
	for i, l := range s.lut {
		v.lut[i] = opaqueBlack | uint32(l)<<16 | uint32(l)<<8 | uint32(l)
	}
	if s.shown[LayerMasks] {
		for _, mk := range s.masks {
			if mk.Image != nil && mk.Image.Rect.Dx() > 0 {
				v.masks = append(v.masks, newMaskSampler(mk, gw, gh, v.xs))
			}
		}
	}
	return v
}

// row fills output row y and returns the image row it shows (−1 for none); prev is the one
// the row before showed, which this row copies when it shows the same.
func (v *viewSampler) row(out *image.RGBA, y, prev int) int {
	row := out.Pix[y*out.Stride : y*out.Stride+4*v.w]
	sy := (float64(y)+0.5)*v.uy - float64(v.m.o.Y)
	fiy := math.Floor((sy/float64(v.m.k) - v.minY) * v.fy)
	if fiy < 0 || fiy >= float64(v.gh) {
		fillBlack(row)
		return -1
	}
	iy := int(fiy)
	if iy == prev {
		copy(row, out.Pix[(y-1)*out.Stride:(y-1)*out.Stride+4*v.w])
		return iy
	}
	src := v.g.Pix[v.g.PixOffset(v.g.Rect.Min.X, v.g.Rect.Min.Y+iy):]
	for x, ix := range v.xs {
		p := uint32(opaqueBlack)
		if ix >= 0 {
			p = v.lut[src[ix]]
		}
		binary.LittleEndian.PutUint32(row[4*x:], p)
	}
	for _, ms := range v.masks {
		ms.tint(row, iy)
	}
	return iy
}

// maskSampler tints the output pixels whose image pixel lies in a mask.
type maskSampler struct {
	m          Mask
	xs         []int // per output column, the mask column (−1 off)
	fy         float64
	mh         int
	r, g, b, a uint32
}

func newMaskSampler(mk Mask, gw, gh int, imgXs []int) maskSampler {
	mw, mh := mk.Image.Rect.Dx(), mk.Image.Rect.Dy()
	s := maskSampler{m: mk, xs: make([]int, len(imgXs)), fy: float64(mh) / float64(gh), mh: mh}
	for i, ix := range imgXs {
		s.xs[i] = -1
		if ix >= 0 {
			s.xs[i] = min(mw-1, int(float64(ix)*float64(mw)/float64(gw)))
		}
	}
	s.r, s.g, s.b, s.a = uint32(mk.Color.R), uint32(mk.Color.G), uint32(mk.Color.B), uint32(mk.Color.A)
	return s
}

func (s maskSampler) tint(row []uint8, iy int) {
	my := min(s.mh-1, int(float64(iy)*s.fy))
	img := s.m.Image
	src := img.Pix[my*img.Stride:]
	for x, mx := range s.xs {
		if mx < 0 || src[mx] == 0 {
			continue
		}
		p := row[4*x : 4*x+3]
		p[0] = uint8((uint32(p[0])*(255-s.a) + s.r*s.a) / 255)
		p[1] = uint8((uint32(p[1])*(255-s.a) + s.g*s.a) / 255)
		p[2] = uint8((uint32(p[2])*(255-s.a) + s.b*s.a) / 255)
	}
}

// maskLayer has no objects of its own: the masks are tinted into the image raster (one
// texture for the whole view). Showing or hiding it redraws the image layer.
type maskLayer struct{}

func (maskLayer) update(s *Stage)              { s.dirty[LayerImage] = true }
func (maskLayer) place(*Stage, mapping)        {}
func (maskLayer) objects() []fyne.CanvasObject { return nil }

// boxLayer draws the boxes: an outline in the zone's colour, its label inside the top left
// corner, the selected box's 8 handles, and the faint "may be too tight" margin.
type boxLayer struct {
	e       *EditStage
	rects   []*canvas.Rectangle
	margins []*canvas.Rectangle
	labels  []*canvas.Text
	backs   []*canvas.Rectangle // a dark plate behind each label, readable over any grey
	handles [8]*canvas.Rectangle
	objs    []fyne.CanvasObject
	sel     int // the selected box, −1 for none
}

// HandleSize is a handle's side in canvas units.
const HandleSize = 9

func (l *boxLayer) update(*Stage) {
	boxes := l.e.boxes
	l.grow(len(boxes))
	l.objs, l.sel = l.objs[:0], -1
	for i, b := range boxes {
		if b.Selected {
			l.sel = i
		}
		l.style(i, b)
	}
	// Labels above every outline, so that no box hides another's name.
	for i, b := range boxes {
		if b.Label != "" {
			l.objs = append(l.objs, l.backs[i], l.labels[i])
		}
	}
	if l.sel >= 0 {
		for _, h := range l.handles {
			l.objs = append(l.objs, h)
		}
	}
}

// grow makes the handles once and the canvas objects of n boxes.
func (l *boxLayer) grow(n int) {
	if l.handles[0] == nil {
		for i := range l.handles {
			h := canvas.NewRectangle(color.White)
			h.StrokeColor, h.StrokeWidth = color.Black, 1
			l.handles[i] = h
		}
	}
	for len(l.rects) < n {
		r := canvas.NewRectangle(color.Transparent)
		mr := canvas.NewRectangle(color.Transparent)
		t := canvas.NewText("", color.White)
		t.TextSize = 12
		t.TextStyle.Bold = true
		l.rects, l.margins, l.labels = append(l.rects, r), append(l.margins, mr), append(l.labels, t)
		l.backs = append(l.backs, canvas.NewRectangle(color.NRGBA{0, 0, 0, 150}))
	}
}

// style gives box i its outline (thicker when selected, thin and see-through when faint), its
// margin and its label, and adds the outline and margin to the layer's objects.
func (l *boxLayer) style(i int, b BoxShape) {
	width := float32(2)
	c := b.Color
	switch {
	case b.Selected:
		width = 3
	case b.Faint:
		width = 1
		c.A = 170
	}
	r := l.rects[i]
	if r.StrokeColor != c || r.StrokeWidth != width {
		r.StrokeColor, r.StrokeWidth = c, width
		r.Refresh()
	}
	if b.Margin > 0 {
		mc := b.Color
		mc.A = 110
		if l.margins[i].StrokeColor != mc {
			l.margins[i].StrokeColor, l.margins[i].StrokeWidth = mc, 1
			l.margins[i].Refresh()
		}
		l.objs = append(l.objs, l.margins[i])
	}
	l.objs = append(l.objs, r)
	if t := l.labels[i]; t.Text != b.Label || t.Color != c {
		t.Text, t.Color = b.Label, c
		t.Refresh()
	}
}

func (l *boxLayer) place(_ *Stage, _ mapping) {
	v := l.e.DicomView()
	var taken []fyne.Position // label corners used, so nested boxes' labels do not overlap
	for i, b := range l.e.boxes {
		if i >= len(l.rects) {
			break
		}
		p1 := v.ToCanvas(boxedit.Pt{X: b.X1, Y: b.Y1})
		p2 := v.ToCanvas(boxedit.Pt{X: b.X2, Y: b.Y2})
		l.rects[i].Move(fyne.NewPos(float32(p1.X), float32(p1.Y)))
		l.rects[i].Resize(fyne.NewSize(float32(p2.X-p1.X), float32(p2.Y-p1.Y)))
		if b.Margin > 0 {
			d := float32(b.Margin * v.K)
			l.margins[i].Move(fyne.NewPos(float32(p1.X)-d, float32(p1.Y)-d))
			l.margins[i].Resize(fyne.NewSize(float32(p2.X-p1.X)+2*d, float32(p2.Y-p1.Y)+2*d))
		}
		t := l.labels[i]
		ts := t.MinSize()
		at := fyne.NewPos(float32(p1.X)+4, float32(p1.Y)+3)
		// A box whose corner is off the widget (zoomed in) keeps its label on screen, inside
		// the part of the box that shows.
		at.X = max(at.X, min(2, float32(p2.X)-ts.Width))
		at.Y = max(at.Y, min(2, float32(p2.Y)-ts.Height))
		at = clearOf(at, ts, taken)
		if b.Label != "" {
			taken = append(taken, at)
		}
		t.Move(at)
		t.Resize(ts)
		l.backs[i].Move(at.SubtractXY(2, 0))
		l.backs[i].Resize(ts.AddWidthHeight(4, 0))
	}
	if l.sel >= 0 && l.sel < len(l.e.boxes) {
		b := l.e.boxes[l.sel]
		for i, part := range boxedit.Handles {
			hp := v.ToCanvas(boxedit.HandleAt(boxRect(b), part))
			l.handles[i].Move(fyne.NewPos(float32(hp.X)-HandleSize/2, float32(hp.Y)-HandleSize/2))
			l.handles[i].Resize(fyne.NewSize(HandleSize, HandleSize))
		}
	}
}

func (l *boxLayer) objects() []fyne.CanvasObject { return l.objs }

// boxRect is a shape's place as a box, for its handles.
func boxRect(b BoxShape) review.Box {
	return review.Box{Status: review.Edited, X1: b.X1, X2: b.X2, Y1: b.Y1, Y2: b.Y2}
}

// clearOf moves a label at p (of size ts) down until it overlaps none of the labels placed at
// taken. Each move passes one label, so it ends within len(taken) moves; the half-unit slack
// keeps float rounding from holding a label on an edge.
func clearOf(p fyne.Position, ts fyne.Size, taken []fyne.Position) fyne.Position {
	for range len(taken) + 1 {
		moved := false
		for _, o := range taken {
			if math.Abs(float64(o.X-p.X)) < float64(ts.Width)-0.5 && math.Abs(float64(o.Y-p.Y)) < float64(ts.Height)-0.5 {
				p.Y = o.Y + ts.Height
				moved = true
			}
		}
		if !moved {
			break
		}
	}
	return p
}
