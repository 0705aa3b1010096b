package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// levelMeter is the console's audio level: a neutral track, a green bar from the meter's floor
// up, and the reading on it. At silence only the track shows: Fyne's ProgressBar tints its
// empty track with the primary colour, which on the console read as a full bar.
type levelMeter struct {
	widget.BaseWidget
	Value float64 // 0 (empty) to 1 (full scale)
	text  string
}

func newLevelMeter() *levelMeter {
	m := &levelMeter{}
	m.ExtendBaseWidget(m)
	return m
}

// set shows v (0 to 1) and text, repainting only on a change. Call on the UI goroutine.
func (m *levelMeter) set(v float64, text string) {
	if v == m.Value && text == m.text {
		return
	}
	m.Value, m.text = v, text
	m.Refresh()
}

// Text is the reading shown on the meter.
func (m *levelMeter) Text() string { return m.text }

func (m *levelMeter) CreateRenderer() fyne.WidgetRenderer {
	r := &meterRenderer{m: m, track: canvas.NewRectangle(color.Transparent), bar: canvas.NewRectangle(color.Transparent),
		label: canvas.NewText("", color.Transparent)}
	r.label.Alignment = fyne.TextAlignCenter
	r.Refresh()
	return r
}

type meterRenderer struct {
	m          *levelMeter
	track, bar *canvas.Rectangle
	label      *canvas.Text
}

func (r *meterRenderer) Layout(size fyne.Size) {
	r.track.Resize(size)
	r.bar.Resize(fyne.NewSize(size.Width*float32(r.m.Value), size.Height))
	r.label.Resize(size)
}

func (r *meterRenderer) MinSize() fyne.Size {
	p := theme.Padding()
	t := fyne.MeasureText("silence (below -60 dBFS)", theme.TextSize(), fyne.TextStyle{})
	return fyne.NewSize(t.Width+2*p, t.Height+2*p)
}

func (r *meterRenderer) Refresh() {
	r.track.FillColor = theme.Color(theme.ColorNameInputBackground)
	r.track.CornerRadius = theme.InputRadiusSize()
	r.bar.FillColor = color.NRGBA{R: 40, G: 170, B: 80, A: 255}
	if r.m.Value > 0.95 { // within 3 dB of full scale: about to clip
		r.bar.FillColor = color.NRGBA{R: 220, G: 50, B: 40, A: 255}
	}
	r.bar.CornerRadius = r.track.CornerRadius
	r.bar.Hidden = r.m.Value <= 0
	r.label.Text = r.m.text
	r.label.Color = theme.Color(theme.ColorNameForeground)
	r.label.TextSize = theme.TextSize()
	r.Layout(r.m.Size())
	canvas.Refresh(r.m)
}

func (r *meterRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.track, r.bar, r.label}
}

func (r *meterRenderer) Destroy() {}
