// Package qavideo writes a recorded case as an MP4 (H.264 + AAC through ffmpeg) showing what
// the QA replay shows at 1× with the dictation: the image as drawn, the fixations appearing as
// numbered circles sized by duration with a fading scanpath, the gaze point and its trail, and
// a time bar with the case's marks, waveform and spoken phrase. Frames are drawn with
// image/draw, without a window, and piped to ffmpeg as raw RGBA.
package qavideo

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"strconv"
	"time"

	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"

	"sightline/reader/qa"
	"sightline/reader/session"
	"sightline/reader/stage"
)

// Colours of the picture: the overlay and gaze colours are the stage's (qa.OverlayColor,
// qa.GazeColor).
var (
	fixColor   = qa.OverlayColor
	gazeColor  = qa.GazeColor
	barBack    = color.NRGBA{24, 24, 24, 255}
	barFill    = color.NRGBA{90, 90, 90, 255}
	headColor  = color.NRGBA{255, 255, 255, 255}
	waveColor  = color.NRGBA{120, 200, 120, 255}
	textColor  = color.NRGBA{230, 230, 230, 255}
	warnColor  = color.NRGBA{255, 80, 60, 255}
	markColors = map[qa.MarkKind]color.NRGBA{
		qa.MarkKey:           {255, 255, 255, 255},
		qa.MarkPause:         {160, 160, 255, 255},
		qa.MarkRecalibration: {255, 160, 0, 255},
		qa.MarkTrackLoss:     {255, 60, 60, 255},
		qa.MarkBlink:         {150, 150, 150, 255},
		qa.MarkOperator:      {255, 0, 255, 255},
		qa.MarkTracker:       {255, 60, 60, 255},
		qa.MarkAudio:         {255, 60, 60, 255},
	}
)

// StripHeight is the height, in frame pixels, of the time bar under the stage.
const StripHeight = 64

// Painter draws a case's frames: the stage (the image as drawn, letterboxed like the 1920×1080
// stage) scaled to a width, and the time bar under it. Not safe for concurrent use.
type Painter struct {
	W, H   int     // frame size
	StageH int     // the stage's height in the frame; the strip is below it
	k      float64 // frame pixels per stage pixel
	bg     *image.RGBA
	r      *qa.Replay
	// Banner is written over the top of the picture (e.g. that the case has no audio).
	Banner string

	ras    vector.Rasterizer
	label  font.Face
	text   font.Face
	labels map[int]*image.Alpha
	wave   []float32
	span   time.Duration
}

// NewPainter prepares frames of width w (even) for replay r over img, the case's image as
// drawn at layout l (nil for a screen without one: a calibration screen, or an image that
// could not be loaded).
func NewPainter(r *qa.Replay, img image.Image, l stage.Layout, w int) (*Painter, error) {
	if w < 64 || w%2 != 0 {
		return nil, fmt.Errorf("frame width %d: want an even width of at least 64", w)
	}
	sh := (w*stage.Height/stage.Width + 1) &^ 1
	p := &Painter{W: w, H: sh + StripHeight, StageH: sh, k: float64(w) / stage.Width, r: r,
		labels: map[int]*image.Alpha{}}
	p.bg = image.NewRGBA(image.Rect(0, 0, w, sh))
	draw.Draw(p.bg, p.bg.Bounds(), image.Black, image.Point{}, draw.Src)
	if img != nil {
		rect := l.Rect()
		dst := image.Rect(p.px(float64(rect.Min.X)), p.px(float64(rect.Min.Y)), p.px(float64(rect.Max.X)), p.px(float64(rect.Max.Y)))
		xdraw.ApproxBiLinear.Scale(p.bg, dst, img, img.Bounds(), draw.Src, nil)
	}
	if r.Case != nil && r.Case.Screen.Kind == session.KindCalibration {
		// The white disc the reader looked at: without it a calibration screen's fixations
		// float on black.
		x, y := p.at(0.5, 0.5)
		p.disc(p.bg, x, y, float32(stage.CalibrationDiscRadius*p.k), color.NRGBA{R: 255, G: 255, B: 255, A: 255})
	}
	var err error
	if p.label, err = face(gobold.TTF, max(10, 22*p.k)); err != nil {
		return nil, err
	}
	if p.text, err = face(goregular.TTF, 14); err != nil {
		return nil, err
	}
	p.span = r.End - r.Start
	if r.Wave != nil {
		p.wave = r.Waveform(r.Start, r.End, w, nil)
	}
	return p, nil
}

