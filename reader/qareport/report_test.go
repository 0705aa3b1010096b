package qareport

import (
	"bytes"
	"context"
	"encoding/csv"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"sightline/reader/demo/demotest"
	"sightline/reader/qa"
	"sightline/reader/qa/qatest"
	"sightline/reader/review"
	"sightline/reader/session"
	"sightline/reader/study"
)

func TestMain(m *testing.M) {
	code := m.Run()
	demotest.Remove()
	os.Exit(code)
}

// badStudy is a study (the demo's worklist and images, hard-linked) with sessions recorded as the
// station records them and then damaged: every bad input of the QA review at once.
func badStudy(t *testing.T) (dir string, ids []string, release func()) {
	t.Helper()
	src, ids := demotest.Get(t)
	dir = filepath.Join(t.TempDir(), "study")
	// Hard links: the study's files stay inside it (study.DicomPath refuses symlinks out).
	copyTree(t, src, dir, linkFile)
	sess := func(id string) string { return study.SessionDir(dir, id) }
	c := func(i int) qatest.Case {
		return qatest.Case{DicomID: ids[i], Samples: 180, JumpAt: 90, Audio: true, Click: time.Second}
	}
	// s1: a good case, a calibration screen, a WAV whose writer was killed, a broken gaze row.
	qatest.Record(t, sess("s1"), qatest.Session{Reader: "R1", Cases: []qatest.Case{
		{DicomID: session.CalibrationID("s1", 1), Kind: session.KindCalibration, Samples: 60},
		c(0), c(1), c(2)}})
	killWAV(t, filepath.Join(sess("s1"), session.CasesDir, "02-"+ids[1], session.AudioFile))
	breakRow(t, filepath.Join(sess("s1"), session.CasesDir, "03-"+ids[2], session.GazeFile), 5)
	// s2: gaze-only.
	qatest.Record(t, sess("s2"), qatest.Session{Reader: "R2", GazeOnly: true, Cases: []qatest.Case{{DicomID: ids[0], Samples: 120}}})
	// s3: cut off by a crash on its second case, nobody recording it any more: recorded
	// elsewhere (qatest's recorder holds that folder's lock until the test ends) and copied.
	o := c(1)
	o.Open = true
	crashed := qatest.Record(t, filepath.Join(t.TempDir(), "s3"), qatest.Session{ID: "s3", Reader: "R3", Cases: []qatest.Case{c(0), o}})
	// Copied, not linked: a hard link shares the lock.
	copyTree(t, crashed, sess("s3"), func(from, to string) error {
		b, err := os.ReadFile(from)
		if err != nil {
			return err
		}
		return os.WriteFile(to, b, 0o644)
	})
	// s4: a case without audio.json.
	qatest.Record(t, sess("s4"), qatest.Session{Reader: "R4", Cases: []qatest.Case{c(3)}})
	must(t, os.Remove(filepath.Join(sess("s4"), session.CasesDir, "00-"+ids[3], session.AudioMetaFile)))
	// s5: being recorded now (qatest's recorder holds its lock, as the station does).
	o5 := c(2)
	o5.Open = true
	qatest.Record(t, sess("s5"), qatest.Session{Reader: "R5", Cases: []qatest.Case{o5}})
	// s6: its session.json broken.
	must(t, os.MkdirAll(sess("s6"), 0o755))
	must(t, os.WriteFile(filepath.Join(sess("s6"), session.StateFile), []byte("{not json"), 0o644))
	return dir, ids, func() {}
}

// linkFile hard-links a file: the study's files stay inside it (study.DicomPath refuses
// symlinks out).
func linkFile(from, to string) error { return os.Link(from, to) }

// copyTree makes dst a copy of the tree src, each file made by link (os.Link, or a copy).
func copyTree(t testing.TB, src, dst string, link func(from, to string) error) {
	t.Helper()
	must(t, filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		return link(p, filepath.Join(dst, rel))
	}))
}

