package ui

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"

	studyprep "sightline/reader/prepare"
)

// NewStudyRequest is what the coordinator picked in the "New study…" form.
type NewStudyRequest struct {
	Worklist, DicomRoot, Out string
	Readers                  []string // a plan each
	Seed                     int64    // of the readers' plans, when SeedSet
	SeedSet                  bool     // false: the station takes one from the clock
	SessionSize              int      // screens per session at most
	CalibEvery               int      // a calibration screen about every CalibEvery cases; 0: none
	// Split has Overlap cases read by every reader and the others split among the readers;
	// without it every reader reads every case.
	Split   bool
	Overlap int
}

// NewStudyProgress is the form's progress display while a study is prepared: Set from any
// goroutine through fyne.Do (the caller's bridge), Done or Failed when finished.
type NewStudyProgress struct {
	bar   *widget.ProgressBar
	label *widget.Label
	dlg   dialog.Dialog
	retry func() // the form again, as it was filled in
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

// Failed closes the progress dialog and shows err, with the cases left out (unreadable) if
// any; closing it brings the form back as it was filled in. Call on the UI goroutine.
func (p *NewStudyProgress) Failed(w fyne.Window, err error, unreadable []studyprep.Unreadable) {
	p.dlg.Hide()
	text := widget.NewLabel(err.Error())
	text.Wrapping = fyne.TextWrapWord
	content, size := fyne.CanvasObject(text), fyne.NewSize(720, 160)
	if len(unreadable) > 0 {
		content, size = container.NewBorder(text, nil, nil, nil, unreadableList(unreadable)), fyne.NewSize(720, 360)
	}
	d := dialog.NewCustom("The study could not be prepared", "Back to the form", content, w)
	EnterDismisses(d, w.Canvas(), p.retry)
	d.Resize(size)
	d.Show()
}

// unreadableList lists the cases left out, each with its worklist line and the reason.
func unreadableList(list []studyprep.Unreadable) fyne.CanvasObject {
	var b strings.Builder
	for _, u := range list {
		fmt.Fprintf(&b, "line %d, %s (%s): %s\n", u.Line, u.DicomID, u.Path, u.Reason)
	}
	l := widget.NewLabel(strings.TrimSuffix(b.String(), "\n"))
	l.Wrapping = fyne.TextWrapWord
	s := container.NewVScroll(l)
	s.SetMinSize(fyne.NewSize(660, 160))
	return s
}

// ShowStudyReady tells the coordinator what was prepared: how many cases, and each case left
// out with its reason. read, on "Read now", opens the study.
func ShowStudyReady(w fyne.Window, dir string, res studyprep.Result, read func()) {
	msg := fmt.Sprintf("%d of %d cases prepared into %s.", res.Prepared, res.Cases, dir)
	var content fyne.CanvasObject
	if n := len(res.Unreadable); n > 0 {
		msg += fmt.Sprintf(" %d could not be read (also listed in %s):", n, studyprep.UnreadableFile)
		text := widget.NewLabel(msg)
		text.Wrapping = fyne.TextWrapWord
		content = container.NewBorder(text, nil, nil, nil, unreadableList(res.Unreadable))
	} else {
		text := widget.NewLabel(msg)
		text.Wrapping = fyne.TextWrapWord
		content = text
	}
	d := dialog.NewCustomConfirm("Study ready", "Read now", "Later", content, func(yes bool) {
		if yes {
			read()
		}
	}, w)
	d.Resize(fyne.NewSize(720, 160))
	EnterConfirms(d, w.Canvas())
	d.Show()
}

// ShowNewStudy asks for a worklist (an EGD-CXR master_sheet.csv), the folder its DICOM paths
// are relative to, an output folder, the readers, the seed, the session size, the
// calibration frequency and how many cases every reader reads, then calls start with a progress display. The form starts filled in
// with req; should preparing fail, it comes back as the coordinator left it.
func ShowNewStudy(w fyne.Window, req NewStudyRequest, start func(NewStudyRequest, *NewStudyProgress)) {
	worklist, root, out := widget.NewEntry(), widget.NewEntry(), widget.NewEntry()
	readers, seed, size, calib := widget.NewEntry(), widget.NewEntry(), widget.NewEntry(), widget.NewEntry()
	shared := widget.NewEntry()
	shared.SetPlaceHolder("all (every reader reads every case)")
	if req.Split {
		shared.SetText(strconv.Itoa(req.Overlap))
	}
	worklist.SetPlaceHolder("master_sheet.csv")
	root.SetPlaceHolder("folder the worklist's paths start from")
	out.SetPlaceHolder("new study folder")
	readers.SetPlaceHolder("reader1, reader2 (a blinded order each)")
	seed.SetPlaceHolder("from the clock (recorded)")
	worklist.SetText(req.Worklist)
	root.SetText(req.DicomRoot)
	out.SetText(req.Out)
	readers.SetText(strings.Join(req.Readers, ", "))
	if req.SeedSet {
		seed.SetText(strconv.FormatInt(req.Seed, 10))
	}
	size.SetText(strconv.Itoa(req.SessionSize))
	calib.SetText(strconv.Itoa(req.CalibEvery))
	readers.Validator = func(s string) error {
		if len(splitReaders(s)) == 0 {
			return errors.New("name at least one reader")
		}
		return nil
	}
	seed.Validator = func(s string) error {
		if strings.TrimSpace(s) == "" {
			return nil
		}
		_, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		return err
	}
	atLeast := func(lo int) func(string) error {
		return func(s string) error {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil {
				return err
			}
			if n < lo {
				return fmt.Errorf("at least %d", lo)
			}
			return nil
		}
	}
	size.Validator = atLeast(1)
	calib.Validator = atLeast(0)
	shared.Validator = func(s string) error {
		if strings.TrimSpace(s) == "" {
			return nil
		}
		if len(splitReaders(readers.Text)) < 2 {
			return errors.New("name two readers or more to split the cases")
		}
		return atLeast(0)(s)
	}
	readers.OnChanged = func(string) { shared.Validate() }

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
		widget.NewFormItem("Readers", readers),
		widget.NewFormItem("Seed", seed),
		widget.NewFormItem("Session size", size),
		widget.NewFormItem("Calibrate every", calib),
		widget.NewFormItem("Shared cases", shared),
	}
	items[5].HintText = "screens per session at most, calibration screens included"
	items[6].HintText = "cases between calibration screens; 0: none"
	items[7].HintText = "cases every reader reads; the others are split among the readers"
	// read is the form as filled in (the validators have passed).
	read := func() NewStudyRequest {
		r := NewStudyRequest{Worklist: worklist.Text, DicomRoot: root.Text, Out: out.Text, Readers: splitReaders(readers.Text)}
		if s := strings.TrimSpace(seed.Text); s != "" {
			r.Seed, _ = strconv.ParseInt(s, 10, 64)
			r.SeedSet = true
		}
		r.SessionSize, _ = strconv.Atoi(strings.TrimSpace(size.Text))
		r.CalibEvery, _ = strconv.Atoi(strings.TrimSpace(calib.Text))
		if s := strings.TrimSpace(shared.Text); s != "" {
			r.Overlap, _ = strconv.Atoi(s)
			r.Split = true
		}
		return r
	}
	form := dialog.NewForm("New study", "Prepare", "Cancel", items, func(ok bool) {
		if !ok {
			return
		}
		r := read()
		p := &NewStudyProgress{bar: widget.NewProgressBar(), label: widget.NewLabel("reading the worklist…"),
			retry: func() { ShowNewStudy(w, r, start) }}
		p.dlg = dialog.NewCustomWithoutButtons("Preparing the study", container.NewVBox(p.label, p.bar), w)
		p.dlg.Show()
		start(r, p)
	}, w)
	form.Resize(fyne.NewSize(640, 480))
	form.Show()
}

// splitReaders reads "alice, bob" (commas or spaces) as reader names.
func splitReaders(s string) []string {
	return strings.FieldsFunc(s, func(c rune) bool { return c == ',' || c == ' ' || c == '\t' })
}
