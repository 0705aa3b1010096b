package metrics

import (
	"context"
	"encoding/csv"
	"maps"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"sightline/reader/egd"
	"sightline/reader/study"
	"sightline/tracker"
)

// A published-layout folder made by hand: one 2544 × 3056 image drawn with pads 0, 0, 534, 534
// (the published rows' image, docs/FORMATS.md §1), four boxes, and the same five fixations read
// by alice and bob, while carol looked elsewhere.
const handID = "1a3f39ce-ebe90275-9a66145a-af03360e-ee3b163b"

var (
	perX = 2544.0 / (1920 - 534 - 534)
	perY = 3056.0 / 1080
)

type handFix struct {
	x, y      int     // X_ORIGINAL, Y_ORIGINAL (−1: off the image)
	end, dur  float64 // Time, FPOGD
	fpogOverX float64 // FPOGX when off the image
}

// The fixations: 1 right lung, 2 left lung, 3 right lung, 4 left lung and cardiac silhouette,
// 5 off the image.
var handFixes = []handFix{
	{x: 600, y: 1000, end: 1.0, dur: 0.5},
	{x: 1700, y: 1000, end: 1.5, dur: 0.3},
	{x: 500, y: 2000, end: 2.0, dur: 0.2},
	{x: 1600, y: 2000, end: 3.0, dur: 0.4},
	{x: -1, y: -1, end: 3.5, dur: 0.1, fpogOverX: 0.1},
}

func writeHand(t *testing.T, withReaders bool) string {
	t.Helper()
	dir := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("master_sheet.csv", "dicom_id,path,image_top_pad,image_bottom_pad,image_left_pad,image_right_pad,Normal,CHF,pneumonia\n"+
		handID+",files/p1/"+handID+".dcm,0,0,534,534,1,0,0\n")
	write("bounding_boxes.csv", "dicom_id,bbox_name,x1,x2,y1,y2\n"+
		handID+",right lung,200.0,1000.0,500.0,2500.0\n"+
		handID+",left lung,1500.0,2300.0,500.0,2500.0\n"+
		handID+",cardiac silhouette,1000.0,1800.0,1500.0,2500.0\n"+
		handID+",trachea,1200.0,1300.0,100.0,400.0\n")
	write("audio_segmentation_transcripts/"+handID+"/transcript.json",
		`{"full_text": " lungs heart", "time_stamped_text": [{"phrase": "lungs", "begin_time": 0.6, "end_time": 0.9}, {"phrase": "heart", "begin_time": 3.0, "end_time": 3.4}]}`)
	b := egd.AppendHeader(nil)
	sessions := []string{"1"}
	if withReaders {
		sessions = []string{"1", "2", "3"}
		write("sessions.csv", "SESSION_ID,session,reader\n1,s-a,alice\n2,s-b,bob\n3,s-c,carol\n")
	}
	for _, sid := range sessions {
		for i, f := range handFixes {
			x, y := f.x, f.y
			if sid == "3" && x >= 0 {
				x, y = 2400, 200+100*i // carol: the top right corner
			}
			fx, fy := f.fpogOverX, 0.5
			if x >= 0 {
				fx = (float64(x)/perX + 534) / 1920
				fy = float64(y) / perY / 1080
			}
			r := egd.RowFields{SessionID: sid, DicomID: handID, CNT: int64(10 * (i + 1)), Time: f.end,
				TimeTick: int64(f.end * 1e7), XOriginal: x, YOriginal: y}
			r.Sample.FPOGX, r.Sample.FPOGY, r.Sample.FPOGS, r.Sample.FPOGD = fx, fy, f.end-f.dur, f.dur
			r.Sample.FPOGID, r.Sample.FPOGV = int64(i+1), true
			b = egd.AppendRow(b, &r)
		}
	}
	write("fixations.csv", string(b))
	return dir
}

func readTable(t *testing.T, path string) (map[string]int, [][]string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	all, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	col := map[string]int{}
	for i, h := range all[0] {
		col[h] = i
	}
	return col, all[1:]
}

func run(t *testing.T, dir string) (string, *Result) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "metrics")
	res, err := Run(context.Background(), Config{Dir: dir, Out: out})
	if err != nil {
		t.Fatal(err)
	}
	return out, res
}