// killWAV leaves a WAV as a writer killed between header updates does: sizes of 0 frames.
func killWAV(t *testing.T, path string) {
	b, err := os.ReadFile(path)
	must(t, err)
	copy(b[4:8], []byte{36, 0, 0, 0})
	copy(b[40:44], []byte{0, 0, 0, 0})
	must(t, os.WriteFile(path, b, 0o644))
}

// breakRow replaces line n (from 1) of a CSV file with garbage.
func breakRow(t *testing.T, path string, n int) {
	b, err := os.ReadFile(path)
	must(t, err)
	lines := strings.SplitAfter(string(b), "\n")
	lines[n-1] = "s1,not,a,row\n"
	must(t, os.WriteFile(path, []byte(strings.Join(lines, "")), 0o644))
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// writeReport writes the report of dir with two verdicts on s1's first case (the second
// changes the first: the latest counts) and returns the report folder.
func writeReport(t *testing.T, dir string, ids []string) (string, Summary) {
	t.Helper()
	case1 := "01-" + ids[0]
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	verdicts := []review.Verdict{
		{ID: 1, Session: "s1", Case: case1, Decision: review.Fail, Reviewer: "ann", At: at, Note: "first look"},
		{ID: 2, Session: "s1", Case: case1, Decision: review.Pass, Reviewer: "bob", At: at.Add(time.Hour), Note: "fine, on, second look",
			Checklist: review.Checklist{FilesWhole: true, AudioOK: true, NoAbruptStop: true, GazeValid: true, CalibrationGood: true}},
	}
	out := filepath.Join(t.TempDir(), "report")
	sum, err := Write(context.Background(), dir, out, Options{Verdicts: verdicts, Store: "review.db",
		Now: func() time.Time { return at }})
	must(t, err)
	return out, sum
}

func TestReport(t *testing.T) {
	dir, ids, release := badStudy(t)
	defer release()
	out, sum := writeReport(t, dir, ids)
	if sum.Sessions != 5 || len(sum.Unreadable) != 1 || !strings.HasPrefix(sum.Unreadable[0], "s6: ") || sum.Decided != 1 {
		t.Fatalf("summary %+v: want 5 sessions read, s6 unreadable, 1 decided", sum)
	}

	f, err := os.Open(filepath.Join(out, CSVFile))
	must(t, err)
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	must(t, err)
	if !slices.Equal(recs[0], qa.CSVHeader) {
		t.Fatalf("qa.csv header %v", recs[0])
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	rows := map[string][]string{}
	for _, r := range recs[1:] {
		rows[r[col["session"]]+"/"+r[col["case"]]] = r
	}
	if len(recs)-1 != sum.Cases || sum.Cases != 4+1+2+1+1 {
		t.Fatalf("%d rows, %d cases: want one row per case folder (9)", len(recs)-1, sum.Cases)
	}
	row := func(key string) []string {
		t.Helper()
		r, ok := rows[key]
		if !ok {
			t.Fatalf("no row %s in qa.csv (rows: %v)", key, keys(rows))
		}
		return r
	}
	// The latest verdict, with its checklist; nobody decided the others.
	r := row("s1/01-" + ids[0])
	if r[col["decision"]] != "pass" || r[col["reviewer"]] != "bob" || r[col["note"]] != "fine, on, second look" ||
		r[col["at"]] != "2026-12-01T11:00:00Z" || r[col["problems"]] != "" || r[col["audio_present"]] != "1" {
		t.Errorf("decided case: %v", r)
	}
	for _, tc := range []struct {
		key, column, want string
	}{
		{"s1/00-" + session.CalibrationID("s1", 1), "kind", string(session.KindCalibration)},
		{"s1/02-" + ids[1], "problems", "cases/02-" + ids[1] + "/audio.wav: cut off by a kill"},
		{"s1/03-" + ids[2], "problems", "cases/03-" + ids[2] + "/eye_gaze.csv:5:"},
		{"s1/03-" + ids[2], "files_whole", "0"},
		{"s2/00-" + ids[0], "problems", "no audio: a gaze-only session"},
		{"s2/00-" + ids[0], "audio_present", "0"},
		{"s3/01-" + ids[1], "problems", "cut off by a crash"},
		{"s3/01-" + ids[1], "no_abrupt_stop", "0"},
		{"s4/00-" + ids[3], "problems", "audio.json: missing"},
		{"s5/00-" + ids[2], "problems", "still being recorded"},
		{"s1/02-" + ids[1], "decision", ""},
	} {
		got := row(tc.key)[col[tc.column]]
		if (tc.want == "" && got != "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s %s = %q, want %q", tc.key, tc.column, got, tc.want)
		}
	}

	// The pages: every session's, the problems first, every picture there.
	index := read(t, filepath.Join(out, IndexFile))
	for _, want := range []string{"session-s1.html", "session-s5.html", "s6: cannot be opened", "being recorded now", "interrupted", "qa.csv"} {
		if !strings.Contains(index, want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	for _, tc := range []struct{ page, want string }{
		{"session-s1.html", "eye_gaze.csv:5:"},
		{"session-s1.html", "cut off by a kill"},
		{"session-s2.html", "gaze-only session"},
		{"session-s3.html", "cut off by a crash"},
		{"session-s4.html", "audio.json: missing"},
		{"session-s5.html", "being recorded now"},
		{"session-s1.html", "“fine, on, second look”"},
	} {
		page := read(t, filepath.Join(out, tc.page))
		p, cs := strings.Index(page, "<h2>Problems"), strings.Index(page, "<h2>Cases")
		if p < 0 || cs < p {
			t.Fatalf("%s: the problems are not listed first", tc.page)
		}
		if i := strings.Index(page, tc.want); i < 0 {
			t.Errorf("%s lacks %q", tc.page, tc.want)
		} else if tc.want != "“fine, on, second look”" && i > cs {
			t.Errorf("%s names %q only after the problems section", tc.page, tc.want)
		}
		for _, m := range regexp.MustCompile(`src="([^"]+)"`).FindAllStringSubmatch(page, -1) {
			if _, err := os.Stat(filepath.Join(out, m[1])); err != nil {
				t.Errorf("%s: picture %s: %v", tc.page, m[1], err)
			}
		}
	}
	// The case with problems comes before the good one on its page.
	s1 := read(t, filepath.Join(out, "session-s1.html"))
	if bad, good := strings.Index(s1, `<h3>03-`+ids[2]), strings.Index(s1, `<h3>01-`+ids[0]); bad < 0 || good < 0 || bad > good {
		t.Errorf("session-s1.html: the broken case (at %d) is not before the good one (at %d)", bad, good)
	}
	if n := strings.Count(s1, "-heatmap.jpg"); n != 3 {
		t.Errorf("session-s1.html: %d heatmaps, want 3 (the calibration screen has none)", n)
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	must(t, err)
	return string(bytes.ToValidUTF8(b, nil))
}

func keys(m map[string][]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestEmptyStudy: a study without sessions gets a report that says so, and an empty qa.csv
// with its header.
func TestEmptyStudy(t *testing.T) {
	out := filepath.Join(t.TempDir(), "deep", "report")
	sum, err := Write(context.Background(), t.TempDir(), out, Options{})
	if err != nil || sum.Sessions != 0 || sum.Cases != 0 {
		t.Fatalf("%+v, %v", sum, err)
	}
	if got := read(t, filepath.Join(out, CSVFile)); got != strings.Join(qa.CSVHeader, ",")+"\n" {
		t.Errorf("qa.csv %q, want the header alone", got)
	}
	if !strings.Contains(read(t, filepath.Join(out, IndexFile)), "The study has no sessions.") {
		t.Error("index.html does not say the study has no sessions")
	}
}
