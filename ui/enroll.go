package ui

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// EnrollCommands are what the enrollment screen does: app's microphone (the capture code the
// reading uses) and the adaptation. Functions marked "off the UI goroutine" are called from the
// screen's own goroutines.
type EnrollCommands struct {
	Reader string
	Script []string // the enrollment script's lines, in order
	// Recorded are the lines (from 0) the reader has a recording of (an enrollment begun before
	// and taken up again); off the UI goroutine.
	Recorded func() (map[int]float64, error)
	// Start starts recording line i; Stop ends it and keeps it (its seconds); Cancel ends it and
	// drops it. A line recorded again replaces the one before only when Stop keeps it.
	Start  func(i int) error
	Stop   func() (float64, error)
	Cancel func()
	// Level is the microphone's level now, in dBFS.
	Level func() float64
	// MinLines is the fewest lines Adapt takes.
	MinLines int
	// Adapt adapts the recogniser to the recorded lines (minutes of work); off the UI goroutine.
	// It returns what to tell the reader.
	Adapt func() (string, error)
	// Close stops the microphone and goes back to the start screen.
	Close func()
}

// Enroll is the enrollment screen: the script's lines one at a time, each recorded with the
// station's microphone (Record, Stop; Redo records it again), then the adaptation in the
// background. Enter presses the highlighted button.
type Enroll struct {
	w   fyne.Window
	cmd EnrollCommands

	root     *fyne.Container
	title    *widget.Label
	line     *widget.Label
	state    *widget.Label
	meter    *levelMeter
	progress *widget.ProgressBarInfinite
	prev     *widget.Button
	record   *widget.Button
	next     *widget.Button
	adapt    *widget.Button
	closeBtn *widget.Button

	i         int
	recorded  map[int]float64
	recording bool
	adapting  bool
	done      bool
	stopMeter chan struct{}

	background func(func()) // nil: a goroutine; the tests run it in line
}

// NewEnroll makes the enrollment screen; Load fills in what was recorded before.
func NewEnroll(w fyne.Window, cmd EnrollCommands) *Enroll {
	e := &Enroll{w: w, cmd: cmd, recorded: map[int]float64{}, background: func(f func()) { go f() }}
	e.title = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	e.line = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{})
	e.line.Wrapping = fyne.TextWrapWord
	e.line.SizeName = theme.SizeNameSubHeadingText
	e.state = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Italic: true})
	e.state.Wrapping = fyne.TextWrapWord
	e.meter = newLevelMeter()
	e.progress = widget.NewProgressBarInfinite()
	e.progress.Hide()
	e.progress.Stop()
	e.prev = widget.NewButtonWithIcon("Previous line", theme.NavigateBackIcon(), func() { e.Show(e.i - 1) })
	e.record = widget.NewButtonWithIcon("Record", theme.MediaRecordIcon(), e.ToggleRecord)
	e.next = widget.NewButtonWithIcon("Next line", theme.NavigateNextIcon(), func() { e.Show(e.i + 1) })
	e.adapt = widget.NewButtonWithIcon("Adapt my model", theme.ConfirmIcon(), e.Adapt)
	e.closeBtn = widget.NewButtonWithIcon("Close", theme.CancelIcon(), e.Close)
	intro := widget.NewLabel("Read each line aloud as you would dictate it: press Record, read, press Stop. Redo a line " +
		"that went wrong. After the last line (or at least " + fmt.Sprint(cmd.MinLines) + "), Adapt my model fits the " +
		"recogniser to your voice: your drafts are made with it from then on.")
	intro.Wrapping = fyne.TextWrapWord
	intro.Importance = widget.LowImportance
	bar := container.NewHBox(e.closeBtn, e.prev, e.record, e.next, e.adapt)
	box := container.NewVBox(e.title, intro, widget.NewSeparator(), e.line, e.state, e.meter, e.progress,
		container.NewCenter(bar))
	e.root = container.NewCenter(container.NewGridWrap(fyne.NewSize(900, 460), box))
	e.Show(0)
	return e
}

// Content is the screen's root object.
func (e *Enroll) Content() fyne.CanvasObject { return e.root }

// Line is the line on show (from 0).
func (e *Enroll) Line() int { return e.i }

// StateText is what the screen says of the line (or the adaptation).
func (e *Enroll) StateText() string { return e.state.Text }

// Recording reports whether a line is being recorded.
func (e *Enroll) Recording() bool { return e.recording }

