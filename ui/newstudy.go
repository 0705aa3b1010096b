package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"
)

// NewStudyRequest is what the coordinator picked in the "New study…" form.
type NewStudyRequest struct {
	Worklist, DicomRoot, Out string
}

// NewStudyProgress is the form's progress display while a study is prepared: Set from any
// goroutine through fyne.Do (the caller's bridge), Done when finished.
type NewStudyProgress struct {
	bar   *widget.ProgressBar
	label *widget.Label
	dlg   dialog.Dialog
}

// Set shows done of total cases prepared. Call on the UI goroutine.
func (p *NewStudyProgress) Set(done, total int) {
	if total > 0 {
		p.bar.SetValue(float64(done) / float64(total))
	}
	p.label.SetText(fmt.Sprintf("%d of %d cases prepared", done, total))
}

// Done closes the progress dialog. Call on the UI goroutine.
func (p *NewStudyProgress) Done() { p.dlg.Hide() }

// ShowNewStudy asks for a worklist (an EGD-CXR master_sheet.csv), the folder its DICOM paths
// are relative to and an output folder, then calls start with a progress display.
func ShowNewStudy(w fyne.Window, start func(NewStudyRequest, *NewStudyProgress)) {
	worklist, root, out := widget.NewEntry(), widget.NewEntry(), widget.NewEntry()
	worklist.SetPlaceHolder("master_sheet.csv")
	root.SetPlaceHolder("folder the worklist's paths start from")
	out.SetPlaceHolder("new study folder")
	pickFile := widget.NewButton("…", func() {
		d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
			if err == nil && r != nil {
				worklist.SetText(r.URI().Path())
				r.Close()
			}
		}, w)
		d.SetFilter(storage.NewExtensionFileFilter([]string{".csv"}))
		d.Show()
	})
	pickDir := func(e *widget.Entry) *widget.Button {
		return widget.NewButton("…", func() {
			dialog.ShowFolderOpen(func(u fyne.ListableURI, err error) {
				if err == nil && u != nil {
					e.SetText(u.Path())
				}
			}, w)
		})
	}
	row := func(e *widget.Entry, b *widget.Button) fyne.CanvasObject {
		return container.NewBorder(nil, nil, nil, b, e)
	}
	items := []*widget.FormItem{
		widget.NewFormItem("Worklist", row(worklist, pickFile)),
		widget.NewFormItem("DICOM folder", row(root, pickDir(root))),
		widget.NewFormItem("Study folder", row(out, pickDir(out))),
	}
	form := dialog.NewForm("New study", "Prepare", "Cancel", items, func(ok bool) {
		if !ok {
			return
		}
		p := &NewStudyProgress{bar: widget.NewProgressBar(), label: widget.NewLabel("reading the worklist…")}
		p.dlg = dialog.NewCustomWithoutButtons("Preparing the study", container.NewVBox(p.label, p.bar), w)
		p.dlg.Show()
		start(NewStudyRequest{Worklist: worklist.Text, DicomRoot: root.Text, Out: out.Text}, p)
	}, w)
	form.Resize(fyne.NewSize(640, 280))
	form.Show()
}
