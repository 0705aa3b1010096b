package export

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"sightline/internal/testkit"
	"sightline/reader/egd"
	"sightline/reader/export/exporttest"
	"sightline/reader/qa"
	"sightline/reader/review"
	"sightline/reader/session"
	"sightline/reader/study"
)

// crashEnv makes the test binary a station that records part of a session and dies (see
// TestMain): a real crash, lock and all.
const crashEnv = "SIGHTLINE_EXPORT_TEST_CRASH"

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashEnv); dir != "" {
		if err := crashHelper(dir); err != nil {
			fmt.Fprintln(os.Stderr, "crash helper:", err)
			os.Exit(2)
		}
		os.Exit(0) // no Close: the session stays "recording", its lock dies with the process
	}
	os.Exit(m.Run())
}

var t0 = time.Date(2026, 11, 27, 15, 27, 5, 0, time.UTC)

func crashSpec(cases []exporttest.Case) exporttest.Spec {
	return exporttest.Spec{ID: "20261127-170000-reader2", Reader: "reader2", Seed: 11, Started: t0.Add(90 * time.Minute),
		Cases: cases, CalibEvery: 3, Samples: 40, Extras: true}
}

func crashHelper(dir string) error {
	cases, err := exporttest.WriteStudy(dir+".tmp", 6) // the same cases as the parent's study
	if err != nil {
		return err
	}
	os.RemoveAll(dir + ".tmp")
	r, err := exporttest.Start(dir, crashSpec(cases))
	if err != nil {
		return err
	}
	if err := r.Screens(2); err != nil {
		return err
	}
	return r.CrashMidScreen()
}

// fixture is a study with sessions, built through the recorder.
type fixture struct {
	dir   string
	cases []exporttest.Case
}

type sessionSpec struct {
	id      string
	started time.Time
	cases   int // the first n cases of the study
	calib   int
	status  string
	extras  bool
}

func newFixture(t *testing.T, nCases int, specs ...sessionSpec) *fixture {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "study")
	cases, err := exporttest.WriteStudy(dir, nCases)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{dir: dir, cases: cases}
	for _, s := range specs {
		f.record(t, s)
	}
	return f
}

func (f *fixture) record(t *testing.T, s sessionSpec) {
	t.Helper()
	reader := s.id[strings.LastIndex(s.id, "-")+1:]
	r, err := exporttest.Start(f.dir, exporttest.Spec{ID: s.id, Reader: reader, Seed: int64(len(s.id)), Started: s.started,
		Cases: f.cases[:s.cases], CalibEvery: s.calib, Samples: 30, Extras: s.extras})
	if err != nil {
		t.Fatal(err)
	}
	n := -1
	if s.status == session.StatusEnded {
		n = 2
	}
	if err := r.Screens(n); err != nil {
		t.Fatal(err)
	}
	if s.status == "" {
		s.status = session.StatusComplete
	}
	if s.status == session.StatusRecording {
		return // left open, as a station still recording
	}
	if err := r.Close(s.status); err != nil {
		t.Fatal(err)
	}
}

// crash records a session in another process that dies mid-screen, then resumes and finishes it
// here: the study gains a session with an interrupted copy.
func (f *fixture) crash(t *testing.T) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashEnv+"="+f.dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("crash helper: %v\n%s", err, out)
	}
	r, err := exporttest.Resume(f.dir, crashSpec(f.cases))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Screens(-1); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(session.StatusComplete); err != nil {
		t.Fatal(err)
	}
}

func standard(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t, 6,
		// Started later but named earlier: the integers follow the start times.
		// A calibration screen before every case: 12 screens, two-digit indexes past 9.
		sessionSpec{id: "20261127-152705-reader1", started: t0.Add(time.Hour), cases: 6, calib: 1, extras: true},
		sessionSpec{id: "20261127-160000-reader3", started: t0, cases: 4, calib: 3, extras: true},
		sessionSpec{id: "20261127-163000-reader4", started: t0.Add(2 * time.Hour), cases: 5, calib: 2, status: session.StatusEnded},
	)
	f.crash(t)
	return f
}

func mustExport(t *testing.T, studyDir string, o Options) (string, *Result) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "export")
	res, err := Export(studyDir, out, o)
	if err != nil {
		t.Fatal(err)
	}
	return out, res
}

func mustImport(t *testing.T, dir string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "imported")
	if _, err := Import(dir, out, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	return out
}

