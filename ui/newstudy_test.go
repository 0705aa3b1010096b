package ui

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	studyprep "sightline/reader/prepare"
)

// overlayEntries are the entries of the dialogs on w, in order.
func overlayEntries(w fyne.Window) []*widget.Entry {
	var entries []*widget.Entry
	for _, o := range w.Canvas().Overlays().List() {
		walk(o, func(c fyne.CanvasObject) {
			if e, ok := c.(*widget.Entry); ok {
				entries = append(entries, e)
			}
		})
	}
	return entries
}

func overlayButton(w fyne.Window, text string) *widget.Button {
	var b *widget.Button
	for _, o := range w.Canvas().Overlays().List() {
		if x := buttonsIn(o)[text]; x != nil {
			b = x
		}
	}
	return b
}

func overlayText(w fyne.Window) string {
	var b strings.Builder
	for _, o := range w.Canvas().Overlays().List() {
		walk(o, func(c fyne.CanvasObject) {
			if l, ok := c.(*widget.Label); ok {
				b.WriteString(l.Text + "\n")
			}
		})
	}
	return b.String()
}

func TestNewStudyForm(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, widget.NewLabel(""))
	w.Resize(fyne.NewSize(900, 700))
	var (
		got   []NewStudyRequest
		progs []*NewStudyProgress
	)
	first := NewStudyRequest{Readers: []string{"reader1"}, SessionSize: 30, CalibEvery: 20}
	ShowNewStudy(w, first, func(r NewStudyRequest, p *NewStudyProgress) {
		got = append(got, r)
		progs = append(progs, p)
		p.Set(3, 12)
		if p.label.Text != "3 of 12 cases prepared" || p.bar.Value != 0.25 {
			t.Errorf("progress shows %q %.2f", p.label.Text, p.bar.Value)
		}
	})
	entries := overlayEntries(w)
	if len(entries) != 8 {
		t.Fatalf("form has %d entries, want 8 (worklist, DICOM folder, study folder, readers, seed, session size, calibration, shared cases)", len(entries))
	}
	if entries[3].Text != "reader1" || entries[4].Text != "" || entries[5].Text != "30" || entries[6].Text != "20" {
		t.Errorf("defaults: readers %q, seed %q, session size %q, calibration %q",
			entries[3].Text, entries[4].Text, entries[5].Text, entries[6].Text)
	}
	test.Type(entries[0], "/w/master_sheet.csv")
	test.Type(entries[1], "/w/dicom")
	test.Type(entries[2], "/w/study")
	entries[3].SetText("alice, bob")
	entries[4].SetText("x7")
	entries[5].SetText("12")
	entries[6].SetText("5")
	prep := overlayButton(w, "Prepare")
	if prep == nil {
		t.Fatal("no Prepare button")
	}
	if !prep.Disabled() {
		t.Error("Prepare is enabled with a seed that is not a number")
	}
	entries[4].SetText("7")
	if prep.Disabled() {
		t.Fatal("Prepare is disabled with every field valid")
	}
	entries[3].SetText("alice")
	entries[7].SetText("1")
	if !prep.Disabled() {
		t.Error("Prepare is enabled with shared cases and one reader")
	}
	entries[3].SetText("alice, bob")
	if prep.Disabled() {
		t.Fatal("Prepare is disabled with two readers sharing 1 case")
	}
	test.Tap(prep)
	want := NewStudyRequest{Worklist: "/w/master_sheet.csv", DicomRoot: "/w/dicom", Out: "/w/study",
		Readers: []string{"alice", "bob"}, Seed: 7, SeedSet: true, SessionSize: 12, CalibEvery: 5, Split: true, Overlap: 1}
	if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Fatalf("request %+v, want %+v", got, want)
	}

	// Preparing fails: the error names the cases left out, and closing it brings the form
	// back as it was filled in.
	progs[0].Failed(w, errors.New("prepare: none of the 1 cases could be prepared"),
		[]studyprep.Unreadable{{Line: 2, DicomID: "multi", Path: "files/5.dcm", Reason: "multi-frame images are not supported"}})
	if txt := overlayText(w); !strings.Contains(txt, "line 2, multi (files/5.dcm): multi-frame images are not supported") {
		t.Errorf("the failure does not list the unreadable case:\n%s", txt)
	}
	back := overlayButton(w, "Back to the form")
	if back == nil {
		t.Fatal("the failure has no way back to the form")
	}
	test.Tap(back)
	entries = overlayEntries(w)
	if len(entries) != 8 {
		t.Fatalf("after the error, %d entries on screen, want the form's 8", len(entries))
	}
	var again []string
	for _, e := range entries {
		again = append(again, e.Text)
	}
	if wantTexts := []string{"/w/master_sheet.csv", "/w/dicom", "/w/study", "alice, bob", "7", "12", "5", "1"}; !reflect.DeepEqual(again, wantTexts) {
		t.Errorf("the form came back as %q, want %q", again, wantTexts)
	}
	test.Tap(overlayButton(w, "Prepare"))
	if len(got) != 2 || !reflect.DeepEqual(got[1], want) {
		t.Errorf("the second try asked for %+v, want %+v", got[1:], want)
	}
}

// TestStudyReadyListsUnreadable: a partial prepare names each case left out and why.
func TestStudyReadyListsUnreadable(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, widget.NewLabel(""))
	w.Resize(fyne.NewSize(900, 700))
	read := 0
	ShowStudyReady(w, "/w/study", studyprep.Result{Cases: 3, Prepared: 2, Unreadable: []studyprep.Unreadable{
		{Line: 4, DicomID: "multi", Path: "files/5.dcm", Reason: "multi-frame images are not supported"},
	}}, func() { read++ })
	txt := overlayText(w)
	for _, s := range []string{"2 of 3 cases prepared into /w/study.", "1 could not be read",
		"line 4, multi (files/5.dcm): multi-frame images are not supported"} {
		if !strings.Contains(txt, s) {
			t.Errorf("the dialog does not say %q:\n%s", s, txt)
		}
	}
	test.Tap(overlayButton(w, "Read now"))
	if read != 1 {
		t.Error("Read now did not open the study")
	}
}

func TestChooseReader(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, widget.NewLabel(""))
	w.Resize(fyne.NewSize(900, 700))
	var picked []string
	ChooseReader(w, "/w/study", []string{"alice", "bob"}, "bob", func(r string) { picked = append(picked, r) })
	var sel *widget.Select
	for _, o := range w.Canvas().Overlays().List() {
		walk(o, func(c fyne.CanvasObject) {
			if s, ok := c.(*widget.Select); ok {
				sel = s
			}
		})
	}
	if sel == nil || !reflect.DeepEqual(sel.Options, []string{"alice", "bob"}) || sel.Selected != "bob" {
		t.Fatalf("chooser %+v, want alice and bob with bob (the --reader) chosen", sel)
	}
	sel.SetSelected("alice")
	test.Tap(overlayButton(w, "Read"))
	ChooseReader(w, "/w/study", []string{"alice", "bob"}, "reader1", func(r string) { picked = append(picked, r) })
	test.Tap(overlayButton(w, "Cancel"))
	if !reflect.DeepEqual(picked, []string{"alice", ""}) {
		t.Errorf("picked %q, want alice, then nothing on Cancel", picked)
	}
}
