package transcribe

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sightline/reader/review"
)

func phraseTexts(e *Edit) string {
	var s []string
	for _, p := range e.Phrases {
		s = append(s, p.Phrase)
	}
	return strings.Join(s, "|")
}

func TestEditOperationsUndoRedo(t *testing.T) {
	dir := caseWithAudio(t)
	f := &fakeEngine{words: []Word{{"the", 0.1, 0.2, 1}, {"hart", 0.3, 0.6, 1}, {"is", 0.7, 0.8, 1}, {"enlarged", 0.9, 1.5, 1}}}
	TranscribeCase(context.Background(), f, dir, now)
	e, err := OpenEdit(dir)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		do   func() error
		want string
	}{
		{func() error { return e.SetText(1, "heart") }, "the|heart|is|enlarged"},
		{func() error { return e.Merge(0) }, "the heart|is|enlarged"},
		{func() error { return e.Merge(1) }, "the heart|is enlarged"},
		{func() error { return e.Split(1, 1) }, "the heart|is|enlarged"},
		{func() error { return e.SetText(1, "  ") }, "the heart|enlarged"},
		{func() error { return e.SetBounds(1, 0.05, 2) }, "the heart|enlarged"},
	}
	for i, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if got := phraseTexts(e); got != s.want {
			t.Fatalf("step %d: %s, want %s", i, got, s.want)
		}
	}
	// The boundary was kept inside its neighbours: after "the heart" (0.6), up to the end.
	if p := e.Phrases[1]; p.Begin != 0.6 || p.End != 2 {
		t.Errorf("bounds %+v", p)
	}
	for i := len(steps) - 2; i >= 0; i-- {
		if !e.Undo() {
			t.Fatal("undo refused")
		}
		if phraseTexts(e) != steps[i].want {
			t.Errorf("undo to step %d: %s, want %s", i, phraseTexts(e), steps[i].want)
		}
	}
	e.Undo()
	if phraseTexts(e) != "the|hart|is|enlarged" || e.Undo() || e.Changed() {
		t.Errorf("undone: %s", phraseTexts(e))
	}
	for range steps {
		e.Redo()
	}
	if phraseTexts(e) != "the heart|enlarged" || e.Redo() {
		t.Errorf("redone: %s", phraseTexts(e))
	}
	for _, err := range []error{e.Split(0, 0), e.Split(0, 2), e.Merge(1), e.SetText(5, "x"), e.SetBounds(0, 2, 1)} {
		if err == nil {
			t.Error("a bad edit was accepted")
		}
	}
}

func TestEditMoveEdge(t *testing.T) {
	e := &Edit{Phrases: Draft([]Word{{"the", 0.1, 0.2, 1}, {"heart", 0.2, 0.6, 1}, {"is", 0.8, 0.9, 1}}).Phrases}
	// A shared boundary moves both phrases, kept between their outer edges.
	if err := e.MoveEdge(0, true, 0.3); err != nil || e.Phrases[0].End != 0.3 || e.Phrases[1].Begin != 0.3 {
		t.Fatalf("%v %+v", err, e.Phrases)
	}
	e.MoveEdge(1, false, 0.05)
	if e.Phrases[0].End != 0.1 || e.Phrases[1].Begin != 0.1 {
		t.Errorf("clamped to the first phrase's begin: %+v", e.Phrases[:2])
	}
	// A free edge moves alone, kept inside its neighbours.
	e.MoveEdge(2, false, 0.5)
	if e.Phrases[2].Begin != 0.6 || e.Phrases[1].End != 0.6 {
		t.Errorf("free edge: %+v", e.Phrases)
	}
	// No change, no undo step.
	n := len(e.undo)
	e.MoveEdge(2, false, 0.6)
	if len(e.undo) != n {
		t.Error("a move to where it was is an undo step")
	}
	e.Undo()
	if e.Phrases[2].Begin != 0.8 {
		t.Errorf("undo: %+v", e.Phrases[2])
	}
}

func TestEditSave(t *testing.T) {
	ctx := context.Background()
	dir := caseWithAudio(t)
	f := &fakeEngine{words: []Word{{"the", 0.1, 0.2, 1}, {"hart", 0.3, 0.6, 1}}}
	TranscribeCase(ctx, f, dir, now)
	draft, _ := os.ReadFile(filepath.Join(dir, TranscriptFile))
	// A review store is made only inside a study folder (one holding a master_sheet.csv).
	study := t.TempDir()
	if err := os.WriteFile(filepath.Join(study, "master_sheet.csv"), []byte("dicom_id,path\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := review.Open(ctx, study, review.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e, _ := OpenEdit(dir)
	e.SetText(1, "heart")
	if _, err := e.Save(ctx, f, st, "s1", "case", "", now); err == nil {
		t.Error("saved without who")
	}
	f.aligned = []Word{{"the", 0.11, 0.21, 1}, {"heart", 0.31, 0.62, 1}}
	s, err := e.Save(ctx, f, st, "s1", "case", "ann", now)
	if err != nil || s.Align.Status != StatusWritten || s.Align.Method != MethodForced {
		t.Fatalf("%+v %v", s, err)
	}
	// The draft beside, the correction re-timed, the store's row with before and after.
	if b, _ := os.ReadFile(filepath.Join(dir, DraftFile)); string(b) != string(draft) {
		t.Errorf("draft kept: %s", b)
	}
	b, _ := os.ReadFile(filepath.Join(dir, TranscriptFile))
	if want := `{"full_text":" the heart","time_stamped_text":[{"phrase":"the","begin_time":0.11,"end_time":0.21},{"phrase":"heart","begin_time":0.31,"end_time":0.62}]}`; string(b) != want {
		t.Errorf("saved %s", b)
	}
	rows, _ := st.TranscriptEdits(ctx, "s1")
	if len(rows) != 1 || rows[0].Who != "ann" || rows[0].Before != string(draft) || rows[0].After != string(b) || rows[0].Case != "case" {
		t.Errorf("store rows %+v", rows)
	}
	if ok, _, _ := Corrected(dir); !ok {
		t.Error("a saved correction reads as a draft")
	}
	if r := TranscribeCase(ctx, f, dir, now); r.Status != StatusKept {
		t.Errorf("transcribe after the correction: %+v", r)
	}
	// A second correction keeps the first draft beside; a file changed under the editor is
	// not overwritten.
	e.SetText(0, "a")
	if _, err := e.Save(ctx, nil, st, "s1", "case", "bob", now); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, DraftFile)); string(b) != string(draft) {
		t.Error("the draft beside was replaced")
	}
	os.WriteFile(filepath.Join(dir, TranscriptFile), []byte(`{"full_text":"","time_stamped_text":[]}`), 0o644)
	e.SetText(0, "b")
	if _, err := e.Save(ctx, nil, st, "s1", "case", "bob", now); err == nil || !strings.Contains(err.Error(), "changed on disk") {
		t.Errorf("conflict: %v", err)
	}
}