func face(ttf []byte, size float64) (font.Face, error) {
	f, err := opentype.Parse(ttf)
	if err != nil {
		return nil, fmt.Errorf("font: %w", err)
	}
	return opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
}

// px converts stage pixels to frame pixels.
func (p *Painter) px(v float64) int { return int(math.Round(v * p.k)) }

// at places stage fractions in the frame.
func (p *Painter) at(fx, fy float64) (float32, float32) {
	return float32(fx * stage.Width * p.k), float32(fy * stage.Height * p.k)
}

// Paint draws the replay's frame f into dst (W×H).
func (p *Painter) Paint(dst *image.RGBA, f qa.Frame) {
	stageRect := image.Rect(0, 0, p.W, p.StageH)
	draw.Draw(dst, stageRect, p.bg, image.Point{}, draw.Src)
	p.paintFixations(dst, f)
	p.paintGaze(dst, f)
	if f.Pause >= 0 {
		p.paintPause(dst, f)
	}
	if p.Banner != "" {
		p.paintBanner(dst)
	}
	p.paintStrip(dst, f)
}

// paintFixations draws the latest qa.OverlayFixations fixations begun by f.T, as the stage
// does: the scanpath joining them (fading towards the oldest) and their rings, each numbered as
// in the case. The one in progress grows with its duration so far, over a faint disc.
func (p *Painter) paintFixations(dst *image.RGBA, f qa.Frame) {
	shown := f.Fixations[max(0, len(f.Fixations)-qa.OverlayFixations):]
	n := len(shown)
	lw := float32(max(1.5, 3*p.k))
	for i := 1; i < n; i++ {
		x0, y0 := p.at(shown[i-1].X, shown[i-1].Y)
		x1, y1 := p.at(shown[i].X, shown[i].Y)
		p.line(dst, x0, y0, x1, y1, lw, fade(fixColor, qa.Fade(i-1, n-1)))
	}
	first := len(f.Fixations) - n
	for i, fx := range shown {
		d := fx.Duration()
		if first+i == f.Current {
			d = f.T - fx.Start
		}
		x, y := p.at(fx.X, fx.Y)
		r := float32(qa.FixationRadius(d.Seconds()) * p.k)
		if first+i == f.Current {
			p.disc(dst, x, y, r, fade(fixColor, 0.25))
		}
		p.ring(dst, x, y, r, lw, fixColor)
		p.paintLabel(dst, fx.N, x, y, fixColor)
	}
}

// paintGaze draws the trail (fading towards the oldest, as the stage does) and the latest gaze
// point; an invalid sample is left out.
func (p *Painter) paintGaze(dst *image.RGBA, f qa.Frame) {
	n := len(f.Trail)
	lw := float32(max(1, 2*p.k))
	for i := 1; i < n; i++ {
		a, b := f.Trail[i-1], f.Trail[i]
		if !a.Valid || !b.Valid {
			continue
		}
		x0, y0 := p.at(a.X, a.Y)
		x1, y1 := p.at(b.X, b.Y)
		p.line(dst, x0, y0, x1, y1, lw, fade(gazeColor, qa.Fade(i-1, n-1)))
	}
	if f.HasGaze && f.Gaze.Valid {
		x, y := p.at(f.Gaze.X, f.Gaze.Y)
		p.disc(dst, x, y, float32(max(3, 14*p.k)), gazeColor)
	}
}

