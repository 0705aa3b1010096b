package analysis

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sightline/reader/transcribe"
)

// TestTypeBLeavesOutDrafts: a transcript a recogniser drafted and no one corrected (its
// transcript_raw.json fingerprints it) is not counted in the Type-B error; a corrected one,
// and one with no record of a draft, are.
func TestTypeBLeavesOutDrafts(t *testing.T) {
	dir := writeDataset(t)
	if err := os.RemoveAll(filepath.Join(dir, TranscriptsDir)); err != nil {
		t.Fatal(err)
	}
	write := func(id, text string, draft bool) {
		d := filepath.Join(dir, TranscriptsDir, id)
		os.MkdirAll(d, 0o755)
		os.WriteFile(filepath.Join(d, TranscriptFile), []byte(text), 0o644)
		if draft {
			sum := sha256.Sum256([]byte(text))
			os.WriteFile(filepath.Join(d, transcribe.RawFile), []byte(fmt.Sprintf(`{"format":1,"engine":"pocketsphinx","model":"m","created":"2026-12-07T00:00:00Z","audio":"audio.wav","audio_seconds":1,"words":[],"draft_sha256":%q}`, hex.EncodeToString(sum[:]))), 0o644)
		}
	}
	one := `{"full_text":" no effusion","time_stamped_text":[{"phrase":"no","begin_time":0.1,"end_time":0.3},{"phrase":"effusion","begin_time":0.3,"end_time":0.8}]}`
	two := `{"full_text":" no effusion","time_stamped_text":[{"phrase":"no effusion","begin_time":0.1,"end_time":0.8}]}`
	write("a", one, true)  // a draft: left out
	write("b", two, false) // a reader's own transcript
	write("c", one, true)
	os.WriteFile(filepath.Join(dir, TranscriptsDir, "c", TranscriptFile), []byte(two), 0o644) // corrected since its draft
	rep, err := Run(context.Background(), Config{Dir: dir, Out: t.TempDir(), NoFigures: true})
	if err != nil {
		t.Fatal(err)
	}
	b := rep.TypeB
	if b == nil || b.Files != 2 || b.Drafts != 1 || b.Phrases != 2 || b.MultiWord != 2 {
		t.Fatalf("type B %+v", b)
	}
	if !strings.Contains(strings.Join(rep.Notes, "\n"), "1 uncorrected draft") {
		t.Errorf("notes %q", rep.Notes)
	}
}
