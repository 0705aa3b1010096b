package ui

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"strings"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sightline/reader/reading"
	"sightline/reader/stage"
	"sightline/tracker/quality"
)

// Controls is what the reading view asks of a reading run (*reading.Run satisfies it).
type Controls interface {
	Next()
	Pause()
	Resume()
	End()
	Recalibrate()
	Accept()
	SkipCalibration()
	Fixations() []stage.Fix
	// Overlay is told when F turns the live fixation overlay on or off, for the journal.
	Overlay(on bool)
}

// Reading is the radiologist's view: the stage full window, a pause overlay on Esc, and the
// session summary at the end. Keys: space = next, Esc = pause, F = fixation overlay, Enter = the
// highlighted button of the card on top.
type Reading struct {
	Stage *Stage

	// OnClose is called when the reader closes the summary.
	OnClose func()
	// SessionDir is shown on the summary so the operator knows where the data went.
	SessionDir string
	// OwnPass, when set, is the summary's highlighted "Review my dictations" (ui/ownpass.go).
	OwnPass func()

	ctl   Controls
	root  *fyne.Container
	pause *fyne.Container
	// pauseBody holds the pause card's content: its menu, or the question End session asks.
	pauseBody         *fyne.Container
	pauseMenu, endAsk fyne.CanvasObject
	confirmingEnd     bool
	summary           *fyne.Container
	card              *fyne.Container // calibration report, recalibration prompt or re-read offer
	offer             bool            // the card up is the re-read offer
	options           bool            // the card up is the tracker options (retry, skip, end)
	report            bool            // the card up is a calibration report: A accepts
	wait              *canvas.Text    // what the station waits for from the tracker, one line
	waitBox           *fyne.Container
	paused            bool
	finished          bool

	stopOverlay context.CancelFunc
}

// NewReading builds the view; SetControls attaches the run once it exists.
func NewReading() *Reading {
	v := &Reading{Stage: NewStage()}
	v.pause = v.pauseOverlay()
	v.pause.Hide()
	v.summary = container.NewStack()
	v.summary.Hide()
	v.card = container.NewStack()
	v.card.Hide()
	v.wait = canvas.NewText("", color.NRGBA{R: 200, G: 200, B: 200, A: 255})
	v.wait.TextSize = 22
	v.waitBox = container.NewCenter(v.wait)
	v.waitBox.Hide()
	v.root = container.NewStack(v.Stage, v.waitBox, v.card, v.pause, v.summary)
	return v
}

// SetControls attaches the run the keys drive.
func (v *Reading) SetControls(c Controls) { v.ctl = c }

// Content is the view's canvas object.
func (v *Reading) Content() fyne.CanvasObject { return v.root }

// TypedKey handles the reading keys; install it with Canvas().SetOnTypedKey.
func (v *Reading) TypedKey(e *fyne.KeyEvent) {
	if v.finished {
		v.summaryKey(e)
		return
	}
	if v.ctl == nil {
		return
	}
	if e.Name == fyne.KeyReturn || e.Name == fyne.KeyEnter {
		// Enter does what the highlighted button of the card on top does, whatever the card.
		if b := v.defaultButton(); b != nil && b.OnTapped != nil {
			b.OnTapped()
		}
		return
	}
	if v.card.Visible() && !v.paused {
		// A report or prompt is up: R recalibrates; on the re-read offer, Esc finishes.
		switch {
		case e.Name == fyne.KeyEscape && v.offer:
			v.ctl.End()
		case e.Name == fyne.KeyEscape && v.options:
			v.ctl.Resume() // back to waiting
		case e.Name == fyne.KeyR && !v.offer && !v.options:
			v.ctl.Recalibrate()
		case e.Name == fyne.KeyA && v.report:
			v.ctl.Accept() // the run refuses a report that measured nothing
		case e.Name == fyne.KeyEscape:
			v.ctl.Pause()
		}
		return
	}
	switch e.Name {
	case fyne.KeySpace:
		if !v.paused {
			v.ctl.Next()
		}
	case fyne.KeyEscape:
		switch {
		case v.paused && v.confirmingEnd:
			v.askEnd(false) // back to the pause menu
		case v.paused:
			v.ctl.Resume()
		default:
			v.ctl.Pause()
		}
	case fyne.KeyF:
		v.ToggleOverlay()
	}
}

// summaryKey is a key on the session summary: Enter presses its highlighted button.
func (v *Reading) summaryKey(e *fyne.KeyEvent) {
	if e.Name != fyne.KeyReturn && e.Name != fyne.KeyEnter {
		return
	}
	if b := highlighted(v.summary); b != nil && b.OnTapped != nil {
		b.OnTapped()
	}
}

