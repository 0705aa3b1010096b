package ui

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/software"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"sightline/reader/reading"
	"sightline/reader/session"
	"sightline/reader/stage"
	"sightline/reader/study"
)

// fakeControls records what the view asked of the run.
type fakeControls struct {
	calls []string
	fixes []stage.Fix
}

func (f *fakeControls) Next()                  { f.calls = append(f.calls, "next") }
func (f *fakeControls) Pause()                 { f.calls = append(f.calls, "pause") }
func (f *fakeControls) Resume()                { f.calls = append(f.calls, "resume") }
func (f *fakeControls) End()                   { f.calls = append(f.calls, "end") }
func (f *fakeControls) Recalibrate()           { f.calls = append(f.calls, "recalibrate") }
func (f *fakeControls) Accept()                { f.calls = append(f.calls, "accept") }
func (f *fakeControls) SkipCalibration()       { f.calls = append(f.calls, "skip") }
func (f *fakeControls) Fixations() []stage.Fix { return f.fixes }
func (f *fakeControls) Overlay(on bool)        { f.calls = append(f.calls, fmt.Sprint("overlay ", on)) }

func caseFrame(w, h int) reading.Frame {
	l := stage.Fit(w, h)
	r := l.Rect()
	img := image.NewGray(image.Rect(0, 0, r.Dx(), r.Dy()))
	for i := range img.Pix {
		img.Pix[i] = uint8(i % 251)
	}
	return reading.Frame{Index: 0, Total: 3, Screen: session.Screen{Kind: session.KindCase, DicomID: "secret-id"}, Image: img, Layout: l}
}

func newReadingWindow(t *testing.T) (*Reading, *fakeControls, fyne.Window) {
	t.Helper()
	test.NewTempApp(t)
	v := NewReading()
	ctl := &fakeControls{}
	v.SetControls(ctl)
	w := test.NewTempWindow(t, v.Content())
	w.SetPadded(false)
	w.Resize(fyne.NewSize(stage.Width, stage.Height))
	w.Canvas().SetOnTypedKey(v.TypedKey)
	return v, ctl, w
}

func press(w fyne.Window, k fyne.KeyName) {
	w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: k})
}

func TestKeys(t *testing.T) {
	v, ctl, w := newReadingWindow(t)
	v.Show(caseFrame(2544, 3056))
	press(w, fyne.KeySpace)
	press(w, fyne.KeyEscape)
	v.SetPaused(true)       // the run answers Pause with Paused(true)
	press(w, fyne.KeySpace) // ignored while paused
	press(w, fyne.KeyEscape)
	got := strings.Join(ctl.calls, ",")
	if got != "next,pause,resume" {
		t.Fatalf("calls = %s, want next,pause,resume", got)
	}
	if !v.pause.Visible() || v.pause.Size() != w.Canvas().Size() {
		t.Fatalf("pause overlay while paused: visible %v, size %v (canvas %v)", v.pause.Visible(), v.pause.Size(), w.Canvas().Size())
	}
	v.SetPaused(false)
	if v.pause.Visible() {
		t.Fatal("pause overlay still visible after resume")
	}
}

func TestPauseOverlayButtons(t *testing.T) {
	v, ctl, w := newReadingWindow(t)
	v.Show(caseFrame(2544, 3056))
	v.SetPaused(true)
	var buttons []*widget.Button
	walk(v.pause, func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok {
			buttons = append(buttons, b)
		}
	})
	if len(buttons) != 3 || buttons[0].Text != "Resume" || buttons[1].Text != "Recalibrate" || buttons[2].Text != "End session" {
		t.Fatalf("pause overlay buttons: %v", buttons)
	}
	test.Tap(buttons[1])
	test.Tap(buttons[2])
	if strings.Join(ctl.calls, ",") != "recalibrate" {
		t.Fatalf("End session tapped once ended the session without asking: calls %v", ctl.calls)
	}
	// It asks: Esc (or Keep the session) goes back to the pause menu, End session ends.
	ask := buttonsIn(v.pause)
	if ask["Keep the session"] == nil || ask["End session"] == nil || ask["Resume"] != nil {
		t.Fatalf("End session asks nothing: pause card buttons %v", ask)
	}
	press(w, fyne.KeyEscape)
	if b := buttonsIn(v.pause); b["Resume"] == nil || strings.Join(ctl.calls, ",") != "recalibrate" {
		t.Fatalf("Esc on the question: buttons %v, calls %v; want the pause menu back, the session kept", b, ctl.calls)
	}
	test.Tap(buttonsIn(v.pause)["End session"])
	press(w, fyne.KeyReturn) // the highlighted answer keeps the session
	if strings.Join(ctl.calls, ",") != "recalibrate" {
		t.Fatalf("Enter on the question: calls %v", ctl.calls)
	}
	test.Tap(buttonsIn(v.pause)["End session"])
	test.Tap(buttonsIn(v.pause)["End session"])
	if strings.Join(ctl.calls, ",") != "recalibrate,end" {
		t.Fatalf("End session confirmed: calls %v", ctl.calls)
	}
}

