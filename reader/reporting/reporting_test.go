package reporting

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sightline/reader/analysis"
	"sightline/reader/export"
	"sightline/reader/export/exporttest"
	"sightline/reader/study"
	"sightline/tracker"
)

func TestReportOfAnExport(t *testing.T) {
	studyDir := filepath.Join(t.TempDir(), "study")
	cases, err := exporttest.WriteStudy(studyDir, 4)
	if err != nil {
		t.Fatal(err)
	}
	err = exporttest.Record(studyDir, exporttest.Spec{ID: "20261201-090000-alice", Reader: "alice", Seed: 3,
		Started: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), Cases: cases, CalibEvery: 2, Samples: 120, Extras: true})
	if err != nil {
		t.Fatal(err)
	}
	ds := filepath.Join(t.TempDir(), "export")
	if _, err := export.Export(studyDir, ds, export.Options{}); err != nil {
		t.Fatal(err)
	}
	rep, err := analysis.Run(context.Background(), analysis.Config{Dir: ds, Out: t.TempDir(), NoFigures: true})
	if err != nil {
		t.Fatal(err)
	}
	s, err := study.Load(ds)
	if err != nil {
		t.Fatal(err)
	}
	in := Input{Dataset: "export", Study: s, Report: rep, Viewing: tracker.PaperViewing(), Rate: 60, Software: []string{"sightline test"}}
	if err := Load(ds, &in); err != nil {
		t.Fatal(err)
	}
	md := Markdown(in)
	for _, want := range []string{
		"Dunn et al.", "gazesim GP3 60 Hz", "Sampling rate: 60.0 Hz", "Readers: 1 (alice)", "Viewing distance: 71 cm",
		"| 1 | alice |", // the session's calibration row
		"Cases in master_sheet.csv: 4; with fixations: 4", "sightline test", "I-DT dispersion=1.00deg",
		"Head stabilisation (chin rest or none), room lighting: " + todo,
	} {
		if !strings.Contains(md, want) {
			t.Errorf("reporting.md lacks %q:\n%s", want, md)
		}
	}
}

func TestReportOfAPublishedFolderSaysWhatIsMissing(t *testing.T) {
	in := Input{Dataset: "egd-cxr", Study: &study.Study{}, Report: &analysis.Report{}, Viewing: tracker.PaperViewing(), Rate: 60}
	md := Markdown(in)
	for _, want := range []string{"Device: " + todo, "Readers: " + todo, "no eye_gaze.csv in the dataset"} {
		if !strings.Contains(md, want) {
			t.Errorf("reporting.md lacks %q:\n%s", want, md)
		}
	}
}
