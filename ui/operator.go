package ui

import (
	"context"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sightline/reader/reading"
	"sightline/reader/session"
	"sightline/reader/stage"
)

// OperatorSource is what the operator console reads and drives (*reading.Run satisfies it).
type OperatorSource interface {
	Stats() reading.Stats
	Fixations() []stage.Fix
	Pause()
	Resume()
	Recalibrate()
	MarkForReread()
	End()
}

// AudioStatus is the dictation recording as the console shows it (the session's microphone
// reports it: audio.SessionMic.Status).
type AudioStatus = reading.MicStatus

// MeterFloorDB is the bottom of the console's level meter: a quiet room through a real
// microphone reads about −60 dBFS RMS, speech −35 to −10.
const MeterFloorDB = -60.0

// SilentFlag is how long a case may go silent before the console flags it: a reader who
// dictates pauses for breath, not for five seconds with a muted microphone.
const SilentFlag = 5 * time.Second

// Operator is the operator's console: the reader's screen in miniature with the live gaze and
// fixations, the data's health, and the session's controls. The reader's screen stays clean:
// everything here is on the operator's window.
type Operator struct {
	Stage *Stage
	// Audio, when set, is polled with the rest for the level meter and recording clock.
	Audio func() AudioStatus
	// Tracker, when set, gives the tracker connection's state ("connected GP3 60 Hz",
	// "lost: …, reconnecting").
	Tracker func() string

	src      OperatorSource
	root     fyne.CanvasObject
	caseLbl  *widget.Label
	phase    *widget.Label
	gazeLbl  *widget.Label
	trackLbl *widget.Label
	lossLbl  *canvas.Text
	calLbl   *widget.Label
	recDot   *canvas.Circle
	recLbl   *widget.Label
	level    *levelMeter
	silent   *widget.Label // the case has been silent for SilentFlag or more
	marked   *widget.Label
	pauseBtn *widget.Button
	controls []*widget.Button // disabled once the session is over
	endAsk   *widget.PopUp    // the question End session asks, while it is up
	paused   bool
	shown    any // the image on the thumbnail, to swap it only on change
}

// NewOperator builds the console over a run.
func NewOperator(src OperatorSource) *Operator {
	o := &Operator{src: src, Stage: NewStage()}
	o.Stage.SetOverlay(true)
	o.caseLbl = widget.NewLabel("")
	o.phase = widget.NewLabel("")
	o.gazeLbl = widget.NewLabel("")
	o.trackLbl = widget.NewLabel("")
	o.trackLbl.Truncation = fyne.TextTruncateEllipsis
	o.lossLbl = canvas.NewText("", theme.Color(theme.ColorNameForeground))
	o.calLbl = widget.NewLabel("no calibration check yet")
	o.recDot = canvas.NewCircle(color.Transparent)
	o.recLbl = widget.NewLabel("")
	// A microphone's error can be a long chain: it must not widen the console's window.
	o.recLbl.Truncation = fyne.TextTruncateEllipsis
	o.level = newLevelMeter()
	o.level.set(0, "no audio")
	o.silent = widget.NewLabel("")
	o.silent.Importance = widget.DangerImportance
	o.silent.TextStyle.Bold = true
	o.marked = widget.NewLabel("")
	o.marked.Wrapping = fyne.TextWrapWord

	o.pauseBtn = widget.NewButtonWithIcon("Pause", theme.MediaPauseIcon(), func() {
		if o.paused {
			src.Resume()
		} else {
			src.Pause()
		}
	})
	recal := widget.NewButtonWithIcon("Recalibrate", theme.VisibilityIcon(), func() {
		src.Pause() // recalibration starts from the pause overlay
		src.Recalibrate()
	})
	mark := widget.NewButtonWithIcon("Mark for re-read", theme.WarningIcon(), src.MarkForReread)
	var end *widget.Button
	end = widget.NewButtonWithIcon("End session", theme.MediaStopIcon(), func() { o.askEnd(end) })

	dot := container.NewGridWrap(fyne.NewSize(14, 14), o.recDot)
	form := widget.NewForm(
		widget.NewFormItem("Case", o.caseLbl),
		widget.NewFormItem("State", o.phase),
		widget.NewFormItem("Tracker", o.trackLbl),
		widget.NewFormItem("Gaze", o.gazeLbl),
		widget.NewFormItem("Data loss", o.lossLbl),
		widget.NewFormItem("Calibration", o.calLbl),
		widget.NewFormItem("Audio", container.NewBorder(nil, nil, container.NewCenter(dot), nil, o.recLbl)),
		widget.NewFormItem("Level", container.NewBorder(nil, nil, nil, o.silent, o.level)),
		widget.NewFormItem("Re-read", o.marked),
	)
	o.controls = []*widget.Button{o.pauseBtn, recal, mark, end}
	buttons := container.NewGridWithColumns(2, o.pauseBtn, recal, mark, end)
	thumb := container.NewGridWrap(fyne.NewSize(576, 324), o.Stage)
	o.root = container.NewBorder(nil, nil, thumb, nil, container.NewVBox(form, buttons))
	return o
}