// walk visits every object in the tree, descending into widgets through their renderers.
func walk(o fyne.CanvasObject, fn func(fyne.CanvasObject)) {
	if o == nil || !o.Visible() {
		return
	}
	fn(o)
	switch x := o.(type) {
	case *fyne.Container:
		for _, c := range x.Objects {
			walk(c, fn)
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(x).Objects() {
			walk(c, fn)
		}
	}
}

func TestStageIsBlinded(t *testing.T) {
	v, _, _ := newReadingWindow(t)
	for _, f := range []reading.Frame{caseFrame(2544, 3056), {Screen: session.Screen{Kind: session.KindCalibration, DicomID: "calibration-x-1"}}} {
		v.Show(f)
		walk(v.Content(), func(o fyne.CanvasObject) {
			switch x := o.(type) {
			case *canvas.Text:
				t.Errorf("stage renders text %q", x.Text)
			case *widget.Label, *widget.RichText, *widget.Entry:
				t.Errorf("stage renders a text widget %T", x)
			}
		})
	}
}

func TestOverlayToggle(t *testing.T) {
	v, ctl, w := newReadingWindow(t)
	v.Show(caseFrame(2544, 3056))
	ctl.fixes = []stage.Fix{{ID: 1, X: 0.5, Y: 0.5, Duration: 0.3}, {ID: 2, X: 0.45, Y: 0.4, Duration: 0.6}}
	if v.Stage.Overlay() {
		t.Fatal("overlay must be off by default")
	}
	press(w, fyne.KeyF)
	if !v.Stage.Overlay() {
		t.Fatal("F did not turn the overlay on")
	}
	var texts []string
	var rings int
	walk(v.Stage, func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *canvas.Text:
			texts = append(texts, x.Text)
		case *canvas.Circle:
			rings++
		}
	})
	if strings.Join(texts, ",") != "1,2" || rings != 2 {
		t.Fatalf("overlay shows texts %v and %d rings, want 1,2 and 2", texts, rings)
	}
	press(w, fyne.KeyF)
	if v.Stage.Overlay() {
		t.Fatal("second F did not turn the overlay off")
	}
	// Each toggle is told to the run, which journals it.
	if got := strings.Join(ctl.calls, ","); got != "overlay true,overlay false" {
		t.Fatalf("calls %s, want the overlay's two toggles", got)
	}
}

func TestSummary(t *testing.T) {
	v, _, _ := newReadingWindow(t)
	v.Show(caseFrame(2544, 3056))
	v.SessionDir = study.SessionDir("/study", "x")
	v.Finished(reading.Summary{Status: "complete", Screens: 13, Shown: 13, Samples: 1200, Fixations: 40,
		Skipped: []reading.Skip{{DicomID: "abc", Reason: "bad file"}},
		Failed:  []reading.Skip{{DicomID: "def", Reason: "data loss 17.0% ≥ 15.0%"}}, Marked: []string{"ghi"}})
	if v.Stage.Visible() {
		t.Fatal("stage still visible after the session finished")
	}
	if v.summary.Size().Width < 600 {
		t.Fatalf("summary not laid out: size %v", v.summary.Size())
	}
	var text string
	walk(v.Content(), func(o fyne.CanvasObject) {
		if l, ok := o.(*widget.Label); ok {
			text += l.Text
		}
	})
	for _, want := range []string{"Session complete", "13 of 13", "abc: bad file", study.SessionDir("/study", "x"),
		"Failed the quality gate: 1", "def: data loss 17.0% ≥ 15.0%", "Marked for re-reading by the operator: ghi"} {
		if !strings.Contains(text, want) {
			t.Errorf("summary lacks %q:\n%s", want, text)
		}
	}
}