// defaultButton is the highlighted (HighImportance) button of the card on top: the pause
// overlay when it is up, else the report, prompt or offer card; nil when there is none.
func (v *Reading) defaultButton() *widget.Button {
	var top fyne.CanvasObject
	switch {
	case v.paused && v.pause.Visible():
		top = v.pause
	case v.card.Visible():
		top = v.card
	default:
		return nil
	}
	return highlighted(top)
}

// highlighted finds the first enabled, visible HighImportance button under o.
func highlighted(o fyne.CanvasObject) *widget.Button {
	if o == nil || !o.Visible() {
		return nil
	}
	switch x := o.(type) {
	case *widget.Button:
		if x.Importance == widget.HighImportance && !x.Disabled() {
			return x
		}
	case *fyne.Container:
		for _, c := range x.Objects {
			if b := highlighted(c); b != nil {
				return b
			}
		}
	case *widget.Card:
		return highlighted(x.Content)
	}
	return nil
}

// ToggleOverlay turns the live fixation overlay on or off. While on, it is refreshed once per
// frame from the run's latest fixations (never per sample).
func (v *Reading) ToggleOverlay() {
	on := !v.Stage.Overlay()
	v.Stage.SetOverlay(on)
	if v.ctl != nil {
		v.ctl.Overlay(on)
	}
	if v.stopOverlay != nil {
		v.stopOverlay()
		v.stopOverlay = nil
	}
	if !on || v.ctl == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	v.stopOverlay = cancel
	ctl, st := v.ctl, v.Stage
	st.SetFixations(ctl.Fixations())
	go func() {
		t := time.NewTicker(time.Second / 60)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				f := ctl.Fixations()
				Do(func() { st.SetFixations(f) })
			}
		}
	}()
}

// Show puts a frame on the stage. Call on the UI goroutine (the Bridge does).
func (v *Reading) Show(f reading.Frame) {
	v.hideCard()
	v.waitBox.Hide()
	if f.IsCalibration() {
		v.Stage.SetCalibration()
		return
	}
	v.Stage.SetImage(f.Image, f.Layout)
}

// SetPaused shows or hides the pause overlay.
func (v *Reading) SetPaused(on bool) {
	v.paused = on
	v.askEnd(false)
	if on {
		v.pause.Show()
	} else {
		v.pause.Hide()
	}
	// A stack lays out only visible children: lay it out again so the overlay gets its size.
	v.root.Refresh()
}

// Paused reports whether the pause overlay is up.
func (v *Reading) Paused() bool { return v.paused }

// Finished replaces the stage with the session summary.
func (v *Reading) Finished(s reading.Summary) {
	v.finished = true
	if v.stopOverlay != nil {
		v.stopOverlay()
		v.stopOverlay = nil
	}
	v.pause.Hide()
	v.Stage.Hide()
	v.summary.Objects = []fyne.CanvasObject{canvas.NewRectangle(theme.Color(theme.ColorNameBackground)), v.summaryCard(s)}
	v.summary.Show()
	v.root.Refresh()
}

// SummaryText is the summary's wording, one line per fact.
func SummaryText(s reading.Summary, dir string) string {
	var b strings.Builder
	title := "Session complete"
	if s.Status != "complete" {
		title = "Session ended early"
	}
	fmt.Fprintf(&b, "%s\n\n", title)
	if s.Reason != "" {
		fmt.Fprintf(&b, "Why: %s\n", s.Reason)
	}
	fmt.Fprintf(&b, "Screens shown: %d of %d\n", s.Shown, s.Screens)
	fmt.Fprintf(&b, "Gaze samples: %d, fixations: %d\n", s.Samples, s.Fixations)
	fmt.Fprintf(&b, "Time: %s\n", s.Elapsed.Round(time.Second))
	if len(s.Skipped) > 0 {
		fmt.Fprintf(&b, "Skipped (could not be decoded): %d\n", len(s.Skipped))
		for _, k := range s.Skipped {
			fmt.Fprintf(&b, "  %s: %s\n", k.DicomID, k.Reason)
		}
	}
	if len(s.Failed) > 0 {
		fmt.Fprintf(&b, "Failed the quality gate: %d\n", len(s.Failed))
		for _, k := range s.Failed {
			fmt.Fprintf(&b, "  %s: %s\n", k.DicomID, k.Reason)
		}
	}
	if len(s.Silent) > 0 {
		fmt.Fprintf(&b, "Silent dictation: %d\n", len(s.Silent))
		for _, k := range s.Silent {
			fmt.Fprintf(&b, "  %s: %s\n", k.DicomID, k.Reason)
		}
	}
	if len(s.Marked) > 0 {
		fmt.Fprintf(&b, "Marked for re-reading by the operator: %s\n", strings.Join(s.Marked, ", "))
	}
	switch {
	case s.Err != nil && errors.Is(s.Err, syscall.ENOSPC):
		// The file that failed is in the session's journal; the reader needs what it means.
		b.WriteString("Recording stopped: the disk is full. Everything recorded until then is saved; free space before reading on.\n")
	case s.Err != nil:
		fmt.Fprintf(&b, "Recording stopped: %v\n", s.Err)
	}
	if dir != "" {
		fmt.Fprintf(&b, "Saved in %s\n", dir)
	}
	return b.String()
}