// Content is the console's canvas object.
func (o *Operator) Content() fyne.CanvasObject { return o.root }

// RefreshEvery is the console's update period. Every update repaints the operator's window;
// without a GPU (Mesa's software renderer) that is the station's largest CPU cost, so the console
// updates four times a second rather than at the display rate.
const RefreshEvery = 250 * time.Millisecond

// Run refreshes the console every RefreshEvery until ctx ends: a snapshot is taken on this
// goroutine, and only the widget update hops to the UI goroutine.
func (o *Operator) Run(ctx context.Context) {
	t := time.NewTicker(RefreshEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			// The run has ended: a last snapshot, or the console would go on showing the
			// state it was in a quarter second before ("reading", controls that do nothing).
			o.refresh()
			return
		case <-t.C:
			o.refresh()
		}
	}
}

// refresh takes a snapshot on the calling goroutine and shows it on the UI goroutine.
func (o *Operator) refresh() {
	st, fx := o.src.Stats(), o.src.Fixations()
	var a AudioStatus
	if o.Audio != nil {
		a = o.Audio()
	}
	tr := ""
	if o.Tracker != nil {
		tr = o.Tracker()
	}
	Do(func() {
		setText(o.trackLbl, tr)
		o.Update(st, fx, a)
	})
}

// Update shows a snapshot. Call on the UI goroutine.
func (o *Operator) Update(st reading.Stats, fixes []stage.Fix, a AudioStatus) {
	switch {
	case st.Screen.Kind == session.KindCalibration && st.Phase == "reading":
		if o.shown != session.KindCalibration {
			o.Stage.SetCalibration()
			o.shown = session.KindCalibration
		}
	case st.Image != nil && o.shown != any(st.Image):
		o.Stage.SetImage(st.Image, st.Layout)
		o.shown = st.Image
	}
	o.Stage.SetFixations(fixes)
	g := st.Gaze
	o.Stage.SetGaze(g.BPOGX, g.BPOGY, g.BPOGV)

	kind := "case"
	if st.Screen.Kind == session.KindCalibration {
		kind = "calibration screen"
	}
	if st.Total == 0 { // the run has shown nothing yet (connecting, calibrating)
		setText(o.caseLbl, "no screen shown yet")
	} else {
		setText(o.caseLbl, fmt.Sprintf("%d of %d (%s) · %s", st.Index+1, st.Total, kind,
			clock(st.Now-st.CaseStart)))
	}
	switch {
	case st.Phase == "finished":
		setText(o.phase, "finished: the session is over")
		for _, b := range o.controls {
			b.Disable()
		}
	case st.Waiting != "":
		setText(o.phase, st.Phase+" · "+st.Waiting)
	default:
		setText(o.phase, st.Phase)
	}
	wasPaused := o.paused
	o.paused = st.Phase == "paused"
	if o.paused != wasPaused { // the button starts as Pause
		if o.paused {
			o.pauseBtn.SetText("Resume")
			o.pauseBtn.SetIcon(theme.MediaPlayIcon())
		} else {
			o.pauseBtn.SetText("Pause")
			o.pauseBtn.SetIcon(theme.MediaPauseIcon())
		}
	}
	rate, loss := fmt.Sprintf("%.1f Hz", st.RecentRate), fmt.Sprintf("%.1f%% over the last %s", 100*st.RecentLoss, reading.StatsWindow)
	lossC := lossColor(st.RecentLoss)
	if st.Stalled() {
		// Said at once, before the rolling figures have moved: the tracker has stopped.
		silent := fmt.Sprintf("%.1f s", st.SinceSample.Seconds())
		rate, loss, lossC = "NO SAMPLES for "+silent, "100% (no samples for "+silent+")", lossColor(1)
	}
	setText(o.gazeLbl, fmt.Sprintf("%s · %d samples · %d records lost", rate, st.Samples, st.Lost))
	if txt, c := loss, lossC; txt != o.lossLbl.Text || c != o.lossLbl.Color {
		o.lossLbl.Text, o.lossLbl.Color = txt, c
		o.lossLbl.Refresh()
	}
	if c := st.LastCheck; c != nil {
		if c.Validation.Acceptable() {
			setText(o.calLbl, fmt.Sprintf("round %d: %.2f° accuracy, %s", c.Round, c.Validation.AccuracyDeg, c.Validation.Verdict))
		} else {
			setText(o.calLbl, fmt.Sprintf("round %d: FAILED, %s", c.Round, strings.Join(c.Validation.Reasons, "; ")))
		}
	}
	dotWas := o.recDot.FillColor
	switch {
	case a.Err != "":
		setText(o.recLbl, "microphone failed: "+a.Err)
		o.recDot.FillColor = color.Transparent
	case !a.Enabled:
		setText(o.recLbl, "no microphone: gaze only")
		o.recDot.FillColor = color.Transparent
	case a.Recording:
		setText(o.recLbl, fmt.Sprintf("recording %s · %s", clock(a.Elapsed), a.Device))
		o.recDot.FillColor = color.NRGBA{R: 230, G: 30, B: 30, A: 255}
	default:
		setText(o.recLbl, "idle · "+a.Device)
		o.recDot.FillColor = color.Transparent
	}
	if o.recDot.FillColor != dotWas {
		o.recDot.Refresh()
	}
	// −60 dBFS to 0 dBFS (full scale): empty at silence and when nothing is being recorded;
	// the reading in dBFS on the bar.
	lv, txt := 0.0, "no audio"
	if a.Enabled && a.Err == "" {
		lv = math.Max(0, math.Min(1, (a.LevelDB-MeterFloorDB)/-MeterFloorDB))
		txt = fmt.Sprintf("%.0f dBFS", a.LevelDB)
		if a.LevelDB <= MeterFloorDB {
			txt = fmt.Sprintf("silence (below %.0f dBFS)", MeterFloorDB)
		}
	}
	o.level.set(lv, txt)
	flag := ""
	if a.Recording && a.Err == "" && a.Silent >= SilentFlag {
		flag = fmt.Sprintf("silent for %s", a.Silent.Truncate(time.Second))
	}
	if a.Clock != "" {
		flag = strings.TrimPrefix(flag+" · "+a.Clock, " · ")
	}
	setText(o.silent, flag)
	setText(o.marked, rereadLine(st.Marked, st.Reread))
}