// TestMappingOnRenderedCanvas marks a DICOM pixel in a synthetic image, renders the stage,
// finds the mark in the captured pixels, and maps that position back to a DICOM pixel through
// the canvas transform and the reference formula: it must land within 1 px.
func TestMappingOnRenderedCanvas(t *testing.T) {
	for _, scale := range []float32{1, 2} {
		for _, sz := range [][2]int{{2544, 3056}, {3056, 2544}} {
			name := map[bool]string{true: "portrait", false: "landscape"}[sz[1] > sz[0]]
			t.Run(name+"@"+string(rune('0'+int(scale))), func(t *testing.T) {
				mappingCheck(t, scale, sz[0], sz[1])
			})
		}
	}
}

func mappingCheck(t *testing.T, scale float32, w, h int) {
	test.NewTempApp(t)
	l := stage.Fit(w, h)
	r := l.Rect()
	// The mark: a bright square of 15×15 DICOM pixels centred on (mx, my).
	mx, my := w*3/10, h*7/10
	k := float64(r.Dx()) / float64(w) // display pixels per DICOM pixel
	img := image.NewGray(image.Rect(0, 0, r.Dx(), r.Dy()))
	for y := 0; y < r.Dy(); y++ {
		for x := 0; x < r.Dx(); x++ {
			dx, dy := (float64(x)+0.5)/k, (float64(y)+0.5)/k
			if math.Abs(dx-float64(mx)-0.5) <= 7.5 && math.Abs(dy-float64(my)-0.5) <= 7.5 {
				img.SetGray(x, y, color.Gray{Y: 255})
			} else {
				img.SetGray(x, y, color.Gray{Y: 40})
			}
		}
	}
	st := NewStage()
	st.SetImage(img, l)
	c := software.NewCanvas()
	c.SetScale(scale)
	c.SetPadded(false)
	c.SetContent(st)
	c.Resize(fyne.NewSize(stage.Width/scale, stage.Height/scale)) // the window is 1920×1080 pixels
	shot := c.Capture()

	// Centroid of the bright pixels, in captured (device) pixels.
	var sx, sy, n float64
	b := shot.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			rr, _, _, _ := shot.At(x, y).RGBA()
			if rr>>8 > 150 {
				sx, sy, n = sx+float64(x)+0.5, sy+float64(y)+0.5, n+1
			}
		}
	}
	if n == 0 {
		t.Fatal("mark not found in the rendered canvas")
	}
	pos := fyne.NewPos(float32(sx/n)/scale, float32(sy/n)/scale)
	fx, fy, inside := st.CanvasToStage(pos)
	x, y, ok := l.ToDICOM(fx, fy)
	if !inside || !ok {
		t.Fatalf("mark at %v maps outside the image", pos)
	}
	if abs(x-mx) > 1 || abs(y-my) > 1 {
		t.Fatalf("scale %v, %dx%d: mark at DICOM (%d,%d) found at (%d,%d)", scale, w, h, mx, my, x, y)
	}
	// And the drawn rectangle is where the pads say: the pixel just outside it is black.
	px, py := c.PixelCoordinateForPosition(st.StageToCanvas(float64(r.Min.X)-1, float64(r.Min.Y)+float64(r.Dy())/2))
	if rr, _, _, _ := shot.At(px-1, py).RGBA(); r.Min.X > 1 && rr>>8 != 0 {
		t.Fatalf("padding left of the image is not black at (%d,%d)", px-1, py)
	}
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

func buttonsIn(o fyne.CanvasObject) map[string]*widget.Button {
	m := map[string]*widget.Button{}
	walk(o, func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok {
			m[b.Text] = b
		}
	})
	return m
}

