package ui

import (
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"

	"sightline/reader/qa"
	"sightline/reader/transcript"
)

// PhraseStrip is the dictation's waveform with the transcript's phrases over it: a phrase's
// begin or end is dragged to move it, a tap plays the phrase under the pointer.
type PhraseStrip struct {
	widget.BaseWidget
	env     *qa.Envelope
	phrases func() []transcript.Phrase
	// OnEdge is called when a drag ends: phrase i's end (end) or begin dropped at t seconds.
	OnEdge func(i int, end bool, t float64)
	// OnPlay is called with the span of the phrase tapped.
	OnPlay func(begin, end float64)

	drag struct {
		active bool
		i      int
		end    bool    // the phrase's end is dragged (else its begin)
		x      float32 // where the pointer is
	}
}

// stripGrab is how near a boundary, in pixels, a drag must start to take it.
const stripGrab = 8

// NewPhraseStrip draws env with the phrases phrases() gives (read at every refresh).
func NewPhraseStrip(env *qa.Envelope, phrases func() []transcript.Phrase) *PhraseStrip {
	s := &PhraseStrip{env: env, phrases: phrases}
	s.ExtendBaseWidget(s)
	return s
}

// seconds is the time the strip spans: the audio, or the last phrase's end if later.
func (s *PhraseStrip) seconds() float64 {
	t := s.env.Seconds()
	for _, p := range s.phrases() {
		if !math.IsNaN(p.End) {
			t = max(t, p.End)
		}
	}
	return max(t, 0.001)
}

// X is where time t (seconds) is drawn.
func (s *PhraseStrip) X(t float64) float32 { return float32(t / s.seconds() * float64(s.Size().Width)) }

func (s *PhraseStrip) at(x float32) float64 {
	return min(max(float64(x)/float64(max(s.Size().Width, 1))*s.seconds(), 0), s.seconds())
}

// Dragged is part of fyne.Draggable: the event's position is the pointer's, Dragged how far
// it moved since the last event.
func (s *PhraseStrip) Dragged(e *fyne.DragEvent) {
	if !s.drag.active {
		start := e.Position.X - e.Dragged.DX
		best := float32(stripGrab + 1)
		for i, p := range s.phrases() {
			for _, b := range []struct {
				t   float64
				end bool
			}{{p.Begin, false}, {p.End, true}} {
				if d := float32(math.Abs(float64(s.X(b.t) - start))); d < best {
					best, s.drag.i, s.drag.end = d, i, b.end
				}
			}
		}
		if best > stripGrab {
			return
		}
		s.drag.active = true
	}
	s.drag.x = e.Position.X
	s.Refresh()
}

// DragEnd is part of fyne.Draggable: the boundary moves where it was dropped.
func (s *PhraseStrip) DragEnd() {
	if !s.drag.active {
		return
	}
	s.drag.active = false
	if s.drag.i < len(s.phrases()) && s.OnEdge != nil {
		s.OnEdge(s.drag.i, s.drag.end, s.at(s.drag.x))
	}
	s.Refresh()
}

// Tapped plays the phrase under the pointer.
func (s *PhraseStrip) Tapped(e *fyne.PointEvent) {
	t := s.at(e.Position.X)
	for _, p := range s.phrases() {
		if t >= p.Begin && t <= p.End && s.OnPlay != nil {
			s.OnPlay(p.Begin, p.End)
			return
		}
	}
}

// MinSize keeps the strip readable.
func (s *PhraseStrip) MinSize() fyne.Size { return fyne.NewSize(200, 80) }

// CreateRenderer is part of fyne.Widget.
func (s *PhraseStrip) CreateRenderer() fyne.WidgetRenderer {
	return &stripRenderer{s: s, bg: canvas.NewRectangle(color.NRGBA{R: 20, G: 22, B: 26, A: 255})}
}

type stripRenderer struct {
	s       *PhraseStrip
	bg      *canvas.Rectangle
	objects []fyne.CanvasObject
}

var (
	stripWave   = color.NRGBA{R: 60, G: 170, B: 140, A: 255}
	stripPhrase = color.NRGBA{R: 70, G: 120, B: 220, A: 70}
	stripEdge   = color.NRGBA{R: 120, G: 170, B: 255, A: 255}
	stripDrag   = color.NRGBA{R: 255, G: 200, B: 60, A: 255}
)

func (r *stripRenderer) Layout(fyne.Size) { r.Refresh() }

func (r *stripRenderer) MinSize() fyne.Size { return r.s.MinSize() }

