package app

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"sightline/reader/egd"
	"sightline/reader/study"
)

// analyzeDataset writes a tiny EGD-CXR-layout folder: two cases and a calibration screen.
func analyzeDataset(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("master_sheet.csv", "dicom_id,path,Normal,CHF,pneumonia\n"+
		"a,a.dcm,1,0,0\nb,b.dcm,0,1,0\nmissing,missing.dcm,0,0,1\n")
	write("bounding_boxes.csv", "dicom_id,bbox_name,x1,x2,y1,y2\na,left lung,0,30,0,40\nb,left lung,0,30,0,40\n")
	fix := egd.AppendHeader(nil)
	add := func(id string, n int, x, y int, fx, fy float64) {
		for k := range n {
			r := egd.RowFields{SessionID: "1", DicomID: id, CNT: int64(k), Time: 0.3 * float64(k+1), XOriginal: x, YOriginal: y}
			r.Sample.FPOGX, r.Sample.FPOGY, r.Sample.FPOGD, r.Sample.FPOGV = fx, fy, 0.3, true
			fix = egd.AppendRow(fix, &r)
		}
	}
	add("a", 3, 10, 10, 0.5, 0.5)
	add("calibration-1-1", 2, -1, -1, 0.52, 0.49)
	add("b", 2, 50, 40, 0.5, 0.5)
	add("b", 1, -1, -1, 0.9, 0.9)
	add("missing", 1, 5, 5, 0.5, 0.5)
	write("fixations.csv", string(fix))
	return dir
}

func runCommand(t *testing.T, mk func(*Options) *cobra.Command, args ...string) (string, string, error) {
	t.Helper()
	var out, errw bytes.Buffer
	o := &Options{Out: &out, Err: &errw}
	cmd := mk(o)
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errw)
	err := cmd.Execute()
	return out.String(), errw.String(), err
}

func TestAnalyzeCommand(t *testing.T) {
	dir := analyzeDataset(t)
	out := filepath.Join(t.TempDir(), "analysis")
	stdout, stderr, err := runCommand(t, analyzeCommand, dir, "--out", out)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	for _, want := range []string{"Calibration: 1 screens", "Fixations vs anatomy: 3 images", "Wrote "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "reading fixations.csv") {
		t.Errorf("no progress bar on stderr: %q", stderr)
	}
	if strings.Contains(stderr, "B/s") {
		t.Errorf("the progress bar prints a rate (a bogus one on small or cached files): %q", stderr)
	}
	for _, f := range []string{"calibration_error.csv", "fixations_vs_bounding_boxes.csv", "fixations_vs_anatomy_vs_condition.csv", "figure11_fixation_duration.png", "summary.txt", "reporting.md"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	if _, _, err := runCommand(t, analyzeCommand, dir); err == nil || !strings.Contains(err.Error(), "out") {
		t.Errorf("no --out: %v", err)
	}
	if _, _, err := runCommand(t, analyzeCommand, t.TempDir(), "--out", out, "--quiet"); err == nil || !strings.Contains(err.Error(), "master_sheet.csv") {
		t.Errorf("empty folder: %v", err)
	}
}

// TestMetricsCommand: the four tables of a published-layout folder, with the progress bar.
func TestMetricsCommand(t *testing.T) {
	dir := analyzeDataset(t)
	out := filepath.Join(t.TempDir(), "metrics")
	stdout, stderr, err := runCommand(t, metricsCommand, dir, "--out", out)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(stdout, "3 images, 3 reads, 0 reader pairs, 0 phrases") {
		t.Errorf("stdout:\n%s", stdout)
	}
	if !strings.Contains(stderr, "images") || !strings.Contains(stderr, "3/3") {
		t.Errorf("no progress bar on stderr: %q", stderr)
	}
	for _, f := range []string{"zones.csv", "coverage.csv", "agreement.csv", "moments.csv"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	if _, _, err := runCommand(t, metricsCommand, dir, "--out", out, "--window", "0", "--quiet"); err != nil {
		t.Errorf("--window 0 (the default 2 s): %v", err)
	}
	if _, _, err := runCommand(t, metricsCommand, dir, "--out", out, "--radius-deg", "-1", "--quiet"); err == nil || !strings.Contains(err.Error(), "coverage radius -1") {
		t.Errorf("negative radius: %v", err)
	}
}

func TestHeatmapCommand(t *testing.T) {
	dir := analyzeDataset(t)
	orig := heatmapDicomSize
	defer func() { heatmapDicomSize = orig }()
	heatmapDicomSize = func(_ *study.Study, root string, c study.Case) (int, int, error) {
		if root != dir {
			t.Errorf("images root %q", root)
		}
		if c.DicomID == "missing" {
			return 0, 0, errors.New("DICOM missing.dcm: no such file")
		}
		return 64, 48, nil
	}
	out := t.TempDir()
	stdout, stderr, err := runCommand(t, heatmapCommand, dir, "--out", out, "--temporal", "--cumulative", "--sigma", "5")
	if err == nil || !strings.Contains(err.Error(), "1 cases could not be rendered") {
		t.Errorf("err %v", err)
	}
	if !strings.Contains(stderr, "case missing") || !strings.Contains(stdout, "2 images, 6 fixations (1 off the image") || !strings.Contains(stdout, "1 screens not in master_sheet.csv") {
		t.Errorf("stdout %q\nstderr %q", stdout, stderr)
	}
	// The reference's frames, 0-based, and the cumulative ones under their own name.
	for _, f := range []string{"a/heatmap.png", "a/0_frame.png", "a/2_frame.png", "b/heatmap.png", "b/2_frame.png",
		"a/1_cumulative.png", "a/3_cumulative.png", "b/3_cumulative.png"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "a", "3_frame.png")); err == nil {
		t.Error("a 1-based reference frame")
	}
	if _, err := os.Stat(filepath.Join(out, "calibration-1-1")); err == nil {
		t.Error("a calibration screen got a heatmap")
	}
	if _, _, err := runCommand(t, heatmapCommand, dir, "--out", out, "--static=false"); err == nil {
		t.Error("nothing to do: no error")
	}
	if _, _, err := runCommand(t, heatmapCommand, dir, "--out", out, "--sigma", "-1", "--quiet"); err == nil || !strings.Contains(err.Error(), "sigma -1") {
		t.Errorf("σ −1: %v", err)
	}
}