func TestCheckReport(t *testing.T) {
	v, ctl, w := newReadingWindow(t)
	rep := reading.CheckReport{Round: 2,
		Calibration: &reading.CalSummary{AveErrorPx: 21.5, ValidPoints: 2, Points: []reading.CalPoint{
			{X: 0.1, Y: 0.1, LX: 0.11, LY: 0.1, RX: 0.09, RY: 0.1, LValid: true, RValid: true},
			{X: 0.9, Y: 0.9, LX: 0.9, LY: 0.91, LValid: true},
		}},
		Validation: reading.Validation{AccuracyDeg: 0.62, PrecisionDeg: 0.08, DataLoss: 0.012, Verdict: "good",
			Points: []reading.PointQuality{{X: 0.3, Y: 0.3, GazeX: 0.31, GazeY: 0.3, N: 40}}},
	}
	v.Check(rep)
	if !v.CardVisible() {
		t.Fatal("report card not shown")
	}
	text := CheckText(rep)
	for _, want := range []string{"average error 21.5 px, 2 of 2 points valid", "accuracy 0.62°", "precision 0.08°", "data loss 1.2%", "Verdict: Good"} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
	var lines, circles int
	walk(v.Stage, func(o fyne.CanvasObject) {
		switch o.(type) {
		case *canvas.Line:
			lines++
		case *canvas.Circle:
			circles++
		}
	})
	// 3 eye vectors + 1 validation vector; 3 targets drawn as ring + dot.
	if lines != 4 || circles != 6 {
		t.Errorf("stage draws %d lines and %d circles, want 4 and 6", lines, circles)
	}
	b := buttonsIn(v.card)
	test.Tap(b["Redo calibration"])
	test.Tap(b["Accept"])
	press(w, fyne.KeySpace) // no next case behind a report
	press(w, fyne.KeyReturn)
	press(w, fyne.KeyR)
	if strings.Join(ctl.calls, ",") != "recalibrate,accept,accept,recalibrate" {
		t.Fatalf("calls %v", ctl.calls)
	}
	v.Show(caseFrame(2544, 3056))
	if v.CardVisible() {
		t.Fatal("report card still up after the case came back")
	}
}

func TestPromptCard(t *testing.T) {
	v, ctl, _ := newReadingWindow(t)
	v.Prompt()
	b := buttonsIn(v.card)
	if b["Recalibrate"] == nil || b["Continue reading"] == nil {
		t.Fatalf("prompt buttons: %v", b)
	}
	test.Tap(b["Continue reading"])
	if strings.Join(ctl.calls, ",") != "accept" {
		t.Fatalf("calls %v", ctl.calls)
	}
}

func TestRereadOffer(t *testing.T) {
	v, ctl, w := newReadingWindow(t)
	v.Offer([]reading.Skip{{DicomID: "secret-1", Reason: "data loss 20%", Kind: reading.RereadFailed},
		{DicomID: "secret-3", Reason: "audio silent (peak -70 dBFS)", Kind: reading.RereadSilent},
		{DicomID: "secret-2", Reason: "marked by the operator", Kind: reading.RereadMarked}})
	var text string
	walk(v.Content(), func(o fyne.CanvasObject) {
		if l, ok := o.(*widget.Label); ok {
			text += l.Text
		}
	})
	if !strings.Contains(text, "3 should be read again (1 that failed the quality check, 1 with no dictation heard, 1 marked by the operator)") {
		t.Errorf("offer text: %q", text)
	}
	if strings.Contains(text, "secret") {
		t.Errorf("the reader's screen names a case: %q", text)
	}
	b := buttonsIn(v.card)
	test.Tap(b["Read them again"])
	test.Tap(b["Finish"])
	press(w, fyne.KeyEscape) // finishes, rather than pausing
	press(w, fyne.KeyR)      // no recalibration offered here
	if strings.Join(ctl.calls, ",") != "accept,end,end" {
		t.Fatalf("calls %v", ctl.calls)
	}
}

func TestStartScreenNewStudy(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	var asked int
	start := NewStart(StartActions{OpenDemo: func(done func()) { done() }, OpenStudy: func(string) {},
		NewStudy: func() { asked++ }}, nil, w)
	w.SetContent(start)
	b := buttonsIn(start)
	for _, name := range []string{"Read the demo study", "Open study folder…", "New study…"} {
		if b[name] == nil {
			t.Fatalf("start screen lacks %q: %v", name, b)
		}
	}
	test.Tap(b["New study…"])
	if asked != 1 {
		t.Fatal("New study… did nothing")
	}
}

