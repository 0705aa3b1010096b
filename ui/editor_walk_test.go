package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"

	"sightline/reader/qa"
	"sightline/reader/study"
	"sightline/reader/transcript"
)

// Ctrl+Shift+Z redoes in the transcript editor, as its help line and the README say (Fyne's
// own redo shortcut is Ctrl+Y; the driver sends Ctrl+Shift+Z as a custom shortcut).
func TestTranscriptEditorCtrlShiftZ(t *testing.T) {
	studyDir := reviewStudy(t)
	r, w, _ := openReview(t, studyDir)
	if err := r.OpenSession(study.SessionDir(studyDir, "s1")); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		key(w, fyne.KeyN) // 01-a
	}
	e, ew, err := r.EditTranscript()
	if err != nil {
		t.Fatal(err)
	}
	texts := func() string {
		var s []string
		for _, x := range e.Texts() {
			s = append(s, x.Text)
		}
		return strings.Join(s, "|")
	}
	test.Tap(buttonsIn(e.list.Objects[0])["Merge ↓"])
	sc := ew.Canvas().(interface{ TypedShortcut(fyne.Shortcut) })
	sc.TypedShortcut(&fyne.ShortcutUndo{})
	if texts() != "heart|normal" {
		t.Fatalf("after undo: %s", texts())
	}
	sc.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyZ, Modifier: fyne.KeyModifierControl | fyne.KeyModifierShift})
	if texts() != "heart normal" {
		t.Fatalf("Ctrl+Shift+Z does not redo: %s", texts())
	}
}

// Phrase labels on the editor's waveform never overlap: short phrases close together take
// lanes below one another, and a label that fits nowhere is cut to its phrase.
func TestPhraseStripLabelsApart(t *testing.T) {
	test.NewTempApp(t)
	env := &qa.Envelope{Rate: 16000, Channels: 1, Frames: 16000 * 4, PerPeak: 80, Peaks: make([]float32, 800)}
	var ps []transcript.Phrase
	for i, w := range []string{"cardiomegaly", "with", "bilateral", "pleural", "effusions", "and", "interstitial", "oedema"} {
		ps = append(ps, transcript.Phrase{Phrase: w, Begin: 0.2 + 0.3*float64(i), End: 0.45 + 0.3*float64(i)})
	}
	s := NewPhraseStrip(env, func() []transcript.Phrase { return ps })
	w := test.NewTempWindow(t, s)
	w.Resize(fyne.NewSize(400, 100))
	s.Resize(fyne.NewSize(400, 80))
	var boxes []fyne.Position
	var sizes []fyne.Size
	for _, o := range test.WidgetRenderer(s).Objects() {
		if txt, ok := o.(*canvas.Text); ok {
			boxes = append(boxes, txt.Position())
			sizes = append(sizes, fyne.MeasureText(txt.Text, txt.TextSize, txt.TextStyle))
			if txt.Position().Y+sizes[len(sizes)-1].Height > 80 {
				t.Errorf("label %q below the strip at y %v", txt.Text, txt.Position().Y)
			}
		}
	}
	if len(boxes) != len(ps) {
		t.Fatalf("%d labels for %d phrases", len(boxes), len(ps))
	}
	for i := range boxes {
		for j := i + 1; j < len(boxes); j++ {
			a, b := boxes[i], boxes[j]
			if a.X < b.X+sizes[j].Width && b.X < a.X+sizes[i].Width && a.Y < b.Y+sizes[j].Height && b.Y < a.Y+sizes[i].Height {
				t.Errorf("labels %d and %d overlap: %v %v and %v %v", i, j, a, sizes[i], b, sizes[j])
			}
		}
	}
}