// rereadLine lists the cases marked and not yet shown again; a re-read clears them.
func rereadLine(marked, reread []string) string {
	var pending []string
	for _, id := range marked {
		if !slices.Contains(reread, id) && !slices.Contains(pending, id) {
			pending = append(pending, id)
		}
	}
	switch {
	case len(pending) > 0:
		return strings.Join(pending, ", ")
	case len(reread) > 0:
		return fmt.Sprintf("none pending · %d re-read", len(reread))
	}
	return "none"
}

func lossColor(loss float64) color.Color {
	switch {
	case loss >= 0.15:
		return color.NRGBA{R: 230, G: 40, B: 40, A: 255}
	case loss >= 0.10:
		return color.NRGBA{R: 240, G: 160, B: 0, A: 255}
	}
	return theme.Color(theme.ColorNameForeground)
}

func clock(d time.Duration) string {
	d = max(d, 0).Round(time.Second)
	return fmt.Sprintf("%02d:%02d", int(d.Minutes()), int(d.Seconds())%60)
}

// setText changes a label only when its text changes: every refresh repaints the window.
func setText(l *widget.Label, s string) {
	if l.Text != s {
		l.SetText(s)
	}
}

// askEnd asks before ending the session, over the console (from is the button that asked).
func (o *Operator) askEnd(from fyne.CanvasObject) {
	c := fyne.CurrentApp().Driver().CanvasForObject(from)
	if c == nil {
		return
	}
	q := widget.NewLabelWithStyle("End the session?", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	why := widget.NewLabel("The case on screen is saved as read so far; the reader's next start goes on with the next case.")
	why.Wrapping = fyne.TextWrapWord
	var pop *widget.PopUp
	back := widget.NewButtonWithIcon("Keep the session", theme.CancelIcon(), func() { pop.Hide(); o.endAsk = nil })
	back.Importance = widget.HighImportance
	yes := widget.NewButtonWithIcon("End session", theme.MediaStopIcon(), func() {
		pop.Hide()
		o.endAsk = nil
		o.src.End()
	})
	yes.Importance = widget.DangerImportance
	box := container.NewVBox(q, why, container.NewGridWithColumns(2, back, yes))
	pop = widget.NewModalPopUp(container.NewGridWrap(fyne.NewSize(440, 180), box), c)
	o.endAsk = pop
	pop.Show()
}
