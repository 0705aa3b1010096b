package ui

import (
	"image"
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"

	"sightline/reader/qa"
)

// MarkColors colour the timeline's marks by kind.
var MarkColors = map[qa.MarkKind]color.NRGBA{
	qa.MarkKey:           {R: 230, G: 230, B: 230, A: 255},
	qa.MarkPause:         {R: 90, G: 140, B: 255, A: 110},
	qa.MarkRecalibration: {R: 80, G: 220, B: 255, A: 255},
	qa.MarkTrackLoss:     {R: 255, G: 60, B: 60, A: 130},
	qa.MarkBlink:         {R: 200, G: 120, B: 255, A: 150},
	qa.MarkOperator:      {R: 255, G: 200, B: 0, A: 255},
	qa.MarkTracker:       {R: 255, G: 120, B: 40, A: 255},
	qa.MarkAudio:         {R: 255, G: 0, B: 160, A: 255},
	qa.MarkOther:         {R: 160, G: 160, B: 160, A: 255},
}

var (
	waveColor     = color.NRGBA{R: 0, G: 200, B: 140, A: 255}
	timelineBack  = color.NRGBA{R: 24, G: 24, B: 28, A: 255}
	playheadColor = color.NRGBA{R: 255, G: 255, B: 255, A: 255}
)

// Timeline shows a case's waveform and its marks (keys, pauses, recalibrations, track-loss
// gaps, blinks, operator marks) along the session clock, and the play head; a click or a drag
// seeks (OnSeek).
type Timeline struct {
	widget.BaseWidget
	OnSeek func(t time.Duration)

	rp    *qa.Replay
	pos   time.Duration
	peaks []float32 // the raster's columns, reused
	r     *timelineRenderer
}

// NewTimeline makes an empty timeline.
func NewTimeline() *Timeline {
	t := &Timeline{}
	t.ExtendBaseWidget(t)
	return t
}

// SetReplay shows a case (nil: none).
func (t *Timeline) SetReplay(rp *qa.Replay) {
	t.rp = rp
	if rp != nil {
		t.pos = rp.Start
	}
	t.Refresh()
}

// SetPosition moves the play head: only the head is redrawn, and only when it moves by a
// pixel or more (each refresh repaints the window: at 60 Hz with software GL that is most of
// a replay's CPU).
func (t *Timeline) SetPosition(pos time.Duration) {
	if pos == t.pos {
		return
	}
	t.pos = pos
	if r := t.r; r != nil {
		x := t.XAt(pos)
		if d := x - r.head.Position1.X; d > -1 && d < 1 {
			return
		}
		r.placeHead(t.Size())
		canvas.Refresh(r.head)
	}
}

// TimeAt maps an x position in the widget to the session clock.
func (t *Timeline) TimeAt(x float32) time.Duration {
	if t.rp == nil || t.Size().Width <= 0 {
		return 0
	}
	f := float64(min(max(x/t.Size().Width, 0), 1))
	return t.rp.Start + time.Duration(f*float64(t.rp.End-t.rp.Start))
}

// XAt maps a time to an x position in the widget.
func (t *Timeline) XAt(at time.Duration) float32 {
	if t.rp == nil || t.rp.End <= t.rp.Start {
		return 0
	}
	return float32(float64(at-t.rp.Start) / float64(t.rp.End-t.rp.Start) * float64(t.Size().Width))
}

// Tapped is part of fyne.Tappable: a click seeks.
func (t *Timeline) Tapped(e *fyne.PointEvent) { t.seek(e.Position.X) }

// Dragged is part of fyne.Draggable: a drag scrubs.
func (t *Timeline) Dragged(e *fyne.DragEvent) { t.seek(e.Position.X) }

// DragEnd is part of fyne.Draggable.
func (t *Timeline) DragEnd() {}

func (t *Timeline) seek(x float32) {
	if t.rp != nil && t.OnSeek != nil {
		t.OnSeek(t.TimeAt(x))
	}
}

// CreateRenderer is part of fyne.Widget.
func (t *Timeline) CreateRenderer() fyne.WidgetRenderer {
	r := &timelineRenderer{t: t, head: canvas.NewLine(playheadColor)}
	r.head.StrokeWidth = 2
	r.raster = canvas.NewRaster(r.draw)
	t.r = r
	return r
}

type timelineRenderer struct {
	t      *Timeline
	raster *canvas.Raster
	head   *canvas.Line
}

func (r *timelineRenderer) Destroy() {}

func (r *timelineRenderer) MinSize() fyne.Size { return fyne.NewSize(200, 64) }

func (r *timelineRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.raster, r.head}
}

func (r *timelineRenderer) Layout(size fyne.Size) {
	r.raster.Resize(size)
	r.placeHead(size)
}

func (r *timelineRenderer) placeHead(size fyne.Size) {
	x := r.t.XAt(r.t.pos)
	r.head.Position1 = fyne.NewPos(x, 0)
	r.head.Position2 = fyne.NewPos(x, size.Height)
}

func (r *timelineRenderer) Refresh() {
	r.Layout(r.t.Size())
	r.raster.Refresh()
	canvas.Refresh(r.head)
}

// draw paints the waveform in the upper three quarters and the marks: spans as bands in the
// lower quarter, instants as ticks across the whole height.
func (r *timelineRenderer) draw(w, h int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = timelineBack.R, timelineBack.G, timelineBack.B, 255
	}
	rp := r.t.rp
	if rp == nil || w <= 0 || h <= 0 || rp.End <= rp.Start {
		return img
	}
	waveH := h * 3 / 4
	mid := waveH / 2
	r.t.peaks = rp.Waveform(rp.Start, rp.End, w, r.t.peaks)
	for x, p := range r.t.peaks {
		a := int(p * float32(mid))
		for y := mid - a; y <= mid+a; y++ {
			img.SetNRGBA(x, y, waveColor)
		}
	}
	span := float64(rp.End - rp.Start)
	col := func(t time.Duration) int { return int(float64(t-rp.Start) / span * float64(w)) }
	for _, m := range rp.Marks {
		c := MarkColors[m.Kind]
		x0, x1 := col(m.T), col(m.End)
		if m.End > m.T {
			for x := max(x0, 0); x <= min(x1, w-1); x++ {
				for y := waveH; y < h; y++ {
					img.SetNRGBA(x, y, blend(img.NRGBAAt(x, y), c))
				}
			}
			continue
		}
		if x0 >= 0 && x0 < w {
			for y := 0; y < h; y++ {
				img.SetNRGBA(x0, y, c)
			}
		}
	}
	return img
}

func blend(dst, src color.NRGBA) color.NRGBA {
	a := uint32(src.A)
	mix := func(d, s uint8) uint8 { return uint8((uint32(s)*a + uint32(d)*(255-a)) / 255) }
	return color.NRGBA{R: mix(dst.R, src.R), G: mix(dst.G, src.G), B: mix(dst.B, src.B), A: 255}
}