func (r *stripRenderer) Refresh() {
	s, size := r.s, r.s.Size()
	r.bg.Resize(size)
	r.objects = append(r.objects[:0], r.bg)
	mid := size.Height / 2
	// The waveform: one line per pixel column, its height the loudest peak under it.
	if env := s.env; env != nil && len(env.Peaks) > 0 && size.Width > 0 {
		per := s.seconds() * float64(env.Rate) / float64(max(env.PerPeak, 1)) / float64(size.Width) // peaks a pixel
		for x := 0; x < int(size.Width); x++ {
			a, b := int(float64(x)*per), int(float64(x+1)*per)
			var peak float32
			for k := a; k < min(max(b, a+1), len(env.Peaks)); k++ {
				peak = max(peak, env.Peaks[k])
			}
			if peak <= 0 {
				continue
			}
			h := max(peak*size.Height/2, 0.5)
			l := canvas.NewLine(stripWave)
			l.Position1, l.Position2 = fyne.NewPos(float32(x), mid-h), fyne.NewPos(float32(x), mid+h)
			r.objects = append(r.objects, l)
		}
	}
	var lanes stripLanes
	for _, p := range s.phrases() {
		if math.IsNaN(p.Begin) || math.IsNaN(p.End) {
			continue
		}
		x0, x1 := s.X(p.Begin), s.X(p.End)
		box := canvas.NewRectangle(stripPhrase)
		box.Move(fyne.NewPos(x0, 0))
		box.Resize(fyne.NewSize(max(x1-x0, 1), size.Height))
		r.objects = append(r.objects, box)
		for _, x := range []float32{x0, x1} {
			l := canvas.NewLine(stripEdge)
			l.Position1, l.Position2 = fyne.NewPos(x, 0), fyne.NewPos(x, size.Height)
			r.objects = append(r.objects, l)
		}
		if t := lanes.place(p.Phrase, x0+2, x1, size.Height); t != nil {
			r.objects = append(r.objects, t)
		}
	}
	if s.drag.active {
		l := canvas.NewLine(stripDrag)
		l.StrokeWidth = 2
		l.Position1, l.Position2 = fyne.NewPos(s.drag.x, 0), fyne.NewPos(s.drag.x, size.Height)
		r.objects = append(r.objects, l)
	}
	canvas.Refresh(s)
}

func (r *stripRenderer) Objects() []fyne.CanvasObject { return r.objects }

func (r *stripRenderer) Destroy() {}

// stripLabelSize is the phrase labels' text size.
const stripLabelSize = 11

// stripLanes places phrase labels in rows from the top so that none overlaps another: short
// phrases spoken close together have labels wider than their boxes.
type stripLanes struct {
	end []float32 // where each lane's last label ends
}

// place makes the label of a phrase whose box starts its text at x and ends at x1, in the
// first lane free at x; when every lane that fits the strip's height is taken there, it goes
// after the lane ending first, cut to end with its phrase (nil when nothing of it fits).
func (l *stripLanes) place(text string, x, x1, height float32) *canvas.Text {
	const gap = 4
	lineH := fyne.MeasureText("Ag", stripLabelSize, fyne.TextStyle{}).Height
	n := max(1, int((height-2)/(lineH+1)))
	lane, at := -1, x
	for k := range n {
		if k == len(l.end) {
			l.end = append(l.end, 0)
		}
		if l.end[k] <= x {
			lane = k
			break
		}
	}
	width := fyne.MeasureText(text, stripLabelSize, fyne.TextStyle{}).Width
	if lane < 0 {
		lane = 0
		for k := range l.end[:n] {
			if l.end[k] < l.end[lane] {
				lane = k
			}
		}
		at = l.end[lane]
		if text = cutText(text, x1-at); text == "" {
			return nil
		}
		width = fyne.MeasureText(text, stripLabelSize, fyne.TextStyle{}).Width
	}
	t := canvas.NewText(text, color.White)
	t.TextSize = stripLabelSize
	t.Move(fyne.NewPos(at, 2+float32(lane)*(lineH+1)))
	l.end[lane] = at + width + gap
	return t
}

// cutText is text cut to width with an ellipsis; "" when not even one letter fits.
func cutText(text string, width float32) string {
	if fyne.MeasureText(text, stripLabelSize, fyne.TextStyle{}).Width <= width {
		return text
	}
	r := []rune(text)
	for n := len(r) - 1; n > 0; n-- {
		if s := string(r[:n]) + "…"; fyne.MeasureText(s, stripLabelSize, fyne.TextStyle{}).Width <= width {
			return s
		}
	}
	return ""
}