// paintPause covers the stage with the pause card while the case was set aside: the reader
// was not reading it, and its gaze and sound of then are in paused-K.
func (p *Painter) paintPause(dst *image.RGBA, f qa.Frame) {
	pa := p.r.Pauses[f.Pause]
	draw.Draw(dst, image.Rect(0, 0, p.W, p.StageH), image.NewUniform(color.RGBA{20, 20, 28, 255}), image.Point{}, draw.Src)
	msg := fmt.Sprintf("PAUSED %s of %s", clock(f.T-pa.From), clock(pa.To-pa.From))
	w := font.MeasureString(p.label, msg).Ceil()
	p.str(dst, p.label, msg, max(4, (p.W-w)/2), p.StageH/2, color.RGBA{230, 230, 230, 255})
}

func (p *Painter) paintBanner(dst *image.RGBA) {
	h := 24
	r := image.Rect(0, 0, p.W, h)
	draw.Draw(dst, r, image.NewUniform(color.NRGBA{0, 0, 0, 190}), image.Point{}, draw.Over)
	p.str(dst, p.text, p.Banner, 8, 17, warnColor)
}

// paintStrip draws the time bar: the waveform, the marks, the play head, the time and the
// phrase being spoken.
func (p *Painter) paintStrip(dst *image.RGBA, f qa.Frame) {
	top := p.StageH
	draw.Draw(dst, image.Rect(0, top, p.W, p.H), image.NewUniform(barBack), image.Point{}, draw.Src)
	bar := image.Rect(0, top+4, p.W, top+28)
	mid := (bar.Min.Y + bar.Max.Y) / 2
	head := p.W
	if p.span > 0 {
		head = int(float64(p.W) * float64(f.T-p.r.Start) / float64(p.span))
	}
	draw.Draw(dst, image.Rect(0, bar.Min.Y, min(head, p.W), bar.Max.Y), image.NewUniform(barFill), image.Point{}, draw.Src)
	for x, v := range p.wave {
		h := int(v * float32(bar.Dy()) / 2)
		if h > 0 {
			draw.Draw(dst, image.Rect(x, mid-h, x+1, mid+h+1), image.NewUniform(waveColor), image.Point{}, draw.Src)
		}
	}
	for _, m := range p.r.Marks {
		c, ok := markColors[m.Kind]
		if !ok {
			c = textColor
		}
		x0 := p.timeX(m.T)
		x1 := max(p.timeX(m.End), x0+2)
		draw.Draw(dst, image.Rect(x0, bar.Max.Y-5, x1, bar.Max.Y), image.NewUniform(c), image.Point{}, draw.Src)
	}
	draw.Draw(dst, image.Rect(max(0, head-1), bar.Min.Y-2, min(p.W, head+1), bar.Max.Y+2), image.NewUniform(headColor), image.Point{}, draw.Src)
	label := fmt.Sprintf("%s / %s", clock(f.T-p.r.Start), clock(p.span))
	p.str(dst, p.text, label, 8, top+48, textColor)
	if f.Phrase >= 0 {
		p.str(dst, p.text, "“"+p.r.Phrases[f.Phrase].Text+"”", 140, top+48, headColor)
	}
}

func (p *Painter) timeX(t time.Duration) int {
	if p.span <= 0 {
		return 0
	}
	return min(max(0, int(float64(p.W)*float64(t-p.r.Start)/float64(p.span))), p.W-1)
}

// clock formats a duration as m:ss.d.
func clock(d time.Duration) string {
	d = max(d, 0)
	s := d.Seconds()
	return fmt.Sprintf("%d:%04.1f", int(s)/60, math.Mod(s, 60))
}