func TestSettingsMicrophone(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, widget.NewLabel(""))
	w.Resize(fyne.NewSize(900, 600))
	var saved []string
	ShowSettings(w, []string{"Monitor of Sightline_test", "USB headset"}, nil, "USB headset", func(d string) { saved = append(saved, d) })
	var sel *widget.Select
	for _, o := range w.Canvas().Overlays().List() {
		walk(o, func(c fyne.CanvasObject) {
			if s, ok := c.(*widget.Select); ok {
				sel = s
			}
		})
	}
	if sel == nil || sel.Selected != "USB headset" || len(sel.Options) != 4 {
		t.Fatalf("microphone select: %+v", sel)
	}
	sel.SetSelected(MicNone)
	var save *widget.Button
	for _, o := range w.Canvas().Overlays().List() {
		if b := buttonsIn(o)["Save"]; b != nil {
			save = b
		}
	}
	test.Tap(save)
	if fmt.Sprint(saved) != "[none]" {
		t.Fatalf("saved %v, want [none]", saved)
	}
}

func TestCardKeepsTargetsVisible(t *testing.T) {
	card := canvas.NewRectangle(color.White)
	card.SetMinSize(fyne.NewSize(620, 220)) // taller than the report card renders
	cardLayout{}.Layout([]fyne.CanvasObject{card}, fyne.NewSize(1920, 1080))
	p, s := card.Position(), card.Size()
	// No calibration (0.1/0.5/0.9 grid) or validation target may fall under the card.
	targets := [][2]float32{{0.1, 0.1}, {0.5, 0.1}, {0.9, 0.1}, {0.3, 0.3}, {0.7, 0.3}, {0.5, 0.5}, {0.5, 0.6}, {0.3, 0.7}, {0.5, 0.9}}
	for _, tg := range targets {
		x, y := tg[0]*1920, tg[1]*1080
		r := float32(TargetRadius)
		if x+r > p.X && x-r < p.X+s.Width && y+r > p.Y && y-r < p.Y+s.Height {
			t.Errorf("target %v lies under the card at %v size %v", tg, p, s)
		}
	}
}

func TestOverlayDrawsTheLatestFixations(t *testing.T) {
	test.NewTempApp(t)
	st := NewStage()
	w := test.NewTempWindow(t, st)
	w.Resize(fyne.NewSize(960, 540))
	st.SetOverlay(true)
	var fixes []stage.Fix
	for i := 0; i < MaxOverlayFixations+10; i++ {
		fixes = append(fixes, stage.Fix{ID: int64(i + 1), X: 0.5, Y: 0.5, Duration: 0.2})
	}
	st.SetFixations(fixes)
	var labels []string
	walk(st, func(o fyne.CanvasObject) {
		if x, ok := o.(*canvas.Text); ok {
			labels = append(labels, x.Text)
		}
	})
	if len(labels) != MaxOverlayFixations || labels[0] != "11" || labels[len(labels)-1] != fmt.Sprint(MaxOverlayFixations+10) {
		t.Fatalf("overlay labels %v", labels)
	}
}

// TestCardsFitTheirContent: the pause card, its end question and the summary are as tall as
// what they hold (fixed boxes left a third of them empty).
func TestCardsFitTheirContent(t *testing.T) {
	v, _, _ := newReadingWindow(t)
	v.Show(caseFrame(2544, 3056))
	cardOf := func(root fyne.CanvasObject) *widget.Card {
		var c *widget.Card
		walk(root, func(o fyne.CanvasObject) {
			if cc, ok := o.(*widget.Card); ok && c == nil {
				c = cc
			}
		})
		if c == nil {
			t.Fatal("no card shown")
		}
		return c
	}
	check := func(what string, root fyne.CanvasObject) {
		t.Helper()
		c := cardOf(root)
		if h, want := c.Size().Height, c.MinSize().Height; h > want+1 || h < want-1 {
			t.Errorf("%s card %v tall, its content needs %v", what, h, want)
		}
	}
	v.SetPaused(true)
	check("pause", v.pause)
	v.askEnd(true)
	check("end question", v.pause)
	v.Finished(reading.Summary{Status: "complete", Screens: 3, Shown: 3})
	check("summary", v.summary)
}

// The bridge says a frame is shown once its image is on the stage (the run's swap delay is
// measured to that moment), and not before.
func TestBridgeSaysWhenShown(t *testing.T) {
	v, _, _ := newReadingWindow(t)
	f := caseFrame(2544, 3056)
	onStage := false
	f.Shown = func() { onStage = v.Stage.img == f.Image }
	Bridge{V: v}.Show(f)
	if !onStage {
		t.Fatal("Shown was called before the image was on the stage, or not at all")
	}
}