func (v *Reading) summaryCard(s reading.Summary) fyne.CanvasObject {
	text := widget.NewLabel(SummaryText(s, v.SessionDir))
	text.Wrapping = fyne.TextWrapWord
	closeBtn := widget.NewButton("Close", func() {
		if v.OnClose != nil {
			v.OnClose()
		}
	})
	buttons := container.NewCenter(closeBtn)
	if v.OwnPass != nil {
		buttons = ownPassButtons(v.OwnPass, closeBtn)
	}
	card := widget.NewCard("", "", container.NewVBox(text, buttons))
	return container.New(fitCard{width: 640}, card)
}

func (v *Reading) pauseOverlay() *fyne.Container {
	dim := canvas.NewRectangle(theme.Color(theme.ColorNameShadow))
	resume := widget.NewButtonWithIcon("Resume", theme.MediaPlayIcon(), func() {
		if v.ctl != nil {
			v.ctl.Resume()
		}
	})
	resume.Importance = widget.HighImportance
	recal := widget.NewButtonWithIcon("Recalibrate", theme.VisibilityIcon(), func() {
		if v.ctl != nil {
			v.ctl.Recalibrate()
		}
	})
	// Ending a session is asked once more: a stray click must not end a reading.
	end := widget.NewButtonWithIcon("End session", theme.MediaStopIcon(), func() { v.askEnd(true) })
	title := widget.NewLabelWithStyle("Paused", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	hint := widget.NewLabelWithStyle("Esc resumes", fyne.TextAlignCenter, fyne.TextStyle{Italic: true})
	v.pauseMenu = container.NewVBox(title, resume, recal, end, hint)

	q := widget.NewLabelWithStyle("End the session?", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	why := widget.NewLabel("The case on screen is saved as read so far. Starting again later goes on with the next case.")
	why.Wrapping = fyne.TextWrapWord
	back := widget.NewButtonWithIcon("Keep the session", theme.CancelIcon(), func() { v.askEnd(false) })
	back.Importance = widget.HighImportance // Enter keeps the session
	yes := widget.NewButtonWithIcon("End session", theme.MediaStopIcon(), func() {
		if v.ctl != nil {
			v.ctl.End()
		}
	})
	yes.Importance = widget.DangerImportance
	v.endAsk = container.NewVBox(q, why, back, yes)

	v.pauseBody = container.NewStack(v.pauseMenu)
	card := widget.NewCard("", "", v.pauseBody)
	return container.NewStack(dim, container.New(fitCard{width: 340}, card))
}

// fitCard centres one card of a set width and as tall as its content at that width (a fixed
// box left a third of the pause and summary cards empty).
type fitCard struct{ width float32 }

func (f fitCard) MinSize(objs []fyne.CanvasObject) fyne.Size {
	if len(objs) == 0 {
		return fyne.Size{}
	}
	return fyne.NewSize(f.width, objs[0].MinSize().Height)
}

func (f fitCard) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		w := min(f.width, size.Width)
		// A wrapping label knows its height only once it has its width.
		o.Resize(fyne.NewSize(w, o.MinSize().Height))
		h := min(o.MinSize().Height, size.Height)
		o.Resize(fyne.NewSize(w, h))
		o.Move(fyne.NewPos((size.Width-w)/2, (size.Height-h)/2))
	}
}

