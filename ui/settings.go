package ui

import (
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
// name); save receives the new one in the same terms.
func ShowSettings(w fyne.Window, devices []string, listErr error, current string, save func(device string)) {
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
	if listErr != nil {
		note.SetText("No capture device could be listed: " + listErr.Error())
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
	d.Show()
}
