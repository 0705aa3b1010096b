package ui

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"sightline/reader/transcribe"
)

// TestTranscriptEditorMarksDoubtfulWords: a phrase whose recognised word has a posterior below
// transcribe.LowConfidence is marked in its row; once corrected it is not.
func TestTranscriptEditorMarksDoubtfulWords(t *testing.T) {
	test.NewTempApp(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, transcribe.TranscriptFile), []byte(`{"full_text":" no effusion","time_stamped_text":[`+
		`{"phrase":"no","begin_time":0.1,"end_time":0.3},{"phrase":"effusion","begin_time":0.3,"end_time":0.8}]}`), 0o644)
	os.WriteFile(filepath.Join(dir, transcribe.RawFile), []byte(`{"format":1,"engine":"pocketsphinx","model":"m","created":"2026-12-07T00:00:00Z",`+
		`"audio":"audio.wav","audio_seconds":1,"words":[{"word":"no","begin":0.1,"end":0.3,"confidence":0.12},`+
		`{"word":"effusion","begin":0.3,"end":0.8,"confidence":0.93}],"draft_sha256":"x"}`), 0o644)
	ed, err := transcribe.OpenEdit(dir)
	if err != nil {
		t.Fatal(err)
	}
	e := NewTranscriptEditor(ed, TranscriptEditorOptions{})
	if d := e.Doubtful(); !slices.Equal(d, []int{0}) {
		t.Fatalf("doubtful rows %v, want [0]", d)
	}
	label := func(row int) *widget.Label {
		var found *widget.Label
		for _, o := range test.LaidOutObjects(e.list.Objects[row]) {
			if l, ok := o.(*widget.Label); ok && found == nil {
				found = l
			}
		}
		return found
	}
	if l := label(0); l == nil || !strings.Contains(l.Text, "? 0.12") || l.Importance != widget.WarningImportance {
		t.Errorf("row 1's label %+v", l)
	}
	if l := label(1); l == nil || strings.Contains(l.Text, "?") {
		t.Errorf("row 2 marked: %+v", l)
	}
	// Corrected: the word is the reader's now.
	ent := e.Texts()[0]
	ent.SetText("small")
	ent.OnSubmitted("small")
	if d := e.Doubtful(); len(d) != 0 {
		t.Errorf("after the correction: doubtful rows %v", d)
	}
}