// askEnd shows (or takes back) the pause card's question before ending the session.
func (v *Reading) askEnd(on bool) {
	if v.pauseBody == nil || v.confirmingEnd == on {
		return
	}
	v.confirmingEnd = on
	if on {
		v.pauseBody.Objects = []fyne.CanvasObject{v.endAsk}
	} else {
		v.pauseBody.Objects = []fyne.CanvasObject{v.pauseMenu}
	}
	// The whole overlay: the card takes the height of what it now holds.
	v.pause.Refresh()
}

// Target draws a calibration or validation target.
func (v *Reading) Target(x, y float64) {
	v.hideCard()
	v.Stage.SetTargets([]Point{{X: x, Y: y}})
}

var (
	leftEyeColor  = color.NRGBA{R: 80, G: 160, B: 255, A: 255}
	rightEyeColor = color.NRGBA{R: 255, G: 90, B: 90, A: 255}
)

// CheckText is the calibration/validation report's wording.
func CheckText(r reading.CheckReport) string {
	var b strings.Builder
	switch {
	case r.CalError != "":
		// A sentence for the reader: the error itself is in the session files and the log.
		b.WriteString(reading.CalErrorLine(r.CalError) + "\n")
	case r.Calibration != nil:
		fmt.Fprintf(&b, "Device calibration: average error %.1f px, %d of %d points valid\n",
			r.Calibration.AveErrorPx, r.Calibration.ValidPoints, len(r.Calibration.Points))
	default:
		b.WriteString("No device calibration (this gaze source has none)\n")
	}
	val := r.Validation
	if !val.Acceptable() {
		// Nothing was measured: no figure to show (an accuracy of -1° would pass for one).
		why := "no valid gaze sample"
		if len(val.Reasons) > 0 {
			why = val.Reasons[0]
		}
		fmt.Fprintf(&b, "Validation failed: %s\n", why)
		b.WriteString("Verdict: Failed: nothing was measured; redo the calibration")
		return b.String()
	}
	fmt.Fprintf(&b, "Validation: accuracy %.2f°, precision %.2f° RMS, data loss %.1f%%\n",
		val.AccuracyDeg, val.PrecisionDeg, 100*val.DataLoss)
	verdict := map[quality.ValidationVerdict]string{quality.Good: "Good", quality.Acceptable: "Acceptable", quality.Redo: "Redo recommended"}[val.Verdict]
	if verdict == "" {
		verdict = string(val.Verdict)
	}
	fmt.Fprintf(&b, "Verdict: %s", verdict)
	return b.String()
}

