package export

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"sightline/reader/session"
	"sightline/reader/study"
)

// A draft's transcript_raw.json travels with its transcript.json: export puts it beside it in
// the dataset's folder, byte for byte, and the digest it records still names the exported
// transcript.json (so analysis of the export knows the draft as one); import brings it back.
func TestTranscriptRawTravels(t *testing.T) {
	const id = "20261127-152705-reader1"
	f := newFixture(t, 2, sessionSpec{id: id, started: t0, cases: 2, extras: true})
	op, err := session.Open(study.SessionDir(f.dir, id))
	if err != nil {
		t.Fatal(err)
	}
	var c *session.Case
	for _, k := range op.Cases {
		if k.Screen.Kind == session.KindCase {
			c = k
			break
		}
	}
	tr, err := os.ReadFile(filepath.Join(c.Dir, "transcript.json"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(tr)
	raw := []byte(`{"format": 1, "engine": "pocketsphinx", "words": [], "draft_sha256": "` + hex.EncodeToString(sum[:]) + `"}` + "\n")
	if err := os.WriteFile(filepath.Join(c.Dir, TranscriptRawFile), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	out, _ := mustExport(t, f.dir, Options{})
	folder := filepath.Join(out, TranscriptsDir, c.Screen.DicomID)
	got, err := os.ReadFile(filepath.Join(folder, TranscriptRawFile))
	if err != nil || !bytes.Equal(got, raw) {
		t.Fatalf("exported %s: %v %q", TranscriptRawFile, err, got)
	}
	var r struct {
		Draft string `json:"draft_sha256"`
	}
	json.Unmarshal(got, &r)
	exported, _ := os.ReadFile(filepath.Join(folder, TranscriptFile))
	if s := sha256.Sum256(exported); hex.EncodeToString(s[:]) != r.Draft {
		t.Errorf("the exported transcript.json is not the draft its record names:\n%s", exported)
	}
	others, _ := filepath.Glob(filepath.Join(out, TranscriptsDir, "*", TranscriptRawFile))
	if len(others) != 1 {
		t.Errorf("%d %s files exported, want only the one case's: %v", len(others), TranscriptRawFile, others)
	}
	back := mustImport(t, out)
	op2, err := session.Open(study.SessionDir(back, id))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range op2.Cases {
		if k.Screen.DicomID == c.Screen.DicomID && k.Screen.Kind == session.KindCase {
			if b, err := os.ReadFile(filepath.Join(k.Dir, TranscriptRawFile)); err != nil || !bytes.Equal(b, raw) {
				t.Errorf("imported %s: %v %q", TranscriptRawFile, err, b)
			}
			return
		}
	}
	t.Errorf("the imported study has no case %s", c.Screen.DicomID)
}
