package ui

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"sightline/internal/notrun"
	"sightline/reader/study"
	"sightline/reader/transcribe"
)

// TestTranscriptEditor opens case a's transcript from the review view, edits a word, merges,
// splits at the cursor, undoes and redoes with the keys, and saves: the file, the draft kept
// beside, the store's row with the reviewer, the replay's words.
func TestTranscriptEditor(t *testing.T) {
	studyDir := reviewStudy(t)
	r, w, st := openReview(t, studyDir)
	if err := r.OpenSession(study.SessionDir(studyDir, "s1")); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		key(w, fyne.KeyN) // 01-a
	}
	caseDir := study.CaseDir(studyDir, "s1", "01-a")
	// An editable transcript: the test's own draft (written by transcribe in real use).
	before, _ := os.ReadFile(filepath.Join(caseDir, transcribe.TranscriptFile))

	e, ew, err := r.EditTranscript()
	if err != nil {
		t.Fatal(err)
	}
	phrases := func() string {
		var s []string
		for _, x := range e.Texts() {
			s = append(s, x.Text)
		}
		return strings.Join(s, "|")
	}
	if phrases() != "heart|normal" {
		t.Fatalf("editor shows %s", phrases())
	}
	// Edit a word: type and press Enter.
	ent := e.Texts()[1]
	ent.SetText("")
	test.Type(ent, "enlarged")
	ent.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if phrases() != "heart|enlarged" {
		t.Fatalf("after the edit: %s", phrases())
	}
	// Merge with the next phrase, then split before the word at the cursor.
	test.Tap(buttonsIn(e.list.Objects[0])["Merge ↓"]) // the first row's
	if phrases() != "heart enlarged" {
		t.Fatalf("after merge: %s", phrases())
	}
	e.Split(0, len("heart e"))
	if phrases() != "heart|enlarged" {
		t.Fatalf("after split: %s", phrases())
	}
	// Undo twice (the split and the merge) with Ctrl+Z, redo once with Ctrl+Shift+Z.
	sc := ew.Canvas().(interface{ TypedShortcut(fyne.Shortcut) })
	sc.TypedShortcut(&fyne.ShortcutUndo{})
	sc.TypedShortcut(&fyne.ShortcutUndo{})
	if phrases() != "heart|enlarged" {
		t.Fatalf("after two undos: %s", phrases())
	}
	sc.TypedShortcut(&fyne.ShortcutUndo{})
	if phrases() != "heart|normal" {
		t.Fatalf("after three undos: %s", phrases())
	}
	sc.TypedShortcut(&fyne.ShortcutRedo{})
	if phrases() != "heart|enlarged" {
		t.Fatalf("after redo: %s", phrases())
	}
	// Drag the second phrase's begin on the waveform from 2.0 s to about 1.8 s (the event
	// carries the pointer's position where the drag has got to, as the driver sends it).
	strip := e.Strip
	if strip == nil {
		t.Fatal("no waveform strip")
	}
	at := fyne.CurrentApp().Driver().AbsolutePositionForObject(strip)
	from, to := strip.X(2.0), strip.X(1.8)
	test.Drag(ew.Canvas(), fyne.NewPos(at.X+to, at.Y+strip.Size().Height/2), to-from, 0)
	sec := strip.seconds() / float64(strip.Size().Width) // one pixel
	if b := e.ed.Phrases[1].Begin; b < 1.8-2*sec || b > 1.8+2*sec || e.bounds[1][0].Text != fmtSec(b) {
		t.Fatalf("dragged begin %v (box %s), want about 1.8", b, e.bounds[1][0].Text)
	}
	// A tap on a phrase plays it.
	var played [2]float64
	e.opt.Play = func(b, en float64) { played = [2]float64{b, en} }
	test.TapAt(strip, fyne.NewPos(strip.X(1.2), 10))
	if played != [2]float64{1, 1.5} {
		t.Errorf("tap on heart played %v", played)
	}
	// A time typed in a bounds box moves the phrase, inside its neighbours.
	e.bounds[1][0].SetText("0.2")
	e.bounds[1][0].TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if got := e.bounds[1][0].Text; got != "1.500" {
		t.Errorf("begin typed before the phrase ahead ends: %s, want 1.500", got)
	}
	// Save: the text as edited (times re-timed, or kept when no recogniser is installed), the
	// draft beside, the store's row by the reviewer.
	done := make(chan error, 1)
	e.SaveThen(func(_ transcribe.Saved, err error) { done <- err })
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("save did not finish")
	}
	if !strings.HasPrefix(e.Status(), "Saved.") {
		t.Errorf("status %q", e.Status())
	}
	if b, _ := os.ReadFile(filepath.Join(caseDir, transcribe.DraftFile)); len(b) != 0 {
		// qatest's transcript has no transcript_raw.json: it is not a draft of ours, so no
		// draft is written beside it.
		t.Errorf("draft written beside a transcript transcribe did not write: %s", b)
	}
	after, _ := os.ReadFile(filepath.Join(caseDir, transcribe.TranscriptFile))
	if !strings.Contains(string(after), `"phrase":"enlarged"`) {
		t.Errorf("saved %s", after)
	}
	rows, err := st.TranscriptEdits(context.Background(), "s1")
	if err != nil || len(rows) != 1 || rows[0].Who != "qa1" || rows[0].Case != "01-a" || rows[0].Before != string(before) || rows[0].After != string(after) {
		t.Fatalf("store rows %+v %v", rows, err)
	}
	// The replay under the timeline shows the corrected words.
	var words []string
	for _, b := range r.Words() {
		words = append(words, b.Text)
	}
	if strings.Join(words, " ") != "heart enlarged" {
		t.Errorf("replay words %v", words)
	}
}