// Load asks which lines were recorded before (off the UI goroutine) and shows the first line
// without a recording.
func (e *Enroll) Load() {
	e.background(func() {
		rec, err := e.cmd.Recorded()
		Do(func() {
			if err != nil {
				e.state.SetText("The earlier recordings cannot be read: " + err.Error())
				return
			}
			e.recorded = rec
			first := 0
			for first < len(e.cmd.Script) && rec[first] > 0 {
				first++
			}
			e.Show(min(first, len(e.cmd.Script)-1))
		})
	})
	e.startMeter()
}

// startMeter shows the microphone's level ten times a second while the screen is up.
func (e *Enroll) startMeter() {
	if e.cmd.Level == nil || e.stopMeter != nil {
		return
	}
	stop := make(chan struct{})
	e.stopMeter = stop
	go func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				db := e.cmd.Level()
				Do(func() { e.meter.set(min(max((db+60)/60, 0), 1), fmt.Sprintf("%.0f dBFS", db)) })
			}
		}
	}()
}

// Show shows line i.
func (e *Enroll) Show(i int) {
	if e.recording || e.adapting || i < 0 || i >= len(e.cmd.Script) {
		return
	}
	e.i = i
	e.title.SetText(fmt.Sprintf("Voice enrollment · %s · line %d of %d · %d recorded", e.cmd.Reader, i+1, len(e.cmd.Script), e.count()))
	e.line.SetText("“" + e.cmd.Script[i] + "”")
	if s := e.recorded[i]; s > 0 {
		e.state.SetText(fmt.Sprintf("Recorded (%.1f s). Redo records it again.", s))
	} else {
		e.state.SetText("Not recorded yet.")
	}
	e.buttons()
}

func (e *Enroll) count() int {
	n := 0
	for _, s := range e.recorded {
		if s > 0 {
			n++
		}
	}
	return n
}

// buttons sets the bar: one highlighted button, what the reader does next.
func (e *Enroll) buttons() {
	all := []*widget.Button{e.prev, e.record, e.next, e.adapt, e.closeBtn}
	for _, b := range all {
		b.Importance = widget.MediumImportance
		b.Enable()
	}
	e.recordButton()
	done := e.recorded[e.i] > 0
	last := e.i == len(e.cmd.Script)-1
	if !e.recording && done && !last {
		e.next.Importance = widget.HighImportance
	}
	if e.count() < e.cmd.MinLines || e.recording {
		e.adapt.Disable()
	} else if done && (last || e.count() == len(e.cmd.Script)) {
		e.adapt.Importance = widget.HighImportance
	}
	if e.i == 0 {
		e.prev.Disable()
	}
	if last {
		e.next.Disable()
	}
	e.busyOrDone(all)
	for _, b := range all {
		b.Refresh()
	}
}

// busyOrDone: while adapting only Close can be pressed; once the model is made, leaving is
// what comes next (recording another line takes that back).
func (e *Enroll) busyOrDone(all []*widget.Button) {
	if e.adapting {
		for _, b := range all[:4] {
			b.Disable()
		}
	}
	if e.done {
		for _, b := range all[:4] {
			b.Importance = widget.MediumImportance
		}
		e.closeBtn.Importance = widget.HighImportance
	}
}

// recordButton is Record (highlighted) on a line not recorded, Stop (highlighted) while
// recording, Redo on a line recorded; while recording nothing else can be pressed.
func (e *Enroll) recordButton() {
	switch {
	case e.recording:
		e.record.SetText("Stop")
		e.record.SetIcon(theme.MediaStopIcon())
		e.record.Importance = widget.HighImportance
		e.prev.Disable()
		e.next.Disable()
		e.adapt.Disable()
		e.closeBtn.Disable()
	case e.recorded[e.i] > 0:
		e.record.SetText("Redo")
		e.record.SetIcon(theme.MediaReplayIcon())
	default:
		e.record.SetText("Record")
		e.record.SetIcon(theme.MediaRecordIcon())
		e.record.Importance = widget.HighImportance
	}
}

// ToggleRecord starts recording the line on show, or stops and keeps it.
func (e *Enroll) ToggleRecord() {
	if e.adapting {
		return
	}
	if !e.recording {
		if err := e.cmd.Start(e.i); err != nil {
			e.state.SetText("Not recording: " + err.Error())
			return
		}
		e.recording, e.done = true, false
		e.state.SetText("Recording… read the line, then press Stop (Enter).")
		e.buttons()
		return
	}
	e.recording = false
	secs, err := e.cmd.Stop()
	switch {
	case err != nil:
		e.state.SetText("The recording was not kept: " + err.Error())
	case secs < 0.5:
		e.state.SetText(fmt.Sprintf("Only %.1f s were recorded: record the line again.", secs))
	default:
		e.recorded[e.i] = secs
		if e.i+1 < len(e.cmd.Script) && e.recorded[e.i+1] == 0 {
			e.Show(e.i + 1) // on to the next line, ready to record
			return
		}
		e.Show(e.i)
		return
	}
	e.buttons()
}