// tree reads every file under dir.
func tree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		m[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func sameTrees(t *testing.T, a, b map[string][]byte) {
	t.Helper()
	var names []string
	for n := range a {
		names = append(names, n)
	}
	for n := range b {
		if _, ok := a[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	for _, n := range names {
		if n == QAFile {
			// qa.csv measures the session folders as the review reads them: an import
			// normalises records the first study held malformed (the fixture's string
			// longest_loss_ms), so its problems column differs by design. TestQAFile checks it.
			continue
		}
		x, okx := a[n]
		y, oky := b[n]
		switch {
		case !okx || !oky:
			t.Errorf("%s: in the first export %v, in the second %v", n, okx, oky)
		case !bytes.Equal(x, y):
			t.Errorf("%s differs:\n%s", n, firstDiff(x, y))
		}
	}
}

func firstDiff(x, y []byte) string {
	lx, ly := strings.Split(string(x), "\n"), strings.Split(string(y), "\n")
	for i := 0; i < max(len(lx), len(ly)); i++ {
		var a, b string
		if i < len(lx) {
			a = lx[i]
		}
		if i < len(ly) {
			b = ly[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\n  %q\n  %q", i+1, a, b)
		}
	}
	return "(same lines)"
}

func column(rows [][]string, name string) []string {
	i := slices.Index(rows[0], name)
	var out []string
	for _, r := range rows[1:] {
		out = append(out, r[i])
	}
	return out
}

// Export, import, export again: every file of the two exports is the same, byte for byte.
func TestRoundTrip(t *testing.T) {
	f := standard(t)
	tests := []struct {
		name string
		opt  Options
	}{
		{"default", Options{}},
		{"no calibration rows", Options{NoCalibrationRows: true}},
		{"with interrupted copies", Options{IncludeInterrupted: true}},
		{"one session", Options{Sessions: []string{"20261127-163000-reader4"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out1, res1 := mustExport(t, f.dir, tc.opt)
			study2 := mustImport(t, out1)
			o2 := tc.opt
			o2.Sessions = nil // the imported study holds only what was exported
			out2, res2 := mustExport(t, study2, o2)
			a, b := tree(t, out1), tree(t, out2)
			sameTrees(t, a, b)
			if res1.GazeRows != res2.GazeRows || res1.GazeRows == 0 || !slices.Equal(res1.Files, res2.Files) {
				t.Errorf("results differ: %+v\n%+v", res1, res2)
			}
			if !strings.HasPrefix(string(a[GazeFile]), strings.Join(egd.GazeHeader, ",")+"\n") {
				t.Errorf("eye_gaze.csv header: %q", a[GazeFile][:80])
			}
		})
	}
}

// The rows of an export: grouped by session, each screen's rows together, Time and CNT restarting
// per screen, TIMETICK rising within a screen; calibration screens named unmistakably, or left out.
func TestExportRows(t *testing.T) {
	f := standard(t)
	for _, noCalib := range []bool{false, true} {
		t.Run(fmt.Sprint("noCalibrationRows=", noCalib), func(t *testing.T) {
			out, res := mustExport(t, f.dir, Options{NoCalibrationRows: noCalib})
			if len(res.Skipped) != 0 {
				t.Errorf("skipped %v", res.Skipped)
			}
			sessions := testkit.ReadCSV(t, filepath.Join(out, SessionsFile))
			numOf := map[string]string{}
			for _, r := range sessions[1:] {
				numOf[r[0]] = r[1]
			}
			for _, file := range []string{GazeFile, FixationsFile, "fixations_idt.csv", "fixations_ivt.csv"} {
				rows := testkit.ReadCSV(t, filepath.Join(out, file))
				type key struct{ s, m, d string }
				seen := map[key]bool{}
				var prev key
				calibs, prevSession := 0, ""
				var lastTick float64
				for i, r := range rows[1:] {
					k := key{r[0], r[1], r[2]}
					if r[0] < prevSession {
						t.Fatalf("%s row %d: SESSION_ID %s after %s", file, i+2, r[0], prevSession)
					}
					prevSession = r[0]
					if k != prev {
						if seen[k] {
							t.Fatalf("%s row %d: screen %v again, not contiguous", file, i+2, k)
						}
						seen[k], prev, lastTick = true, k, 0
						if file == GazeFile && (r[3] != "0" || r[4] != "0.0") {
							t.Errorf("%s row %d: first row of a screen has CNT %s Time %s, want 0 and 0.0", file, i+2, r[3], r[4])
						}
					}
					var tick float64
					fmt.Sscan(r[5], &tick)
					if tick < lastTick {
						t.Errorf("%s row %d: TIMETICK goes back", file, i+2)
					}
					lastTick = tick
					if strings.HasPrefix(r[2], "calibration-") {
						calibs++
						if want := "calibration-" + numOf[r[0]] + "-"; !strings.HasPrefix(r[2], want) {
							t.Errorf("%s row %d: calibration id %s, want %s<n>", file, i+2, r[2], want)
						}
					}
				}
				if noCalib && calibs > 0 || !noCalib && calibs == 0 {
					t.Errorf("%s: %d calibration rows with noCalibrationRows=%v", file, calibs, noCalib)
				}
			}
			screens := testkit.ReadCSV(t, filepath.Join(out, ScreensFile))
			if kinds := column(screens, "kind"); slices.Contains(kinds, string(session.KindCalibration)) == noCalib {
				t.Errorf("screens.csv kinds %v with noCalibrationRows=%v", kinds, noCalib)
			}
		})
	}
}

// SESSION_ID is an integer, as published, with the reader in it: with several readers the r-th
// reader to start has r·100 + 1, r·100 + 2, … in order of start, and the rows go in SESSION_ID
// order; with one reader, 1, 2, …. sessions.csv maps each to its session and reader.
func TestSessionNumbers(t *testing.T) {
	f := newFixture(t, 4,
		sessionSpec{id: "20261127-152705-reader1", started: t0.Add(time.Hour), cases: 3},
		sessionSpec{id: "20261127-160000-reader3", started: t0, cases: 2},
		sessionSpec{id: "20261127-180000-reader3", started: t0.Add(2 * time.Hour), cases: 2},
		sessionSpec{id: "20261127-170000-reader9", started: t0.Add(3 * time.Hour), cases: 2, status: session.StatusRecording},
	)
	out, res := mustExport(t, f.dir, Options{})
	got := fmt.Sprint(res.Sessions)
	if want := "[{101 20261127-160000-reader3} {102 20261127-180000-reader3} {201 20261127-152705-reader1}]"; got != want {
		t.Errorf("sessions %s, want %s", got, want)
	}
	if len(res.Skipped) != 1 || !strings.Contains(res.Skipped[0], "20261127-170000-reader9") {
		t.Errorf("skipped %q, want the session still recording", res.Skipped)
	}
	rows := testkit.ReadCSV(t, filepath.Join(out, SessionsFile))
	if !slices.Equal(rows[0][:7], []string{"SESSION_ID", "session", "reader", "seed", "started", "tracker", "status"}) {
		t.Errorf("sessions.csv header %v", rows[0])
	}
	want := [][]string{
		{"101", "20261127-160000-reader3", "reader3", "23", "2026-11-27T15:27:05Z", "gazesim GP3 60 Hz", "complete"},
		{"102", "20261127-180000-reader3", "reader3", "23", "2026-11-27T17:27:05Z", "gazesim GP3 60 Hz", "complete"},
		{"201", "20261127-152705-reader1", "reader1", "23", "2026-11-27T16:27:05Z", "gazesim GP3 60 Hz", "complete"},
	}
	for i, w := range want {
		if !slices.Equal(rows[i+1][:7], w) {
			t.Errorf("sessions.csv row %d: %v, want %v", i+1, rows[i+1][:7], w)
		}
	}
	for _, file := range []string{GazeFile, FixationsFile} {
		gaze := testkit.ReadCSV(t, filepath.Join(out, file))
		if ids := slices.Compact(column(gaze, "SESSION_ID")); !slices.Equal(ids, []string{"101", "102", "201"}) {
			t.Errorf("%s SESSION_IDs %v, want [101 102 201] (grouped, in order)", file, ids)
		}
	}
	// The dataset's files alone, as a researcher may pass them on, still import (import-egd
	// requires integer SESSION_IDs without sessions.csv): a session per SESSION_ID.
	for _, e := range mustReadDir(t, out) {
		if !slices.Contains([]string{GazeFile, FixationsFile, "master_sheet.csv", "bounding_boxes.csv"}, e) {
			if err := os.RemoveAll(filepath.Join(out, e)); err != nil {
				t.Fatal(err)
			}
		}
	}
	imp, err := Import(out, filepath.Join(t.TempDir(), "study"), ImportOptions{})
	if err != nil {
		t.Fatalf("import of the dataset's files alone: %v", err)
	}
	if got, want := fmt.Sprint(imp.Sessions), "[{101 egd-101} {102 egd-102} {201 egd-201}]"; got != want {
		t.Errorf("imported sessions %s, want %s", got, want)
	}
	// One reader's sessions alone: 1, 2, as the published dataset numbers its one reader's.
	_, res = mustExport(t, f.dir, Options{Sessions: []string{"20261127-180000-reader3", "20261127-160000-reader3"}})
	if got, want := fmt.Sprint(res.Sessions), "[{1 20261127-160000-reader3} {2 20261127-180000-reader3}]"; got != want {
		t.Errorf("one reader: sessions %s, want %s", got, want)
	}
	// Naming a session that is still recording is an error, not a silent skip.
	_, err = Export(f.dir, filepath.Join(t.TempDir(), "x"), Options{Sessions: []string{"20261127-170000-reader9"}})
	if err == nil || !strings.Contains(err.Error(), "not finished") {
		t.Errorf("export of a recording session: %v", err)
	}
	_, err = Export(f.dir, filepath.Join(t.TempDir(), "x"), Options{Sessions: []string{"nope"}})
	if err == nil || !strings.Contains(err.Error(), "no such folder") {
		t.Errorf("export of a missing session: %v", err)
	}
}

// The reader blocks of SESSION_ID: readers numbered in order of their first session, a block
// of 100 sessions each, or of 1,000 when a reader has 100 or more.
func TestNumberSessions(t *testing.T) {
	cases := []struct {
		name    string
		readers []string // of the sessions, in order of start
		want    []int    // in that order
	}{
		{"none", nil, []int{}},
		{"one reader", []string{"a", "a", "a"}, []int{1, 2, 3}},
		{"published: no reader named", []string{"", ""}, []int{1, 2}},
		{"two readers, interleaved", []string{"b", "a", "b", "a", "a"}, []int{101, 201, 102, 202, 203}},
		{"an unnamed reader beside a named one", []string{"", "a"}, []int{101, 201}},
		{"a reader with 100 sessions", append(slices.Repeat([]string{"a"}, 100), "b"), append(seq(1001, 100), 2001)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ss := make([]*sess, len(c.readers))
			for i, r := range c.readers {
				ss[i] = &sess{st: session.State{Meta: session.Meta{Reader: r, SessionID: fmt.Sprint(i)}}}
			}
			byStart := slices.Clone(ss)
			number(ss)
			got := make([]int, len(byStart))
			for i, s := range byStart {
				got[i] = s.num
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("numbers %v, want %v", got, c.want)
			}
			if !slices.IsSortedFunc(ss, func(a, b *sess) int { return a.num - b.num }) {
				t.Error("sessions not returned in SESSION_ID order")
			}
		})
	}
}

func seq(from, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = from + i
	}
	return out
}

// The interrupted copy of a case is left out by default (the re-read is exported) and added to
// the extra files on request.
func TestInterruptedCopies(t *testing.T) {
	f := newFixture(t, 6)
	f.crash(t)
	copies, _ := filepath.Glob(study.CaseDir(f.dir, "*", "*.interrupted-1"))
	if len(copies) != 1 {
		t.Fatalf("interrupted copies %v, want one", copies)
	}
	copyID := strings.TrimSuffix(filepath.Base(copies[0]), ".interrupted-1")
	copyID = copyID[strings.Index(copyID, "-")+1:]
	copyRows := int64(20) // CrashMidScreen records half of 40 samples

	for _, include := range []bool{false, true} {
		t.Run(fmt.Sprint("include=", include), func(t *testing.T) {
			out, res := mustExport(t, f.dir, Options{IncludeInterrupted: include})
			gaze := testkit.ReadCSV(t, filepath.Join(out, GazeFile))
			n := 0
			for _, id := range column(gaze, "DICOM_ID") {
				if id == copyID {
					n++
				}
			}
			if n != 40 {
				t.Errorf("eye_gaze.csv has %d rows of the re-read case, want 40 (the re-read only)", n)
			}
			if int(res.GazeRows) != len(gaze)-1 {
				t.Errorf("result says %d rows, file has %d", res.GazeRows, len(gaze)-1)
			}
			_, err := os.Stat(filepath.Join(out, InterruptedGazeFile))
			if include != (err == nil) {
				t.Fatalf("%s present = %v with include %v", InterruptedGazeFile, err == nil, include)
			}
			screens := testkit.ReadCSV(t, filepath.Join(out, ScreensFile))
			cp := column(screens, "interrupted_copy")
			if include != slices.Contains(cp, "1") {
				t.Errorf("screens.csv interrupted_copy %v with include %v", cp, include)
			}
			if include {
				rows := testkit.ReadCSV(t, filepath.Join(out, InterruptedGazeFile))
				if int64(len(rows)-1) != copyRows || rows[1][2] != copyID || rows[1][0] != "1" {
					t.Errorf("%s: %d rows, first %v; want %d rows of %s in session 1", InterruptedGazeFile, len(rows)-1, rows[1][:3], copyRows, copyID)
				}
			}
		})
	}
}

// master_sheet.csv carries the pads of layout.json (the rectangle drawn), not the study's; a
// case drawn differently in two sessions is an error.
func TestPadsFromLayout(t *testing.T) {
	f := newFixture(t, 5,
		sessionSpec{id: "20261127-152705-reader1", started: t0, cases: 5},
		sessionSpec{id: "20261127-160000-reader3", started: t0.Add(time.Hour), cases: 3})
	out, _ := mustExport(t, f.dir, Options{})
	rows := testkit.ReadCSV(t, filepath.Join(out, "master_sheet.csv"))
	for i, c := range f.cases {
		l := c.Layout()
		want := []string{fmt.Sprint(l.Top), fmt.Sprint(l.Bottom), fmt.Sprint(l.Left), fmt.Sprint(l.Right)}
		var got []string
		for _, col := range []string{"image_top_pad", "image_bottom_pad", "image_left_pad", "image_right_pad"} {
			got = append(got, column(rows, col)[i])
		}
		if !slices.Equal(got, want) || want[0] == "7" {
			t.Errorf("case %s pads %v, want %v (layout.json)", c.DicomID, got, want)
		}
		if column(rows, "dicom_id")[i] != c.DicomID {
			t.Errorf("master_sheet row %d is %s, want %s", i, column(rows, "dicom_id")[i], c.DicomID)
		}
	}
	if ind := column(rows, "cxr_exam_indication")[0]; !strings.Contains(ind, "\n") {
		t.Errorf("indication lost its newline: %q", ind)
	}
	boxes := testkit.ReadCSV(t, filepath.Join(out, "bounding_boxes.csv"))
	if !slices.Equal(boxes[0], []string{"dicom_id", "bbox_name", "x1", "x2", "y1", "y2"}) || boxes[1][3] != "800.5" {
		t.Errorf("bounding_boxes.csv starts %v %v", boxes[0], boxes[1])
	}

	// Redraw one case in the second session: the export refuses.
	m, _ := filepath.Glob(filepath.Join(study.CaseDir(f.dir, "20261127-160000-reader3", "*-"+f.cases[0].DicomID), "layout.json"))
	var lf layoutFile
	b, _ := os.ReadFile(m[0])
	json.Unmarshal(b, &lf)
	lf.Left++
	exporttest.WriteJSON(m[0], lf)
	_, err := Export(f.dir, filepath.Join(t.TempDir(), "x"), Options{})
	if err == nil || !strings.Contains(err.Error(), "drawn differently") {
		t.Errorf("export with two layouts of a case: %v", err)
	}
}

// The extra files: filters, calibration checks, events, quality, audio and transcripts.
func TestExtras(t *testing.T) {
	f := newFixture(t, 4, sessionSpec{id: "20261127-152705-reader1", started: t0, cases: 4, calib: 2, extras: true},
		sessionSpec{id: "20261127-160000-reader3", started: t0.Add(time.Hour), cases: 2, extras: true})
	out, _ := mustExport(t, f.dir, Options{})

	filters := testkit.ReadCSV(t, filepath.Join(out, FiltersFile))
	if got := fmt.Sprint(slices.Compact(column(filters, "file"))); !strings.Contains(got, "fixations_idt.csv") {
		t.Errorf("filters.csv files %s", got)
	}
	checks := testkit.ReadCSV(t, filepath.Join(out, ChecksFile))
	if len(checks) < 2 || checks[1][2] != "0.30000000000000004" || checks[1][6] != "17.04" || checks[1][7] != "9" {
		t.Errorf("calibration_checks.csv %v", checks)
	}
	events := testkit.ReadCSV(t, filepath.Join(out, EventsFile))
	if kinds := column(events, "kind"); !slices.Contains(kinds, session.EventScreenShown) || !slices.Contains(kinds, "key") {
		t.Errorf("events.csv kinds %v", kinds)
	}
	quality := testkit.ReadCSV(t, filepath.Join(out, QualityFile))
	if !slices.Equal(quality[0], []string{"SESSION_ID", "MEDIA_ID", "DICOM_ID", "data_loss", "expected", "longest_loss_ms", "note", "reasons", "verdict"}) {
		t.Errorf("quality.csv header %v", quality[0])
	}
	if r := quality[1]; r[7] != `["data loss 12%"]` || r[6] != "" || r[5] != "1500" {
		t.Errorf("quality.csv row %v", r)
	}
	// The first session's recording of each case is in audio_segmentation_transcripts/, the
	// second's beside it; transcripts spell begin_time.
	audio := testkit.ReadCSV(t, filepath.Join(out, AudioFile))
	var inDataset, bySession int
	for _, folder := range column(audio, "folder") {
		switch {
		case strings.HasPrefix(folder, TranscriptsDir+"/"):
			inDataset++
		case strings.HasPrefix(folder, AudioBySessionDir+"/201/"): // reader3's first session
			bySession++
		}
		for _, name := range []string{"audio.wav", "audio.mp3", "transcript.json"} {
			if _, err := os.Stat(filepath.Join(out, folder, name)); err != nil {
				t.Error(err)
			}
		}
		b, _ := os.ReadFile(filepath.Join(out, folder, "transcript.json"))
		if bytes.Contains(b, []byte(`"begin_tim"`)) || !bytes.Contains(b, []byte(`"begin_time"`)) {
			t.Errorf("%s/transcript.json: %s", folder, b)
		}
	}
	if inDataset != 4 || bySession != 2 {
		t.Errorf("audio folders: %d in %s, %d of session 201; want 4 and 2", inDataset, TranscriptsDir, bySession)
	}
}

// A study with masks exports them beside the case's audio.
func TestMasks(t *testing.T) {
	f := newFixture(t, 2, sessionSpec{id: "s1", started: t0, cases: 2})
	mdir := filepath.Join(f.dir, MasksDir, f.cases[1].DicomID)
	os.MkdirAll(mdir, 0o755)
	for _, m := range MaskFiles {
		os.WriteFile(filepath.Join(mdir, m), []byte("\x89PNG "+m), 0o644)
	}
	out, _ := mustExport(t, f.dir, Options{})
	for _, m := range MaskFiles {
		if b, err := os.ReadFile(filepath.Join(out, TranscriptsDir, f.cases[1].DicomID, m)); err != nil || string(b) != "\x89PNG "+m {
			t.Errorf("%s: %q %v", m, b, err)
		}
	}
	sameTrees(t, tree(t, out), tree(t, func() string { o, _ := mustExport(t, mustImport(t, out), Options{}); return o }()))
}

func TestExportRefusesNonEmptyOutput(t *testing.T) {
	f := newFixture(t, 2, sessionSpec{id: "s1", started: t0, cases: 2})
	out := t.TempDir()
	os.WriteFile(filepath.Join(out, "old.csv"), nil, 0o644)
	if _, err := Export(f.dir, out, Options{}); !errors.Is(err, ErrOutNotEmpty) {
		t.Errorf("export into a folder with files: %v", err)
	}
	if _, err := Import(f.dir, out, ImportOptions{}); !errors.Is(err, ErrOutNotEmpty) {
		t.Errorf("import into a folder with files: %v", err)
	}
	// A failed export leaves nothing behind, not even its staging folder.
	parent := t.TempDir()
	os.MkdirAll(study.CaseDir(f.dir, "s1", "99-nonsense"), 0o755)
	if _, err := Export(f.dir, filepath.Join(parent, "out"), Options{}); err == nil {
		t.Fatal("export of a broken session succeeded")
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 0 {
		t.Errorf("failed export left %v", ents)
	}
}

// An empty study (no sessions) exports the headers only.
func TestExportEmpty(t *testing.T) {
	f := newFixture(t, 2)
	out, res := mustExport(t, f.dir, Options{})
	if res.GazeRows != 0 || len(res.Sessions) != 0 {
		t.Errorf("result %+v", res)
	}
	b, _ := os.ReadFile(filepath.Join(out, GazeFile))
	if string(b) != strings.Join(egd.GazeHeader, ",")+"\n" {
		t.Errorf("eye_gaze.csv %q", b)
	}
	if rows := testkit.ReadCSV(t, filepath.Join(out, "master_sheet.csv")); len(rows) != 1 {
		t.Errorf("master_sheet.csv has %d rows, want the header only (no case read)", len(rows))
	}
}

// Case files the fast path cannot take (a byte-order mark, CRLF line ends, a counter written as
// a float, a quoted field) go the slow way, and the export is what it would have been; a row of
// another screen is an error naming the file and line.
func TestSlowPathFallback(t *testing.T) {
	f := newFixture(t, 4, sessionSpec{id: "20261127-152705-reader1", started: t0, cases: 4})
	want, _ := mustExport(t, f.dir, Options{})
	wantGaze, _ := os.ReadFile(filepath.Join(want, GazeFile))

	files, _ := filepath.Glob(filepath.Join(study.CaseDir(f.dir, "*", "*"), session.GazeFile))
	slices.Sort(files)
	edits := []func(string) string{
		func(s string) string { return "\ufeff" + s },
		func(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") },
		func(s string) string { // CNT of the 11th row as "10.0"
			l := strings.Split(s, "\n")
			fl := strings.Split(l[11], ",")
			fl[3] += ".0"
			l[11] = strings.Join(fl, ",")
			return strings.Join(l, "\n")
		},
		func(s string) string { // a quoted DICOM_ID on the last row
			l := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
			fl := strings.Split(l[len(l)-1], ",")
			fl[2] = `"` + fl[2] + `"`
			l[len(l)-1] = strings.Join(fl, ",")
			return strings.Join(l, "\n") + "\n"
		},
	}
	for i, e := range edits {
		b, _ := os.ReadFile(files[i])
		os.WriteFile(files[i], []byte(e(string(b))), 0o644)
	}
	got, _ := mustExport(t, f.dir, Options{})
	gotGaze, _ := os.ReadFile(filepath.Join(got, GazeFile))
	if !bytes.Equal(gotGaze, wantGaze) {
		t.Errorf("eye_gaze.csv differs after the slow path:\n%s", firstDiff(wantGaze, gotGaze))
	}

	// A row of another image in a case file.
	b, _ := os.ReadFile(files[0])
	l := strings.Split(string(b), "\n")
	fl := strings.Split(l[5], ",")
	fl[2] = "another-image"
	l[5] = strings.Join(fl, ",")
	os.WriteFile(files[0], []byte(strings.Join(l, "\n")), 0o644)
	_, err := Export(f.dir, filepath.Join(t.TempDir(), "x"), Options{})
	if err == nil || !strings.Contains(err.Error(), files[0]+":6: row of session") {
		t.Errorf("export with a stray row: %v", err)
	}
}

// A case read again at the end of a session (failed the gate, or marked) is in eye_gaze.csv,
// fixations.csv and the filters' files once per session, by its final read; the read it
// superseded goes beside (*_superseded.csv, its audio under audio_by_session/), screens.csv
// lists both in the order read, and export → import → export gives the same files.
func TestSupersededReads(t *testing.T) {
	f := newFixture(t, 4)
	r, err := exporttest.Start(f.dir, exporttest.Spec{ID: "20261127-152705-reader1", Reader: "reader1", Seed: 3, Started: t0,
		Cases: f.cases, CalibEvery: 2, Samples: 30, Extras: true})
	if err != nil {
		t.Fatal(err)
	}
	again := f.cases[1].DicomID
	if err := r.Screens(-1); err != nil {
		t.Fatal(err)
	}
	plan := r.Rec.State().Plan
	first := slices.IndexFunc(plan, func(sc session.Screen) bool { return sc.DicomID == again })
	if err := r.Reread(again); err != nil {
		t.Fatal(err)
	}
	final := len(plan)
	if err := r.Close(session.StatusComplete); err != nil {
		t.Fatal(err)
	}
	// A second session reads the case once: its read is not superseded by another session's.
	f.record(t, sessionSpec{id: "20261127-160000-reader2", started: t0.Add(time.Hour), cases: 2, extras: true})

	out, res := mustExport(t, f.dir, Options{})        // two readers: SESSION_IDs 101 and 201
	mediaOf := func(file string) map[string][]string { // "session dicom" → MEDIA_IDs, in order, once each
		m := map[string][]string{}
		rows := testkit.ReadCSV(t, filepath.Join(out, file))
		for _, row := range rows[1:] {
			k := row[0] + " " + row[2]
			if l := m[k]; len(l) == 0 || l[len(l)-1] != row[1] {
				m[k] = append(l, row[1])
			}
		}
		return m
	}
	for _, file := range []string{GazeFile, FixationsFile, "fixations_idt.csv", "fixations_ivt.csv"} {
		m := mediaOf(file)
		if got := m["101 "+again]; !slices.Equal(got, []string{strconv.Itoa(final)}) {
			t.Errorf("%s: session 101 (reader1's first) reads of the re-read case %v, want its final read %d only", file, got, final)
		}
		if got := m["201 "+again]; len(got) != 1 {
			t.Errorf("%s: session 201 (reader2's first) reads of the case %v, want one", file, got)
		}
		beside := supersededFile(file)
		if got := mediaOf(beside); len(got) != 1 || !slices.Equal(got["101 "+again], []string{strconv.Itoa(first)}) {
			t.Errorf("%s: %v, want session 101's first read %d of %s", beside, got, first, again)
		}
	}
	if res.Superseded != 1 {
		t.Errorf("result says %d superseded reads, want 1", res.Superseded)
	}
	if n := len(testkit.ReadCSV(t, filepath.Join(out, GazeFile))) - 1; int64(n) != res.GazeRows {
		t.Errorf("result says %d gaze rows, eye_gaze.csv has %d", res.GazeRows, n)
	}
	screens := testkit.ReadCSV(t, filepath.Join(out, ScreensFile))
	var order []string
	for _, row := range screens[1:] {
		if row[0] == "101" && row[2] == again {
			order = append(order, row[1])
		}
	}
	if !slices.Equal(order, []string{strconv.Itoa(first), strconv.Itoa(final)}) {
		t.Errorf("screens.csv lists the reads %v, want %d then %d", order, first, final)
	}
	audio := testkit.ReadCSV(t, filepath.Join(out, AudioFile))
	folders := map[string]string{}
	for _, row := range audio[1:] {
		folders[row[0]+" "+row[1]] = row[3]
	}
	if got, want := folders["101 "+strconv.Itoa(final)], TranscriptsDir+"/"+again; got != want {
		t.Errorf("final read's audio in %q, want %q", got, want)
	}
	if got, want := folders["101 "+strconv.Itoa(first)], AudioBySessionDir+"/101/"+again+".superseded-"+strconv.Itoa(first); got != want {
		t.Errorf("superseded read's audio in %q, want %q", got, want)
	}

	study2 := mustImport(t, out)
	out2, res2 := mustExport(t, study2, Options{})
	sameTrees(t, tree(t, out), tree(t, out2))
	if res.GazeRows != res2.GazeRows || !slices.Equal(res.Files, res2.Files) {
		t.Errorf("results differ: %+v\n%+v", res, res2)
	}
}

// TestQAFile: qa.csv beside the dataset holds every case folder of the exported sessions with
// its measurements and its latest verdict.
func TestQAFile(t *testing.T) {
	f := standard(t)
	ents, err := os.ReadDir(study.SessionsRoot(f.dir))
	if err != nil || len(ents) == 0 {
		t.Fatalf("sessions: %v", err)
	}
	sess := ents[0].Name()
	cases, _ := os.ReadDir(filepath.Join(study.SessionDir(f.dir, sess), "cases"))
	v := review.Verdict{Session: sess, Case: cases[0].Name(), Decision: review.Fail, Reviewer: "qa1", Note: "mic, off", At: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	out := filepath.Join(t.TempDir(), "out")
	if _, err := Export(f.dir, out, Options{Verdicts: []review.Verdict{v}}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out, QAFile))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rows[0], qa.CSVHeader) {
		t.Fatalf("header %v", rows[0])
	}
	col := func(name string) int { return slices.Index(qa.CSVHeader, name) }
	n, found := 0, false
	for _, r := range rows[1:] {
		if r[0] == sess {
			n++
		}
		if r[0] == sess && r[1] == cases[0].Name() {
			found = r[col("decision")] == "fail" && r[col("reviewer")] == "qa1" && r[col("note")] == "mic, off"
		}
	}
	if n != len(cases) || !found {
		t.Fatalf("qa.csv has %d rows of %s (want %d) and the verdict: %v\n%s", n, sess, len(cases), found, b)
	}
}

func mustReadDir(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}
