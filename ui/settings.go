package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// Microphone choices besides the devices themselves.
const (
	MicDefault = "System default"
	MicNone    = "None (gaze only)"
)

// ShowSettings lets the operator choose the microphone among devices (as the audio backend
// lists them). current is the saved choice ("" the default, "none" gaze only, else a device
// name); save receives the new one in the same terms. monitors are the devices that record
// what the computer plays (loopbacks), not a microphone: the dialog says so.
func ShowSettings(w fyne.Window, devices []string, listErr error, current string, save func(device string), monitors ...string) {
	sel := widget.NewSelect(append([]string{MicDefault, MicNone}, devices...), nil)
	switch current {
	case "":
		sel.SetSelected(MicDefault)
	case "none":
		sel.SetSelected(MicNone)
	default:
		sel.SetSelected(current)
	}
	note := widget.NewLabel("")
	note.Wrapping = fyne.TextWrapWord
	switch {
	case listErr != nil:
		note.SetText("No capture device could be listed: " + listErr.Error())
	case len(monitors) > 0:
		q := make([]string, len(monitors))
		for i, m := range monitors {
			q[i] = fmt.Sprintf("%q", m)
		}
		note.SetText("Not microphones (they record what this computer plays): " + strings.Join(q, ", ") + ".")
	}
	form := widget.NewForm(widget.NewFormItem("Microphone", sel))
	d := dialog.NewCustomConfirm("Settings", "Save", "Cancel", container.NewVBox(form, note), func(ok bool) {
		if !ok {
			return
		}
		switch sel.Selected {
		case MicDefault:
			save("")
		case MicNone:
			save("none")
		default:
			save(sel.Selected)
		}
	}, w)
	d.Resize(fyne.NewSize(520, 220))
	EnterConfirms(d, w.Canvas())
	d.Show()
}

// ShowNoMicrophone says in one sentence that the microphone (device: the name asked for, ""
// the default) could not be opened and asks whether to record gaze only. The details (the
// error, the devices the backend lists) wait behind a Details control. answer receives true
// for a gaze-only session, false to go back.
func ShowNoMicrophone(w fyne.Window, device, details string, answer func(gazeOnly bool)) {
	msg := "No microphone could be opened. Record this session without audio (gaze only)?"
	if device != "" {
		msg = fmt.Sprintf("The microphone %q could not be opened. Record this session without audio (gaze only)?", device)
	}
	text := widget.NewLabel(msg)
	text.Wrapping = fyne.TextWrapWord
	more := widget.NewLabel(details)
	more.Wrapping = fyne.TextWrapWord
	more.TextStyle.Monospace = true
	scroll := container.NewVScroll(more)
	scroll.SetMinSize(fyne.NewSize(560, 180))
	acc := widget.NewAccordion(widget.NewAccordionItem("Details", scroll))
	d := dialog.NewCustomConfirm("No microphone", "Gaze only", "No", container.NewVBox(text, acc), answer, w)
	d.Resize(fyne.NewSize(620, 200))
	EnterConfirms(d, w.Canvas())
	d.Show()
}

// ShowMonitorSource warns that the default sound input (device) records what the computer plays
// (a monitor, or loopback, source), not a microphone, and asks whether to record from it anyway.
// answer receives true to record from it, false to go back (and choose a microphone in
// Settings).
func ShowMonitorSource(w fyne.Window, device string, answer func(useIt bool)) {
	text := widget.NewLabel(fmt.Sprintf("The default sound input, %q, records what this computer plays, not a microphone: "+
		"the dictation would not be heard. Record from it anyway?", device))
	text.Wrapping = fyne.TextWrapWord
	hint := widget.NewLabel("To record the reader, choose a microphone in Settings… on the start screen.")
	hint.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm("Not a microphone", "Record from it", "No", container.NewVBox(text, hint), answer, w)
	d.Resize(fyne.NewSize(620, 220))
	EnterConfirms(d, w.Canvas())
	d.Show()
}
