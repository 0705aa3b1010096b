package app

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"sightline/reader/export/exporttest"
	"sightline/reader/review"
	"sightline/reader/session"
	"sightline/reader/study"
)

// The export and import-egd commands run end to end on a recorded study, flags and all.
func TestExportImportCommands(t *testing.T) {
	studyDir := filepath.Join(t.TempDir(), "study")
	cases, err := exporttest.WriteStudy(studyDir, 3)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 27, 15, 27, 5, 0, time.UTC)
	for i, id := range []string{"20261127-152705-reader1", "20261127-160000-reader2"} {
		r, err := exporttest.Start(studyDir, exporttest.Spec{ID: id, Reader: "r", Seed: 3, Started: start.Add(time.Duration(i) * time.Hour),
			Cases: cases, CalibEvery: 2, Samples: 20})
		if err != nil {
			t.Fatal(err)
		}
		if err := firstErr(r.Screens(-1), r.Close(session.StatusComplete)); err != nil {
			t.Fatal(err)
		}
	}
	run := func(c func(*Options) *cobra.Command, args ...string) (string, error) {
		var out, errb bytes.Buffer
		cmd := c(&Options{Out: &out, Err: &errb})
		cmd.SilenceUsage, cmd.SilenceErrors = true, true
		cmd.SetArgs(args)
		err := cmd.Execute()
		return out.String() + errb.String(), err
	}
	exp, imp := exportCommand, importCommand

	out1 := filepath.Join(t.TempDir(), "egd")
	msg, err := run(exp, studyDir, "--out", out1, "--no-calibration-rows", "--session", "20261127-160000-reader2")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(msg, "exported 1 session(s), 3 screen(s), 60 gaze rows") || !strings.Contains(msg, "SESSION_ID 1  20261127-160000-reader2") {
		t.Errorf("export said %q", msg)
	}
	b, err := os.ReadFile(filepath.Join(out1, "eye_gaze.csv"))
	if err != nil || strings.Contains(string(b), "calibration-") || !strings.Contains(string(b), "\n1,") {
		t.Errorf("eye_gaze.csv (%v):\n%.300s", err, b)
	}

	study2 := filepath.Join(t.TempDir(), "study2")
	msg, err = run(imp, out1, "--out", study2)
	if err != nil || !strings.Contains(msg, "imported 1 session(s), 3 screen(s), 60 gaze rows") {
		t.Fatalf("import said %q, %v", msg, err)
	}
	out2 := filepath.Join(t.TempDir(), "egd")
	if _, err := run(exp, study2, "--out", out2, "--no-calibration-rows"); err != nil {
		t.Fatal(err)
	}
	b2, _ := os.ReadFile(filepath.Join(out2, "eye_gaze.csv"))
	if !bytes.Equal(b, b2) {
		t.Error("eye_gaze.csv changed through import-egd and export")
	}

	// Errors reach the user: a missing --out, an output folder in use.
	if _, err := run(exp, studyDir); err == nil || !strings.Contains(err.Error(), "out") {
		t.Errorf("export without --out: %v", err)
	}
	if _, err := run(imp, out1, "--out", study2); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("import into a study that exists: %v", err)
	}
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// A heatmap of an export needs nothing but the export: the image sizes travel in screens.csv.
func TestHeatmapOfAnExportAlone(t *testing.T) {
	studyDir := filepath.Join(t.TempDir(), "study")
	cases, err := exporttest.WriteStudy(studyDir, 3)
	if err != nil {
		t.Fatal(err)
	}
	r, err := exporttest.Start(studyDir, exporttest.Spec{ID: "20261127-152705-reader1", Reader: "r", Seed: 3,
		Started: time.Date(2026, 11, 27, 15, 27, 5, 0, time.UTC), Cases: cases, CalibEvery: 2, Samples: 20})
	if err != nil {
		t.Fatal(err)
	}
	if err := firstErr(r.Screens(-1), r.Close(session.StatusComplete)); err != nil {
		t.Fatal(err)
	}
	dataset := filepath.Join(t.TempDir(), "egd")
	if _, _, err := runCommand(t, exportCommand, studyDir, "--out", dataset); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	stdout, stderr, err := runCommand(t, heatmapCommand, dataset, "--out", out, "--quiet")
	if err != nil {
		t.Fatalf("heatmap of an export: %v\n%s", err, stderr)
	}
	if !strings.HasPrefix(stdout, "3 images,") {
		t.Errorf("heatmap said %q", stdout)
	}
	for _, c := range cases {
		f, err := os.Open(filepath.Join(out, c.DicomID, "heatmap.png"))
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil || cfg.Width != c.W || cfg.Height != c.H {
			t.Errorf("case %s: heatmap %d×%d (%v), image %d×%d", c.DicomID, cfg.Width, cfg.Height, err, c.W, c.H)
		}
	}
}

// TestExportWritesQAVerdicts: export puts the verdicts of STUDY/review.db in qa.csv.
func TestExportWritesQAVerdicts(t *testing.T) {
	studyDir := filepath.Join(t.TempDir(), "study")
	cases, err := exporttest.WriteStudy(studyDir, 2)
	if err != nil {
		t.Fatal(err)
	}
	const id = "20261127-152705-reader1"
	r, err := exporttest.Start(studyDir, exporttest.Spec{ID: id, Reader: "r", Seed: 3,
		Started: time.Date(2026, 11, 27, 15, 27, 5, 0, time.UTC), Cases: cases, CalibEvery: 0, Samples: 20})
	if err != nil {
		t.Fatal(err)
	}
	if err := firstErr(r.Screens(-1), r.Close(session.StatusComplete)); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(filepath.Join(study.SessionDir(studyDir, id), "cases"))
	ctx := context.Background()
	st, err := review.Open(ctx, studyDir, review.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddVerdict(ctx, review.Verdict{Session: id, Case: ents[0].Name(), Decision: review.ReRead, Reviewer: "qa1", Note: "no dictation"}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	dataset := filepath.Join(t.TempDir(), "egd")
	if _, _, err := runCommand(t, exportCommand, studyDir, "--out", dataset); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dataset, "qa.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), ents[0].Name()) || !strings.Contains(string(b), "re-read,qa1,") || !strings.Contains(string(b), "no dictation") {
		t.Fatalf("qa.csv:\n%s", b)
	}
}

// TestExportBIDS: --bids alone writes the BIDS dataset; neither --out nor --bids is refused.
func TestExportBIDS(t *testing.T) {
	studyDir := filepath.Join(t.TempDir(), "study")
	cases, err := exporttest.WriteStudy(studyDir, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := exporttest.Record(studyDir, exporttest.Spec{ID: "20261127-152705-ana", Reader: "ana", Seed: 3,
		Started: time.Date(2026, 11, 27, 15, 27, 5, 0, time.UTC), Cases: cases, Samples: 20, Extras: true}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "bids")
	stdout, stderr, err := runCommand(t, exportCommand, studyDir, "--bids", out)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(stdout, "BIDS dataset: 1 subject(s), 1 session(s), 2 run(s)") {
		t.Errorf("stdout: %s", stdout)
	}
	if _, err := os.Stat(filepath.Join(out, "sub-ana", "ses-1", "beh")); err != nil {
		t.Error(err)
	}
	if _, _, err := runCommand(t, exportCommand, studyDir); err == nil || !strings.Contains(err.Error(), "--bids") {
		t.Errorf("no output folder: %v", err)
	}
}
