package heatmap

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sightline/reader/egd"
	"sightline/reader/study"
)

// TestPlanAndRenderDataset: a dataset's cases are planned with their DICOM sizes (a case whose
// size cannot be read is named and left out), a calibration screen is set apart, and the
// totals count every fixation and frame of the static, temporal and cumulative passes.
func TestPlanAndRenderDataset(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, study.MasterSheet, "dicom_id,path,Normal,CHF,pneumonia\na,a.dcm,1,0,0\nb,b.dcm,0,1,0\nmissing,missing.dcm,0,0,1\n")
	csv := egd.AppendHeader(nil)
	for _, r := range [][]byte{
		fixRow("1", "a", 1, 10, 10, 0.3), fixRow("1", "a", 2, 20, 10, 0.3), fixRow("1", "a", 3, 30, 10, 0.3),
		fixRow("1", "calibration-1-1", 1, -1, -1, 0.3), fixRow("1", "calibration-1-1", 2, -1, -1, 0.3),
		fixRow("1", "b", 1, 50, 40, 0.3), fixRow("1", "b", 2, -1, -1, 0.3),
		fixRow("1", "missing", 1, 5, 5, 0.3),
	} {
		csv = append(csv, r...)
	}
	writeFile(t, dir, "fixations.csv", string(csv))
	size := func(_ *study.Study, root string, c study.Case) (int, int, error) {
		if root != dir {
			t.Errorf("images root %q, want the dataset", root)
		}
		if c.DicomID == "missing" {
			return 0, 0, errors.New("DICOM missing.dcm: no such file")
		}
		return 64, 48, nil
	}
	plan, err := PlanDataset(dir, DatasetOptions{Fixations: "fixations.csv", Size: size})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Jobs) != 2 || len(plan.Others) != 1 || len(plan.Failed) != 1 || !strings.Contains(plan.Failed[0].Error(), "missing") {
		t.Fatalf("%d jobs, %d others, failed %v", len(plan.Jobs), len(plan.Others), plan.Failed)
	}
	out := t.TempDir()
	tot, err := plan.Render(context.Background(), out, Kinds{Static: true, Temporal: true, Cumulative: true}, Options{Sigma: 5}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Five fixations, one off the image; 3+2 temporal frames and 3+2 cumulative ones.
	want := Totals{Images: 2, Fixations: 5, OffImage: 1, Frames: 10, Others: 1, OtherFix: 2}
	if tot != want {
		t.Errorf("totals %+v, want %+v", tot, want)
	}
	for _, f := range []string{"a/heatmap.png", "a/0_frame.png", "a/2_frame.png", "a/3_cumulative.png", "b/2_cumulative.png"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	// The cumulative frames alone: their own stats.
	tot, err = plan.Render(context.Background(), t.TempDir(), Kinds{Cumulative: true}, Options{Sigma: 5}, nil)
	if err != nil || tot.Frames != 5 {
		t.Errorf("cumulative alone: %+v %v", tot, err)
	}
	if _, err := PlanDataset(dir, DatasetOptions{Fixations: "nowhere.csv", Size: size}); err == nil || !strings.Contains(err.Error(), "nowhere.csv") {
		t.Errorf("a fixation file that is not there: %v", err)
	}
}