func TestZonesOnAPublishedLayout(t *testing.T) {
	out, res := run(t, writeHand(t, false))
	if res.Images != 1 || res.Screens != 1 || res.Pairs != 0 || res.Phrases != 2 {
		t.Errorf("result %+v", res)
	}
	col, rows := readTable(t, filepath.Join(out, ZonesFile))
	if len(rows) != 17 {
		t.Fatalf("%d zone rows, want 17", len(rows))
	}
	checkZoneRows(t, col, rows, map[string][7]string{ // source, present, fixated, ttff_s, dwell_s, visits, fixations
		"right lung":         {"box", "1", "1", "0.5", "0.7", "2", "2"},
		"left lung":          {"box", "1", "1", "1.2", "0.7", "2", "2"},
		"cardiac silhouette": {"box", "1", "1", "2.6", "0.4", "1", "1"},
		"trachea":            {"box", "1", "0", "", "0.0", "0", "0"},
		"left clavicle":      {"box", "0", "0", "", "0.0", "0", "0"},
	})
}

// checkZoneRows compares zones.csv's rows named in want (source, present, fixated, ttff_s,
// dwell_s, visits, fixations) and fails for a zone in want that zones.csv lacks.
func checkZoneRows(t *testing.T, col map[string]int, rows [][]string, want map[string][7]string) {
	t.Helper()
	want = maps.Clone(want)
	for _, r := range rows {
		w, ok := want[r[col["zone"]]]
		if !ok {
			continue
		}
		got := [7]string{r[col["source"]], r[col["present"]], r[col["fixated"]], r[col["ttff_s"]], r[col["dwell_s"]], r[col["visits"]], r[col["fixations"]]}
		for i := range got {
			if !sameCell(got[i], w[i]) {
				t.Errorf("%s: got %v, want %v", r[col["zone"]], got, w)
				break
			}
		}
		delete(want, r[col["zone"]])
	}
	if len(want) > 0 {
		t.Errorf("zones missing from zones.csv: %v", want)
	}
}

// sameCell compares two cells, numerically when both are numbers (sums of durations round).
func sameCell(a, b string) bool {
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	if err1 != nil || err2 != nil {
		return a == b
	}
	return math.Abs(x-y) < 1e-9
}

func TestCoverageAndMomentsOnAPublishedLayout(t *testing.T) {
	out, _ := run(t, writeHand(t, false))
	col, rows := readTable(t, filepath.Join(out, CoverageFile))
	if len(rows) != 1 {
		t.Fatalf("%d coverage rows", len(rows))
	}
	r := rows[0]
	if r[col["zones_present"]] != "4" || r[col["zones_fixated"]] != "3" || r[col["zones_never_fixated"]] != "trachea" || r[col["fixations"]] != "5" {
		t.Errorf("coverage row %v", r)
	}
	for _, c := range []string{"right_lung_covered", "left_lung_covered"} {
		v, err := strconv.ParseFloat(r[col[c]], 64)
		// Two fixations of about 1° radius (≈ 119 DICOM pixels) in a 800 × 2000 box: a few %.
		if err != nil || !(v > 0.01 && v < 0.1) {
			t.Errorf("%s = %q, want a few %%", c, r[col[c]])
		}
	}
	if v, err := strconv.ParseFloat(r[col["scanpath_deg"]], 64); err != nil || !(v > 10 && v < 60) {
		t.Errorf("scanpath_deg = %q", r[col["scanpath_deg"]])
	}

	col, rows = readTable(t, filepath.Join(out, MomentsFile))
	want := [][5]string{ // phrase, window_start_s, fixations, dwell_s, zones
		// [−1.4, 0.6): fixation 1 (0.5–1.0) for 0.1 s
		{"lungs", "-1.4", "1", "0.1", "right lung"},
		// [1.0, 3.0): fixation 1 ends at 1.0 (not counted); 2, 3, 4 whole: 0.3 + 0.2 + 0.4
		{"heart", "1.0", "3", "0.9", "right lung;left lung;cardiac silhouette"},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d moments, want %d", len(rows), len(want))
	}
	for i, w := range want {
		r := rows[i]
		got := [5]string{r[col["phrase"]], r[col["window_start_s"]], r[col["fixations"]], r[col["dwell_s"]], r[col["zones"]]}
		for k := range got {
			if !sameCell(got[k], w[k]) {
				t.Errorf("moment %d: got %v, want %v", i, got, w)
				break
			}
		}
	}
}

