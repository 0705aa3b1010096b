package qa_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"sightline/reader/export"
	"sightline/reader/export/exporttest"
	"sightline/reader/qa"
	"sightline/reader/qa/qatest"
	"sightline/reader/session"
	"sightline/reader/study"
)

// TestImportedSessionReplays: a session brought in with import-egd from a published folder
// (the dataset's files alone, none of Sightline's records beside them) replays: its rows, and
// its dictation from audio_segmentation_transcripts/<dicom_id>/audio.wav, with the missing
// clock record named.
func TestImportedSessionReplays(t *testing.T) {
	studyDir := filepath.Join(t.TempDir(), "study")
	cases, err := exporttest.WriteStudy(studyDir, 2)
	if err != nil {
		t.Fatal(err)
	}
	r, err := exporttest.Start(studyDir, exporttest.Spec{ID: "s1", Reader: "r", Seed: 3, Extras: true,
		Started: time.Date(2026, 11, 27, 15, 27, 5, 0, time.UTC), Cases: cases, Samples: 30})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Screens(-1); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(session.StatusComplete); err != nil {
		t.Fatal(err)
	}
	dataset := filepath.Join(t.TempDir(), "egd")
	if _, err := export.Export(studyDir, dataset, export.Options{}); err != nil {
		t.Fatal(err)
	}
	// A published folder: the dataset's files only.
	keep := map[string]bool{"eye_gaze.csv": true, "fixations.csv": true, "master_sheet.csv": true,
		"bounding_boxes.csv": true, "audio_segmentation_transcripts": true}
	ents, _ := os.ReadDir(dataset)
	for _, e := range ents {
		if !keep[e.Name()] {
			os.RemoveAll(filepath.Join(dataset, e.Name()))
		}
	}
	// The fixture's audio is junk bytes; the dataset's dictation is a real recording.
	wavs, _ := filepath.Glob(filepath.Join(dataset, "audio_segmentation_transcripts", "*", "audio.wav"))
	if len(wavs) == 0 {
		t.Fatal("the dataset has no dictation")
	}
	for _, w := range wavs {
		if err := os.WriteFile(w, qatest.WAV(16000, 1, make([]int16, 8000)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	imported := filepath.Join(t.TempDir(), "imported")
	if _, err := export.Import(dataset, imported, export.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	dirs, _ := filepath.Glob(study.SessionDir(imported, "*"))
	if len(dirs) != 1 {
		t.Fatalf("imported sessions %v", dirs)
	}
	o, err := session.Open(dirs[0])
	if err != nil {
		t.Fatal(err)
	}
	withAudio := 0
	for _, c := range qa.Cases(o) {
		rp, err := qa.Load(o, c, qa.Options{})
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		if len(rp.Gaze) != 30 || rp.End <= rp.Start {
			t.Fatalf("%s: %d samples from %v to %v", c.Name, len(rp.Gaze), rp.Start, rp.End)
		}
		named := false
		for _, p := range c.Problems {
			named = named || p.Kind == session.ProblemMissing && filepath.Base(p.File) == session.AudioMetaFile
		}
		if rp.Wave != nil && named {
			withAudio++
			f := rp.At(rp.Start)
			if f.T != rp.Start {
				t.Fatalf("%s: frame at %v", c.Name, f.T)
			}
		}
	}
	if withAudio == 0 {
		t.Fatal("no imported case has its dictation")
	}
}
