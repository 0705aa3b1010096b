package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// StartActions are what the start screen's buttons do. OpenDemo may take seconds (the demo
// study is generated on first use): it is called on its own goroutine, and the start screen
// shows it is busy until done is called.
type StartActions struct {
	OpenDemo  func(done func())
	OpenStudy func(dir string)
	NewStudy  func() // "New study…": prepare a study from a worklist and DICOMs
	Settings  func() // the microphone
	// CorrectBoxes opens the box editor on a study folder ("Correct boxes…"); nil hides it.
	CorrectBoxes func(dir string)
	// Review opens the QA review of a study folder ("Review sessions…"); nil hides it.
	Review func(dir string)
	// Enroll records a reader's voice for the recogniser in a study folder ("Enroll a
	// voice…", ui/enroll.go); nil hides it.
	Enroll func(dir string)
}

// NewStart is the station's start screen: read the demo study or open a study folder.
func NewStart(a StartActions, icon fyne.Resource, w fyne.Window) fyne.CanvasObject {
	logo := canvas.NewImageFromResource(icon)
	logo.FillMode = canvas.ImageFillContain
	logo.SetMinSize(fyne.NewSize(96, 96))
	title := canvas.NewText("Sightline", theme.Color(theme.ColorNameForeground))
	title.TextSize = 2.4 * theme.TextSize()
	title.TextStyle.Bold = true
	title.Alignment = fyne.TextAlignCenter
	sub := widget.NewLabelWithStyle("Reading station for chest X-ray eye-tracking studies",
		fyne.TextAlignCenter, fyne.TextStyle{Italic: true})
	busy := widget.NewProgressBarInfinite()
	busy.Hide()
	busy.Stop()
	var demo, open *widget.Button
	demo = widget.NewButtonWithIcon("Read the demo study", theme.MediaPlayIcon(), func() {
		demo.Disable()
		open.Disable()
		busy.Show()
		busy.Start()
		go a.OpenDemo(func() {
			fyne.Do(func() {
				busy.Stop()
				busy.Hide()
				demo.Enable()
				open.Enable()
			})
		})
	})
	demo.Importance = widget.HighImportance
	open = widget.NewButtonWithIcon("Open study folder…", theme.FolderOpenIcon(), func() {
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
	newStudy := widget.NewButtonWithIcon("New study…", theme.FolderNewIcon(), func() {
		if a.NewStudy != nil {
			a.NewStudy()
		}
	})
	settings := widget.NewButtonWithIcon("Settings…", theme.SettingsIcon(), func() {
		if a.Settings != nil {
			a.Settings()
		}
	})
	boxes := widget.NewButtonWithIcon("Correct boxes…", theme.DocumentCreateIcon(), func() {
		dialog.ShowFolderOpen(func(u fyne.ListableURI, err error) {
			if err != nil {
				dialog.ShowError(err, w)
				return
			}
			if u != nil {
				a.CorrectBoxes(u.Path())
			}
		}, w)
	})
	if a.CorrectBoxes == nil {
		boxes.Hide()
	}
	review := widget.NewButtonWithIcon("Review sessions…", theme.VisibilityIcon(), func() {
		dialog.ShowFolderOpen(func(u fyne.ListableURI, err error) {
			if err != nil {
				dialog.ShowError(err, w)
				return
			}
			if u != nil {
				a.Review(u.Path())
			}
		}, w)
	})
	if a.Review == nil {
		review.Hide()
	}
	enroll := folderButton("Enroll a voice…", theme.AccountIcon(), w, a.Enroll)
	help := widget.NewLabel("While reading: Space = next case · Esc = pause · F = fixation overlay")
	help.Alignment = fyne.TextAlignCenter
	box := container.NewVBox(container.NewCenter(logo), title, sub, widget.NewSeparator(), demo, open, newStudy, boxes, review, enroll, settings, busy, help)
	return container.NewCenter(container.NewGridWrap(fyne.NewSize(560, 560), box))
}

// ChooseReader asks who reads a prepared study, among the readers with a plan in it; current
// (the --reader) is chosen first when it is one of them. pick receives the reader on Read, ""
// on Cancel.
func ChooseReader(w fyne.Window, study string, readers []string, current string, pick func(reader string)) {
	sel := widget.NewSelect(readers, nil)
	sel.SetSelected(readers[0])
	for _, r := range readers {
		if r == current {
			sel.SetSelected(r)
		}
	}
	note := widget.NewLabel("Each reader reads the study in their own blinded order (" + study + "/plans).")
	note.Wrapping = fyne.TextWrapWord
	form := widget.NewForm(widget.NewFormItem("Reader", sel))
	d := dialog.NewCustomConfirm("Who is reading?", "Read", "Cancel", container.NewVBox(form, note), func(ok bool) {
		if !ok {
			pick("")
			return
		}
		pick(sel.Selected)
	}, w)
	d.Resize(fyne.NewSize(520, 220))
	EnterConfirms(d, w.Canvas())
	d.Show()
}
