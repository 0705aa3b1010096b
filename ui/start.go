package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// StartActions are what the start screen's buttons do.
type StartActions struct {
	OpenDemo  func()
	OpenStudy func(dir string)
}

// NewStart is the station's start screen: read the demo study or open a study folder.
func NewStart(a StartActions, w fyne.Window) fyne.CanvasObject {
	title := widget.NewLabelWithStyle("Sightline", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	sub := widget.NewLabelWithStyle("Reading station for chest X-ray eye-tracking studies",
		fyne.TextAlignCenter, fyne.TextStyle{Italic: true})
	demo := widget.NewButtonWithIcon("Read the demo study", theme.MediaPlayIcon(), a.OpenDemo)
	demo.Importance = widget.HighImportance
	open := widget.NewButtonWithIcon("Open study folder…", theme.FolderOpenIcon(), func() {
		dialog.ShowFolderOpen(func(u fyne.ListableURI, err error) {
			if err != nil {
				dialog.ShowError(err, w)
				return
			}
			if u != nil {
				a.OpenStudy(u.Path())
			}
		}, w)
	})
	help := widget.NewLabel("Keys while reading: Space = next case, Esc = pause, F = fixation overlay.")
	help.Alignment = fyne.TextAlignCenter
	box := container.NewVBox(title, sub, widget.NewSeparator(), demo, open, help)
	return container.NewCenter(container.NewGridWrap(fyne.NewSize(520, 260), box))
}