func (p *Painter) str(dst *image.RGBA, f font.Face, s string, x, y int, c color.Color) {
	d := font.Drawer{Dst: dst, Src: image.NewUniform(c), Face: f, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

// paintLabel draws a fixation's number centred on it, from a mask rendered once per number.
func (p *Painter) paintLabel(dst *image.RGBA, n int, x, y float32, c color.NRGBA) {
	m, ok := p.labels[n]
	if !ok {
		s := strconv.Itoa(n)
		b, adv := font.BoundString(p.label, s)
		w := adv.Ceil() + 2
		h := (b.Max.Y - b.Min.Y).Ceil() + 2
		m = image.NewAlpha(image.Rect(0, 0, w, h))
		d := font.Drawer{Dst: m, Src: image.Opaque, Face: p.label, Dot: fixed.Point26_6{X: fixed.I(1), Y: -b.Min.Y + fixed.I(1)}}
		d.DrawString(s)
		p.labels[n] = m
	}
	b := m.Bounds()
	at := image.Pt(int(x)-b.Dx()/2, int(y)-b.Dy()/2)
	draw.DrawMask(dst, b.Add(at), image.NewUniform(c), image.Point{}, m, image.Point{}, draw.Over)
}

func fade(c color.NRGBA, a float64) color.NRGBA {
	c.A = uint8(math.Round(float64(c.A) * min(max(a, 0), 1)))
	return c
}

// Shapes are rasterized in a box around them only, so a frame's cost is the shapes' area.

func (p *Painter) fill(dst *image.RGBA, box image.Rectangle, c color.NRGBA, path func(ox, oy float32)) {
	box = box.Intersect(dst.Bounds()).Intersect(image.Rect(0, 0, p.W, p.StageH))
	if box.Empty() || c.A == 0 {
		return
	}
	p.ras.Reset(box.Dx(), box.Dy())
	p.ras.DrawOp = draw.Over
	path(float32(box.Min.X), float32(box.Min.Y))
	p.ras.Draw(dst, box, image.NewUniform(c), image.Point{})
}

// circle adds a circle (four cubic arcs) to the rasterizer, counterclockwise when ccw, so that
// an inner circle of the other direction cuts a ring out of an outer one.
func (p *Painter) circle(cx, cy, r float32, ccw bool) {
	const k = 0.5522847498
	s := float32(1)
	if ccw {
		s = -1
	}
	p.ras.MoveTo(cx+r, cy)
	p.ras.CubeTo(cx+r, cy+s*k*r, cx+k*r, cy+s*r, cx, cy+s*r)
	p.ras.CubeTo(cx-k*r, cy+s*r, cx-r, cy+s*k*r, cx-r, cy)
	p.ras.CubeTo(cx-r, cy-s*k*r, cx-k*r, cy-s*r, cx, cy-s*r)
	p.ras.CubeTo(cx+k*r, cy-s*r, cx+r, cy-s*k*r, cx+r, cy)
	p.ras.ClosePath()
}

func (p *Painter) disc(dst *image.RGBA, x, y, r float32, c color.NRGBA) {
	box := image.Rect(int(x-r)-1, int(y-r)-1, int(x+r)+2, int(y+r)+2)
	p.fill(dst, box, c, func(ox, oy float32) { p.circle(x-ox, y-oy, r, false) })
}

func (p *Painter) ring(dst *image.RGBA, x, y, r, w float32, c color.NRGBA) {
	box := image.Rect(int(x-r-w)-1, int(y-r-w)-1, int(x+r+w)+2, int(y+r+w)+2)
	p.fill(dst, box, c, func(ox, oy float32) {
		p.circle(x-ox, y-oy, r+w/2, false)
		p.circle(x-ox, y-oy, max(r-w/2, 0), true)
	})
}

func (p *Painter) line(dst *image.RGBA, x0, y0, x1, y1, w float32, c color.NRGBA) {
	dx, dy := x1-x0, y1-y0
	l := float32(math.Hypot(float64(dx), float64(dy)))
	if l < 0.5 {
		return
	}
	nx, ny := -dy/l*w/2, dx/l*w/2
	box := image.Rect(int(min(x0, x1)-w)-1, int(min(y0, y1)-w)-1, int(max(x0, x1)+w)+2, int(max(y0, y1)+w)+2)
	p.fill(dst, box, c, func(ox, oy float32) {
		p.ras.MoveTo(x0+nx-ox, y0+ny-oy)
		p.ras.LineTo(x1+nx-ox, y1+ny-oy)
		p.ras.LineTo(x1-nx-ox, y1-ny-oy)
		p.ras.LineTo(x0-nx-ox, y0-ny-oy)
		p.ras.ClosePath()
	})
}