// TestTranscriptEditorWithoutTranscript: a case with none says to transcribe it first.
func TestTranscriptEditorWithoutTranscript(t *testing.T) {
	studyDir := reviewStudy(t)
	r, _, _ := openReview(t, studyDir)
	if err := r.OpenSession(study.SessionDir(studyDir, "s1")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.EditTranscript(); err == nil || !strings.Contains(err.Error(), "run sightline transcribe first") {
		t.Errorf("err %v", err)
	}
}

// TestTranscriptEditorUsesReadersModel: a correction of an enrolled reader's case is re-timed
// with the acoustic model adapted to that reader (study.AcousticDir), as transcribe decodes
// their sessions; transcript_raw.json's alignment names it.
func TestTranscriptEditorUsesReadersModel(t *testing.T) {
	if _, err := exec.LookPath(transcribe.SphinxBin); err != nil {
		notrun.Skip(t, "pocketsphinx is not installed (scripts/deps.sh installs it)")
	}
	studyDir := reviewStudy(t)
	// R1's "adapted" model: the base model's files under the record enroll writes, so the
	// alignment runs and names whose model it used.
	dir, err := study.AcousticDir(studyDir, "R1")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	files, err := os.ReadDir(transcribe.SphinxHMM)
	if err != nil {
		notrun.Skip(t, "pocketsphinx-en-us is not installed (scripts/deps.sh installs it)")
	}
	for _, f := range files {
		if err := os.Symlink(filepath.Join(transcribe.SphinxHMM, f.Name()), filepath.Join(dir, f.Name())); err != nil {
			t.Fatal(err)
		}
	}
	rec, _ := json.Marshal(transcribe.Adaptation{Format: transcribe.AdaptationFormat, Reader: "R1", Base: "en-us",
		Method: transcribe.MethodMAP, Recordings: 60, ID: "0123456789ab"})
	if err := os.WriteFile(filepath.Join(dir, transcribe.AdaptationFile), rec, 0o644); err != nil {
		t.Fatal(err)
	}
	r, w, _ := openReview(t, studyDir)
	if err := r.OpenSession(study.SessionDir(studyDir, "s1")); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		key(w, fyne.KeyN) // 01-a
	}
	e, _, err := r.EditTranscript()
	if err != nil {
		t.Fatal(err)
	}
	ent := e.Texts()[1]
	ent.SetText("")
	test.Type(ent, "enlarged")
	ent.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	done := make(chan transcribe.Saved, 1)
	e.SaveThen(func(s transcribe.Saved, err error) {
		if err != nil {
			t.Error(err)
		}
		done <- s
	})
	var s transcribe.Saved
	select {
	case s = <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("save did not finish")
	}
	if s.Align.Err != nil {
		t.Fatalf("re-timing: %v", s.Align.Err)
	}
	raw, err := transcribe.ReadRaw(study.CaseDir(studyDir, "s1", "01-a"))
	if err != nil || raw.Alignment == nil {
		t.Fatalf("transcript_raw.json after the save: %+v %v", raw, err)
	}
	if want := "adapted to R1 (map 0123456789ab)"; !strings.HasSuffix(raw.Alignment.Model, want) {
		t.Errorf("re-timed with %q, want the model %s", raw.Alignment.Model, want)
	}
}