// Check shows a calibration/validation report with its error vectors on the stage.
func (v *Reading) Check(r reading.CheckReport) {
	var targets []Point
	var vecs []Vector
	if r.Calibration != nil {
		for _, p := range r.Calibration.Points {
			targets = append(targets, Point{p.X, p.Y})
			if p.LValid {
				vecs = append(vecs, Vector{p.X, p.Y, p.LX, p.LY, leftEyeColor})
			}
			if p.RValid {
				vecs = append(vecs, Vector{p.X, p.Y, p.RX, p.RY, rightEyeColor})
			}
		}
	}
	for _, p := range r.Validation.Points {
		targets = append(targets, Point{p.X, p.Y})
		if p.N > 0 {
			vecs = append(vecs, Vector{p.X, p.Y, p.GazeX, p.GazeY, overlayColor})
		}
	}
	v.Stage.SetTargets(targets)
	v.Stage.SetVectors(vecs)
	title := widget.NewLabelWithStyle(fmt.Sprintf("Calibration check, round %d", r.Round), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	text := widget.NewLabel(CheckText(r))
	keys := "Enter: the highlighted button · R: redo"
	if r.Validation.Acceptable() {
		keys += " · A: accept" // the keyboard's way to accept a report whose verdict is redo
	}
	legend := widget.NewLabelWithStyle("Lines: left eye blue, right eye red, validation gaze yellow\n"+keys, fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
	accept := widget.NewButtonWithIcon("Accept", theme.ConfirmIcon(), func() {
		if v.ctl != nil {
			v.ctl.Accept()
		}
	})
	if r.Validation.Verdict != quality.Redo {
		accept.Importance = widget.HighImportance
	}
	redo := widget.NewButtonWithIcon("Redo calibration", theme.ViewRefreshIcon(), func() {
		if v.ctl != nil {
			v.ctl.Recalibrate()
		}
	})
	if r.Validation.Verdict == quality.Redo || !r.Validation.Acceptable() {
		redo.Importance = widget.HighImportance
	}
	second := fyne.CanvasObject(accept)
	if !r.Validation.Acceptable() {
		// A failed validation is never offered for acceptance: redo it, or end the session.
		second = widget.NewButtonWithIcon("End session", theme.MediaStopIcon(), func() {
			if v.ctl != nil {
				v.ctl.End()
			}
		})
	}
	v.showCard(container.NewVBox(title, text, legend, container.NewGridWithColumns(2, redo, second)))
	v.report = true
}

// Prompt suggests recalibrating.
func (v *Reading) Prompt() {
	v.Stage.SetTargets(nil)
	text := widget.NewLabel("Time for a calibration check: recalibrating now keeps the gaze accurate.")
	text.Wrapping = fyne.TextWrapWord
	now := widget.NewButtonWithIcon("Recalibrate", theme.VisibilityIcon(), func() {
		if v.ctl != nil {
			v.ctl.Recalibrate()
		}
	})
	now.Importance = widget.HighImportance
	later := widget.NewButtonWithIcon("Continue reading", theme.MediaPlayIcon(), func() {
		if v.ctl != nil {
			v.ctl.Accept()
		}
	})
	v.showCard(container.NewVBox(text, container.NewGridWithColumns(2, later, now)))
}

// Offer proposes to read again, now, the cases that failed the quality gate, were silent or
// were marked by the operator. The reader's screen names no case: only how many, and why in
// general terms.
func (v *Reading) Offer(cases []reading.Skip) {
	v.Stage.SetTargets(nil)
	failed, silent, marked := 0, 0, 0
	for _, k := range cases {
		switch k.Kind {
		case reading.RereadMarked:
			marked++
		case reading.RereadSilent:
			silent++
		default:
			failed++
		}
	}
	msg := fmt.Sprintf("All cases are read. %d should be read again", len(cases))
	var why []string
	if failed > 0 {
		why = append(why, fmt.Sprintf("%d that failed the quality check", failed))
	}
	if silent > 0 {
		why = append(why, fmt.Sprintf("%d with no dictation heard", silent))
	}
	if marked > 0 {
		why = append(why, fmt.Sprintf("%d marked by the operator", marked))
	}
	text := widget.NewLabel(msg + " (" + strings.Join(why, ", ") + ").")
	text.Wrapping = fyne.TextWrapWord
	again := widget.NewButtonWithIcon("Read them again", theme.MediaReplayIcon(), func() {
		if v.ctl != nil {
			v.ctl.Accept()
		}
	})
	again.Importance = widget.HighImportance
	done := widget.NewButtonWithIcon("Finish", theme.ConfirmIcon(), func() {
		if v.ctl != nil {
			v.ctl.End()
		}
	})
	v.showCard(container.NewVBox(text, container.NewGridWithColumns(2, done, again)))
	v.offer = true
}

// Waiting says in one line, in the middle of the black stage, what the station waits for from
// the tracker; "" takes the line away. It closes the tracker options.
func (v *Reading) Waiting(what string) {
	if v.options {
		v.hideCard()
	}
	if what == "" {
		if v.waitBox.Visible() {
			v.waitBox.Hide()
			v.root.Refresh()
		}
		return
	}
	v.Stage.SetTargets(nil)
	v.wait.Text = strings.ToUpper(what[:1]) + what[1:] + " · Esc: options"
	v.wait.Refresh()
	v.waitBox.Show()
	v.root.Refresh()
}

// WaitingText is the waiting line on the reader's screen ("" when none).
func (v *Reading) WaitingText() string {
	if !v.waitBox.Visible() {
		return ""
	}
	return v.wait.Text
}

// TrackerOptions offers, while the station waits on the tracker: retry, skip the device
// calibration (our validation only), or end the session. Esc goes back to waiting.
func (v *Reading) TrackerOptions(waiting string) {
	v.waitBox.Hide()
	msg := "The eye tracker is calibrating."
	if waiting != "" {
		msg = "The station is " + waiting + "."
	}
	text := widget.NewLabel(msg)
	text.Wrapping = fyne.TextWrapWord
	retry := widget.NewButtonWithIcon("Retry", theme.ViewRefreshIcon(), func() {
		if v.ctl != nil {
			v.ctl.Recalibrate()
		}
	})
	retry.Importance = widget.HighImportance
	skip := widget.NewButtonWithIcon("Skip device calibration", theme.MediaSkipNextIcon(), func() {
		if v.ctl != nil {
			v.ctl.SkipCalibration()
		}
	})
	end := widget.NewButtonWithIcon("End session", theme.MediaStopIcon(), func() {
		if v.ctl != nil {
			v.ctl.End()
		}
	})
	hint := widget.NewLabelWithStyle("Skip runs our validation only. Esc goes back to waiting.", fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
	v.showCard(container.NewVBox(text, container.NewGridWithColumns(3, end, skip, retry), hint))
	v.options = true
}

// CannotCalibrate says the tracker does not calibrate (why) and offers to skip its calibration
// (highlighted: Enter), retry, or end the session. Esc has no wait to go back to.
func (v *Reading) CannotCalibrate(why string) {
	v.waitBox.Hide()
	v.Stage.SetTargets(nil)
	text := widget.NewLabel("The eye tracker does not calibrate: " + why + ".")
	text.Wrapping = fyne.TextWrapWord
	retry := widget.NewButtonWithIcon("Retry", theme.ViewRefreshIcon(), func() {
		if v.ctl != nil {
			v.ctl.Recalibrate()
		}
	})
	skip := widget.NewButtonWithIcon("Skip device calibration", theme.MediaSkipNextIcon(), func() {
		if v.ctl != nil {
			v.ctl.SkipCalibration()
		}
	})
	skip.Importance = widget.HighImportance
	end := widget.NewButtonWithIcon("End session", theme.MediaStopIcon(), func() {
		if v.ctl != nil {
			v.ctl.End()
		}
	})
	hint := widget.NewLabelWithStyle("Skip runs our validation only. Enter skips.", fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
	v.showCard(container.NewVBox(text, container.NewGridWithColumns(3, end, retry, skip), hint))
	v.options = true
}

// showCard puts a card at the bottom centre, leaving the middle of the stage (where the error
// vectors are) visible.
func (v *Reading) showCard(content fyne.CanvasObject) {
	v.offer, v.options, v.report = false, false, false
	card := widget.NewCard("", "", content)
	v.card.Objects = []fyne.CanvasObject{container.New(cardLayout{}, card)}
	v.card.Show()
	v.root.Refresh()
}

// cardLayout places a card 620 wide, centred, with its top at 13% of the height: between the
// calibration grid's top row (10%) and the validation targets (30%, at 30% and 70% across),
// so that no target and no error vector is hidden.
type cardLayout struct{}

func (cardLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	if len(objs) == 0 {
		return fyne.Size{}
	}
	return fyne.NewSize(620, objs[0].MinSize().Height)
}

func (cardLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		w := min(float32(620), size.Width)
		h := o.MinSize().Height
		o.Resize(fyne.NewSize(w, h))
		o.Move(fyne.NewPos((size.Width-w)/2, min(size.Height*0.13, max(size.Height-h, 0))))
	}
}

func (v *Reading) hideCard() {
	v.options, v.report = false, false
	if v.card.Visible() {
		v.card.Hide()
		v.card.Objects = nil
		v.root.Refresh()
	}
}

// CardVisible reports whether a report or prompt card is up.
func (v *Reading) CardVisible() bool { return v.card.Visible() }

// Bridge is the reading run's View: each method hops to the UI goroutine with Do.
type Bridge struct{ V *Reading }

// Show is part of reading.View: once the frame's widgets are swapped in, it says so (f.Shown),
// on the UI goroutine, for the run's swap delay.
func (b Bridge) Show(f reading.Frame) {
	Do(func() {
		b.V.Show(f)
		if f.Shown != nil {
			f.Shown()
		}
	})
}

// Paused is part of reading.View.
func (b Bridge) Paused(on bool) { Do(func() { b.V.SetPaused(on) }) }

// Finished is part of reading.View.
func (b Bridge) Finished(s reading.Summary) { Do(func() { b.V.Finished(s) }) }

// Target is part of reading.View.
func (b Bridge) Target(x, y float64) { Do(func() { b.V.Target(x, y) }) }

// Check is part of reading.View.
func (b Bridge) Check(r reading.CheckReport) { Do(func() { b.V.Check(r) }) }

// Prompt is part of reading.View.
func (b Bridge) Prompt() { Do(func() { b.V.Prompt() }) }

// Offer is part of reading.View.
func (b Bridge) Offer(c []reading.Skip) { Do(func() { b.V.Offer(c) }) }

// Waiting is part of reading.View.
func (b Bridge) Waiting(what string) { Do(func() { b.V.Waiting(what) }) }

// TrackerOptions is part of reading.View.
func (b Bridge) TrackerOptions(waiting string) { Do(func() { b.V.TrackerOptions(waiting) }) }

// CannotCalibrate is part of reading.View.
func (b Bridge) CannotCalibrate(why string) { Do(func() { b.V.CannotCalibrate(why) }) }
