package bids

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"sightline/internal/notrun"
	"sightline/reader/export/exporttest"
)

// studyOfTwoReaders records a study of 3 cases read by alice (two sessions) and bob (one),
// through reader/session's Recorder, with audio, transcripts and calibration checks.
func studyOfTwoReaders(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "study")
	cases, err := exporttest.WriteStudy(dir, 3)
	if err != nil {
		t.Fatal(err)
	}
	for i, who := range []string{"alice", "bob", "alice"} {
		err := exporttest.Record(dir, exporttest.Spec{ID: "2026120" + strconv.Itoa(i+1) + "-090000-" + who, Reader: who,
			Seed: int64(3 + i), Started: time.Date(2026, 12, 1+i, 9, 0, 0, 0, time.UTC), Cases: cases,
			CalibEvery: 2, Samples: 90, Extras: true})
		if err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestExportLayout(t *testing.T) {
	out := filepath.Join(t.TempDir(), "bids")
	res, err := Export(studyOfTwoReaders(t), out, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Subjects != 2 || res.Sessions != 3 || res.Runs != 9 {
		t.Errorf("result %+v, want 2 subjects, 3 sessions, 9 runs", res)
	}
	for _, f := range []string{"dataset_description.json", "participants.tsv", "README",
		"sub-alice/sub-alice_sessions.tsv", "sub-alice/ses-2/beh/sub-alice_ses-2_task-read_events.tsv",
		"sub-bob/ses-1/beh/sub-bob_ses-1_task-read_events.tsv"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	physio, _ := filepath.Glob(filepath.Join(out, "sub-bob/ses-1/beh/*_physio.tsv.gz"))
	if len(physio) != 3 {
		t.Fatalf("bob's physio files: %v", physio)
	}
	f, err := os.Open(physio[0])
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(zr)
	f.Close()
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	if len(lines) != 90 || len(strings.Split(lines[0], "\t")) != 4 {
		t.Errorf("%d rows (want 90, the case's samples), first %q", len(lines), lines[0])
	}
	var side map[string]any
	b, err := os.ReadFile(strings.TrimSuffix(physio[0], ".tsv.gz") + ".json")
	if err != nil || json.Unmarshal(b, &side) != nil {
		t.Fatalf("sidecar: %v", err)
	}
	for _, k := range []string{"SamplingFrequency", "StartTime", "Columns", "ScreenSize", "ScreenResolution", "ScreenDistance", "AverageCalibrationError"} {
		if _, ok := side[k]; !ok {
			t.Errorf("sidecar lacks %s: %s", k, b)
		}
	}
	if side["PhysioType"] != "eyetrack" || side["SamplingFrequency"] != 60.0 {
		t.Errorf("PhysioType %v, SamplingFrequency %v", side["PhysioType"], side["SamplingFrequency"])
	}
	ev, err := os.ReadFile(filepath.Join(out, "sub-bob/ses-1/beh/sub-bob_ses-1_task-read_events.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(ev), "\tcase\t"); n != 3 {
		t.Errorf("%d case onsets in events.tsv, want 3:\n%s", n, ev)
	}
	if !strings.Contains(string(ev), "\tspace\t") {
		t.Errorf("no space press in events.tsv:\n%s", ev)
	}
	wavs, _ := filepath.Glob(filepath.Join(out, "sub-bob/ses-1/beh/*_beh.wav"))
	tr, _ := filepath.Glob(filepath.Join(out, "sub-bob/ses-1/beh/*_beh.tsv"))
	if len(wavs) != 3 || len(tr) != 3 {
		t.Errorf("dictations %v, transcripts %v", wavs, tr)
	}
	if _, err := Export(studyOfTwoReaders(t), out, Options{}); err == nil {
		t.Error("export into a folder that is not empty")
	}
}

// TestValidatorPasses runs the official BIDS validator (npm's bids-validator 1.15.0, through
// npx) on an export: no errors.
func TestValidatorPasses(t *testing.T) {
	npx, err := exec.LookPath("npx")
	if err != nil {
		notrun.Skip(t, "npx is not installed (nodejs and npm: scripts/deps.sh test installs them)")
	}
	out := filepath.Join(t.TempDir(), "bids")
	if _, err := Export(studyOfTwoReaders(t), out, Options{}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(npx, "--yes", "bids-validator@1.15.0", "--json", out)
	stdout, err := cmd.Output()
	var rep struct {
		Issues struct {
			Errors, Warnings []struct {
				Key, Reason string
				Files       []struct {
					File   struct{ RelativePath string } `json:"file"`
					Reason string
				} `json:"files"`
			}
		} `json:"issues"`
	}
	if jerr := json.Unmarshal(stdout, &rep); jerr != nil {
		t.Fatalf("validator: %v (%v)\n%s", jerr, err, stdout)
	}
	for _, e := range rep.Issues.Errors {
		var files []string
		for _, f := range e.Files {
			files = append(files, f.File.RelativePath+" "+f.Reason)
		}
		t.Errorf("validator error %s: %s\n  %s", e.Key, e.Reason, strings.Join(files, "\n  "))
	}
	for _, w := range rep.Issues.Warnings {
		t.Logf("validator warning %s: %s", w.Key, w.Reason)
	}
}