func TestAgreementBetweenReaders(t *testing.T) {
	out, res := run(t, writeHand(t, true))
	if res.Pairs != 3 {
		t.Errorf("%d pairs, want 3 (alice–bob, alice–carol, bob–carol)", res.Pairs)
	}
	col, rows := readTable(t, filepath.Join(out, AgreementFile))
	if len(rows) != 6 {
		t.Fatalf("%d agreement rows, want 6 (ordered pairs)", len(rows))
	}
	get := func(a, b, c string) float64 {
		for _, r := range rows {
			if r[col["reader_a"]] == a && r[col["reader_b"]] == b {
				v, err := strconv.ParseFloat(r[col[c]], 64)
				if err != nil {
					t.Fatalf("%s→%s %s: %q", a, b, c, r[col[c]])
				}
				return v
			}
		}
		t.Fatalf("no row %s→%s", a, b)
		return 0
	}
	// alice and bob made the same fixations: identical maps.
	for c, w := range map[string]float64{"cc": 1, "sim": 1, "kld": 0, "auc_judd": 1} {
		if v := get("alice", "bob", c); math.Abs(v-w) > 1e-9 && !(c == "auc_judd" && v > 0.95) {
			t.Errorf("alice→bob %s = %v, want %v", c, v, w)
		}
	}
	// carol looked elsewhere: every measure worse than alice's with bob.
	for _, c := range []string{"cc", "sim", "nss", "auc_judd"} {
		if get("alice", "carol", c) >= get("alice", "bob", c) {
			t.Errorf("%s: alice–carol %v not below alice–bob %v", c, get("alice", "carol", c), get("alice", "bob", c))
		}
	}
	if get("alice", "carol", "kld") <= 1 {
		t.Errorf("kld alice→carol = %v, want large", get("alice", "carol", "kld"))
	}
}

func TestCoveredShareOfABox(t *testing.T) {
	box := area{box: &study.Box{X1: 0, X2: 100, Y1: 0, Y2: 100}}
	cases := []struct {
		name  string
		fixes []fixation
		r     float64
		want  float64
	}{
		{"a disc larger than the box", []fixation{{X: 50, Y: 50}}, 200, 1},
		{"half a disc on the edge", []fixation{{X: 0, Y: 50}}, 50, math.Pi * 50 * 50 / 2 / 10000},
		{"far away", []fixation{{X: 500, Y: 500}}, 50, 0},
		{"off the image", []fixation{{X: -1, Y: -1}}, 500, 0},
	}
	for _, c := range cases {
		if got := covered(box, c.fixes, c.r, c.r); math.Abs(got-c.want) > 0.03 {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	if !math.IsNaN(covered(area{}, nil, 1, 1)) {
		t.Error("no box: want NaN")
	}
}

func TestScanpathInDegrees(t *testing.T) {
	v := tracker.PaperViewing()
	fx, _ := v.DegreesToFraction(2)
	fixes := []fixation{{FPOGX: 0.5 - fx/2, FPOGY: 0.5}, {FPOGX: math.NaN()}, {FPOGX: 0.5 + fx/2, FPOGY: 0.5}}
	if got := scanpath(Config{Viewing: v}, fixes); math.Abs(got-2) > 1e-9 {
		t.Errorf("scanpath %v°, want 2° (the NaN fixation skipped)", got)
	}
}

func TestBadInputNamesTheFile(t *testing.T) {
	dir := writeHand(t, false)
	if err := os.WriteFile(filepath.Join(dir, "fixations.csv"), []byte("SESSION_ID,oops\n1,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Run(context.Background(), Config{Dir: dir, Out: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "fixations.csv") {
		t.Errorf("error %v, want one naming fixations.csv", err)
	}
	if _, err := Run(context.Background(), Config{Dir: dir, Out: t.TempDir(), WindowS: -1}); err == nil || !strings.Contains(err.Error(), "window") {
		t.Errorf("negative window: %v", err)
	}
}