// Adapt runs the adaptation in the background, showing that it works and for how long.
func (e *Enroll) Adapt() {
	if e.adapting || e.recording || e.count() < e.cmd.MinLines {
		return
	}
	e.adapting = true
	e.buttons()
	e.progress.Show()
	e.progress.Start()
	start := time.Now()
	e.state.SetText(fmt.Sprintf("Adapting the recogniser to your voice from %d lines: this takes seconds to a few minutes. Closing stops it; the lines are kept.", e.count()))
	tick := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-tick:
				return
			case <-t.C:
				el := time.Since(start).Round(time.Second)
				Do(func() {
					if e.adapting {
						e.title.SetText(fmt.Sprintf("Voice enrollment · %s · adapting (%s)", e.cmd.Reader, el))
					}
				})
			}
		}
	}()
	e.background(func() {
		msg, err := e.cmd.Adapt()
		close(tick)
		Do(func() {
			e.adapting = false
			e.progress.Stop()
			e.progress.Hide()
			if err != nil {
				e.state.SetText("The adaptation failed: " + err.Error())
				e.buttons()
				return
			}
			e.done = true
			e.title.SetText(fmt.Sprintf("Voice enrollment · %s · done", e.cmd.Reader))
			e.state.SetText(msg)
			e.buttons()
		})
	})
}

// Adapting reports whether the adaptation runs; Done whether it ended well.
func (e *Enroll) Adapting() bool { return e.adapting }

// Done reports whether the adaptation ended well.
func (e *Enroll) Done() bool { return e.done }

// Close leaves the screen (a line being recorded is dropped).
func (e *Enroll) Close() {
	if e.recording {
		e.cmd.Cancel()
		e.recording = false
	}
	if e.stopMeter != nil {
		close(e.stopMeter)
		e.stopMeter = nil
	}
	if e.cmd.Close != nil {
		e.cmd.Close()
	}
}

// TypedKey: Enter presses the highlighted button; Space records or stops.
func (e *Enroll) TypedKey(k *fyne.KeyEvent) {
	switch k.Name {
	case fyne.KeyReturn, fyne.KeyEnter:
		if b := highlighted(e.root); b != nil && b.OnTapped != nil {
			b.OnTapped()
		}
	case fyne.KeySpace:
		e.ToggleRecord()
	}
}

// enroll asks which study and which reader, then opens the enrollment screen.
func (s *Station) enroll(dir string) {
	readers, _ := s.cmd.Readers(dir)
	open := func(reader string) {
		reader = strings.TrimSpace(reader)
		if reader == "" {
			return
		}
		cmd, err := s.cmd.Enroll(dir, reader, func() {
			s.w.Canvas().SetOnTypedKey(nil)
			s.ShowStart()
		})
		if err != nil {
			s.ShowStart()
			dialog.ShowError(err, s.w)
			return
		}
		e := NewEnroll(s.w, cmd)
		s.w.SetContent(e.Content())
		s.w.Canvas().SetOnTypedKey(e.TypedKey)
		e.Load()
	}
	if len(readers) > 0 {
		ChooseReader(s.w, dir, readers, s.opt.Reader, open)
		return
	}
	name := widget.NewEntry()
	name.SetText(s.opt.Reader)
	form := widget.NewForm(widget.NewFormItem("Reader", name))
	d := dialog.NewCustomConfirm("Whose voice?", "Enroll", "Cancel", form, func(ok bool) {
		if ok {
			open(name.Text)
		}
	}, s.w)
	name.OnSubmitted = func(string) { d.Confirm() }
	d.Resize(fyne.NewSize(460, 180))
	EnterConfirms(d, s.w.Canvas()) // Enter presses Enroll, the highlighted button
	d.Show()
}

// enrollAction is the start screen's "Enroll a voice…" (nil when app gives no enrollment).
func (s *Station) enrollAction() func(dir string) {
	if s.cmd.Enroll == nil {
		return nil
	}
	return s.enroll
}

// folderButton is a start screen button that asks for a study folder and hands it to act;
// hidden when act is nil.
func folderButton(label string, icon fyne.Resource, w fyne.Window, act func(dir string)) *widget.Button {
	b := widget.NewButtonWithIcon(label, icon, func() {
		dialog.ShowFolderOpen(func(u fyne.ListableURI, err error) {
			if err != nil {
				dialog.ShowError(err, w)
				return
			}
			if u != nil {
				act(u.Path())
			}
		}, w)
	})
	if act == nil {
		b.Hide()
	}
	return b
}
