package session

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"sightline/reader/egd"
	"sightline/reader/stage"
	"sightline/tracker"
)

const tickFreq = 3_000_000 // a device tick that is not 10 MHz, to exercise the conversion

// gen makes a 60 Hz Gazepoint-like stream: device time in 5 decimals from 700 s, a tick at
// tickFreq, fixations of 12 samples each, with FPOGS + FPOGD = TIME on every sample.
type gen struct {
	cnt     int64
	fixID   int64
	fixFrom float64
}

func round5(x float64) float64 { return math.Round(x*1e5) / 1e5 }

func (g *gen) next() tracker.Sample {
	c := g.cnt
	g.cnt++
	t := round5(700 + float64(c)/60)
	if c%12 == 0 {
		g.fixID++
		g.fixFrom = t
	}
	fx := 0.3 + 0.04*float64(g.fixID%10)
	fy := 0.2 + 0.05*float64(g.fixID%7)
	return tracker.Sample{
		Host:     time.Duration(c) * time.Second / 60,
		CNT:      1000 + c,
		Time:     t,
		TimeTick: 5_000_000_000 + c*tickFreq/60,
		TickFreq: tickFreq,
		FPOGX:    fx, FPOGY: fy,
		FPOGS: g.fixFrom, FPOGD: round5(t - g.fixFrom), FPOGID: g.fixID, FPOGV: true,
		BPOGX: fx + 0.001, BPOGY: fy - 0.001, BPOGV: true,
		LPCX: 0.37, LPCY: 0.59, LPD: 18.3, LPS: 1.05, LPV: true,
		RPCX: 0.63, RPCY: 0.6, RPD: 18.2, RPS: 1.06, RPV: true,
		BKPMIN: 19, LPMM: 3.5, LPMMV: true, RPMM: 3.6, RPMMV: true,
	}
}

// lastOfFixation reports whether s is the last sample of its fixation (the next starts one).
func (g *gen) lastOfFixation() bool { return g.cnt%12 == 0 }

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newRecorder(t *testing.T, dir string, plan []Screen) (*Recorder, *clock) {
	t.Helper()
	r, err := Create(dir, Meta{
		SessionID: "S7", Reader: "R1", Seed: 42, CalibEvery: 2, StudyDir: "/study",
		Tracker: "gazesim GP3", TrackerRate: 60, FixationFilter: "device", Plan: plan,
	})
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	r.now, r.lastFlush = c.now, c.t
	return r, c
}

func layoutFor(sc Screen) stage.Layout {
	if sc.Kind == KindCalibration {
		return stage.Fit(stage.Width, stage.Height)
	}
	return stage.Layout{W: 2544, H: 3056, Left: 534, Right: 534} // the published image's pads
}

func caseDir(dir string, sc Screen) string {
	return filepath.Join(dir, CasesDir, fmt.Sprintf("%02d-%s", sc.Index, sc.DicomID))
}

func readRows(t *testing.T, path string) []egd.GazeRecord {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []egd.GazeRecord
	if err := egd.ReadGaze(f, path, func(_ int, g egd.GazeRecord) error { rows = append(rows, g); return nil }); err != nil {
		t.Fatal(err)
	}
	return rows
}

func readState(t *testing.T, dir string) State {
	t.Helper()
	st, err := ReadState(dir)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestFullSession(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "S7")
	plan := NewPlan("S7", []string{"a1", "b2", "c3"}, 42, 2)
	r, clk := newRecorder(t, dir, plan)
	if st := readState(t, dir); st.Status != StatusRecording || st.Screen != -1 || len(st.Plan) != len(plan) || st.Tracker != "gazesim GP3" {
		t.Fatalf("state after Create: %+v", st)
	}

	var g gen
	perScreen := 100
	var marker bool
	for _, sc := range plan {
		host := time.Duration(g.cnt) * time.Second / 60
		if err := r.BeginScreen(sc, layoutFor(sc), host); err != nil {
			t.Fatal(err)
		}
		if st := readState(t, dir); st.Screen != sc.Index || st.Status != StatusRecording {
			t.Fatalf("state after BeginScreen %d: screen %d status %q", sc.Index, st.Screen, st.Status)
		}
		if err := r.Event(host+time.Millisecond, "key", map[string]string{"key": "space", "message": "pressed", "extra": "1"}); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < perScreen; i++ {
			s := g.next()
			if !marker && i == 50 {
				s.User = "SYNC=1"
				marker = true
			}
			clk.t = clk.t.Add(time.Second / 60)
			if err := r.Gaze(s); err != nil {
				t.Fatal(err)
			}
			if g.lastOfFixation() {
				if err := r.Fixation(s); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := r.EndScreen(time.Duration(g.cnt) * time.Second / 60); err != nil {
			t.Fatal(err)
		}
		if st := readState(t, dir); st.Screen != -1 || st.Done[len(st.Done)-1] != sc.Index {
			t.Fatalf("state after EndScreen %d: %+v", sc.Index, st)
		}
		if err := r.Gaze(g.next()); !errors.Is(err, ErrNoScreen) {
			t.Fatalf("Gaze between screens: %v", err)
		}
	}
	if err := r.Close(StatusComplete); err != nil {
		t.Fatal(err)
	}
	st := readState(t, dir)
	if st.Status != StatusComplete || st.EndedWall == nil || len(st.Done) != len(plan) {
		t.Fatalf("final state %+v", st)
	}
	if err := r.Gaze(g.next()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Gaze after Close: %v", err)
	}

	header := strings.Join(egd.GazeHeader, ",") + "\n"
	var global, first int64 // index of the sample in the whole stream, of the screen's first
	// devUnits is the device time of sample c in its 1e-5 s units: relative times must be exact
	// differences of these, with no float noise.
	devUnits := func(c int64) int64 { return int64(math.Round(round5(700+float64(c)/60) * 1e5)) }
	for _, sc := range plan {
		cd := caseDir(dir, sc)
		l := layoutFor(sc)
		for _, name := range []string{GazeFile, FixationFile} {
			b, err := os.ReadFile(filepath.Join(cd, name))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(b), header) {
				t.Fatalf("%s: header %q", name, strings.SplitN(string(b), "\n", 2)[0])
			}
		}
		gaze := readRows(t, filepath.Join(cd, GazeFile))
		if len(gaze) != perScreen {
			t.Fatalf("screen %d: %d gaze rows, want %d", sc.Index, len(gaze), perScreen)
		}
		for i, row := range gaze {
			// CNT and Time restart per screen; Time stays in the device's 5 decimals.
			if row.CNT != int64(i) {
				t.Fatalf("screen %d row %d: CNT %d", sc.Index, i, row.CNT)
			}
			if i == 0 {
				first = global
			}
			if want := float64(devUnits(global)-devUnits(first)) / 1e5; row.Time != want {
				t.Fatalf("screen %d row %d: Time %v, want %v", sc.Index, i, row.Time, want)
			}
			// TIMETICK continues across screens, converted to 10 MHz. (Each screen skipped one
			// sample between screens: the ErrNoScreen probe.)
			if want := egd.Tick10MHz(5_000_000_000+global*tickFreq/60, tickFreq); row.TimeTick != want {
				t.Fatalf("screen %d row %d: TIMETICK %d, want %d", sc.Index, i, row.TimeTick, want)
			}
			global++
			if row.SessionID != "S7" || row.MediaID != sc.Index || row.DicomID != sc.DicomID {
				t.Fatalf("ids %q %d %q", row.SessionID, row.MediaID, row.DicomID)
			}
			if i == len(gaze)-1 {
				global++
			}
			x, y, _ := l.ToDICOM(row.Sample.FPOGX, row.Sample.FPOGY)
			if row.XOriginal != x || row.YOriginal != y {
				t.Fatalf("X/Y_ORIGINAL (%d,%d), want (%d,%d)", row.XOriginal, row.YOriginal, x, y)
			}
		}
		fix := readRows(t, filepath.Join(cd, FixationFile))
		if len(fix) < perScreen/12-1 {
			t.Fatalf("screen %d: %d fixation rows", sc.Index, len(fix))
		}
		for i, row := range fix {
			s := row.Sample
			if d := row.Time - (s.FPOGS + s.FPOGD); math.Abs(d) > 1e-9 {
				t.Fatalf("screen %d fixation %d: Time %v != FPOGS %v + FPOGD %v", sc.Index, i, row.Time, s.FPOGS, s.FPOGD)
			}
			if i > 0 && s.FPOGID <= fix[i-1].Sample.FPOGID {
				t.Fatalf("fixation ids not rising")
			}
			// The fixation row is the last sample of the fixation: the same CNT/Time/TIMETICK as
			// that sample's gaze row.
			gr := gaze[row.CNT]
			if gr.Time != row.Time || gr.TimeTick != row.TimeTick || gr.Sample.FPOGID != s.FPOGID {
				t.Fatalf("fixation %d does not match gaze row %d", i, row.CNT)
			}
			if x, y, _ := l.ToDICOM(s.FPOGX, s.FPOGY); row.XOriginal != x || row.YOriginal != y {
				t.Fatalf("fixation X/Y_ORIGINAL")
			}
		}
		var lj map[string]any
		b, err := os.ReadFile(filepath.Join(cd, LayoutFile))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &lj); err != nil {
			t.Fatal(err)
		}
		if lj["W"] != float64(l.W) || lj["Left"] != float64(l.Left) || lj["dicom_id"] != sc.DicomID {
			t.Fatalf("layout.json %s", b)
		}
	}

	// The journal parses line by line, in order.
	f, err := os.Open(filepath.Join(dir, EventsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var kinds []string
	var prevHost int64 = -1
	err = ReadEvents(f, EventsFile, func(line int, e Event) error {
		kinds = append(kinds, e.Kind)
		if e.HostNS < prevHost {
			return fmt.Errorf("host time goes back")
		}
		prevHost = e.HostNS
		if e.Wall.IsZero() {
			return fmt.Errorf("no wall time")
		}
		switch e.Kind {
		case "key":
			if e.Key != "space" || e.Message != "pressed" || e.Attrs["extra"] != "1" || e.Screen < 0 || e.DicomID == "" {
				return fmt.Errorf("key event %+v", e)
			}
		case EventUserData:
			if e.Message != "SYNC=1" {
				return fmt.Errorf("user_data %+v", e)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range plan {
		want = append(want, EventScreenShown, "key")
		if i == 0 {
			want = append(want, EventUserData)
		}
		want = append(want, EventScreenEnded)
	}
	want = append(want, EventClosed)
	if !slices.Equal(kinds, want) {
		t.Fatalf("events\n got %v\nwant %v", kinds, want)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".*tmp")); len(m) != 0 {
		t.Fatalf("temporary files left: %v", m)
	}
}

func TestCreateRefusesExistingSession(t *testing.T) {
	dir := t.TempDir()
	r, _ := newRecorder(t, dir, nil)
	defer r.Close(StatusEnded)
	_, err := Create(dir, Meta{SessionID: "S8"})
	if !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("second Create: %v", err)
	}
}

// Tests run as root, where a chmod 0500 folder is still writable: provoke real failures.
func TestCreateUnwritable(t *testing.T) {
	file := filepath.Join(t.TempDir(), "plain-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, dir string
		errno     error
	}{
		{"under a regular file", filepath.Join(file, "session"), syscall.ENOTDIR},
	}
	if runtime.GOOS == "linux" {
		if fi, err := os.Stat("/proc/self"); err == nil && fi.IsDir() {
			// An existing folder where no file can be created: fails at the first write.
			cases = append(cases, struct {
				name, dir string
				errno     error
			}{"procfs", "/proc/self", nil})
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := Create(c.dir, Meta{SessionID: "S1"})
			if err == nil {
				r.Close(StatusEnded)
				t.Fatal("Create succeeded")
			}
			if !strings.Contains(err.Error(), c.dir) {
				t.Fatalf("error does not name %s: %v", c.dir, err)
			}
			if c.errno != nil && !errors.Is(err, c.errno) {
				t.Fatalf("error %v, want %v", err, c.errno)
			}
			t.Log(err)
		})
	}
}

// A crash: rows up to the last Flush are on disk, whole, and parse; session.json says recording.
func TestCrashKeepsFlushedRows(t *testing.T) {
	dir := t.TempDir()
	plan := NewPlan("S7", []string{"a1", "b2"}, 1, 0)
	r, _ := newRecorder(t, dir, plan)
	var g gen
	if err := r.BeginScreen(plan[0], layoutFor(plan[0]), 0); err != nil {
		t.Fatal(err)
	}
	const flushed, pending = 90, 7
	for i := 0; i < flushed+pending; i++ {
		s := g.next()
		if err := r.Gaze(s); err != nil {
			t.Fatal(err)
		}
		if g.lastOfFixation() {
			if err := r.Fixation(s); err != nil {
				t.Fatal(err)
			}
		}
		if i == flushed-1 {
			if err := r.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The process "dies" here: no EndScreen, no Close (the files are closed only to let the
	// temporary folder go).
	t.Cleanup(func() { r.cur.gaze.f.Close(); r.cur.fix.f.Close(); r.events.Close() })

	cd := caseDir(dir, plan[0])
	if rows := readRows(t, filepath.Join(cd, GazeFile)); len(rows) != flushed {
		t.Fatalf("%d gaze rows on disk, want the %d flushed", len(rows), flushed)
	}
	if rows := readRows(t, filepath.Join(cd, FixationFile)); len(rows) != flushed/12 {
		t.Fatalf("%d fixation rows on disk, want %d", len(rows), flushed/12)
	}
	st := readState(t, dir)
	if st.Status != StatusRecording || st.Screen != 0 || len(st.Done) != 0 {
		t.Fatalf("state %+v", st)
	}
	f, _ := os.Open(filepath.Join(dir, EventsFile))
	defer f.Close()
	n := 0
	if err := ReadEvents(f, EventsFile, func(int, Event) error { n++; return nil }); err != nil || n != 1 {
		t.Fatalf("events: %d, %v", n, err)
	}
}

// Rows reach the disk within FlushEvery without an explicit Flush, and a large backlog is
// written in whole rows.
func TestAutoFlush(t *testing.T) {
	dir := t.TempDir()
	plan := NewPlan("S7", []string{"a1"}, 1, 0)
	r, clk := newRecorder(t, dir, plan)
	defer r.Close(StatusEnded)
	if err := r.BeginScreen(plan[0], layoutFor(plan[0]), 0); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(caseDir(dir, plan[0]), GazeFile)
	var g gen
	for i := 0; i < 59; i++ {
		clk.t = clk.t.Add(time.Second / 60)
		if err := r.Gaze(g.next()); err != nil {
			t.Fatal(err)
		}
	}
	if rows := readRows(t, path); len(rows) != 0 {
		t.Fatalf("%d rows on disk before a second passed", len(rows))
	}
	clk.t = clk.t.Add(time.Second / 30) // now past a second since Create
	if err := r.Gaze(g.next()); err != nil {
		t.Fatal(err)
	}
	if rows := readRows(t, path); len(rows) != 60 {
		t.Fatalf("%d rows on disk after a second, want 60", len(rows))
	}
	// Frozen clock: only the size threshold writes, and only whole rows.
	for i := 0; i < 3000; i++ {
		if err := r.Gaze(g.next()); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := os.ReadFile(path)
	if len(b) <= 60*300 || b[len(b)-1] != '\n' {
		t.Fatalf("size-triggered write: %d bytes, last %q", len(b), b[len(b)-1])
	}
	readRows(t, path)
}

func TestBeginScreenErrors(t *testing.T) {
	dir := t.TempDir()
	plan := NewPlan("S7", []string{"a1", "b2"}, 1, 0)
	r, _ := newRecorder(t, dir, plan)
	defer r.Close(StatusEnded)
	cases := []struct {
		name string
		sc   Screen
		want string
	}{
		{"not in plan", Screen{Index: 0, Kind: KindCase, DicomID: "zz"}, "zz at index 0 is not the plan's screen"},
		{"index out of plan", Screen{Index: 5, Kind: KindCase, DicomID: "a1"}, "a1 at index 5 is not the plan's screen"},
		{"bad kind", Screen{Index: 0, Kind: "rest", DicomID: "a1"}, `kind "rest", want "case" or "calibration"`},
		{"unsafe id", Screen{Index: 0, Kind: KindCase, DicomID: "../x"}, `dicom id "../x" cannot name a folder`},
	}
	// The caller names the screen (reading: "open files for screen N"): the message is the
	// step that failed and why, said once.
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := r.BeginScreen(c.sc, stage.Layout{}, 0); err == nil || err.Error() != c.want {
				t.Fatalf("error %v, want %q", err, c.want)
			}
		})
	}
	if err := r.BeginScreen(plan[0], stage.Layout{}, 0); err != nil {
		t.Fatal(err)
	}
	if err := r.BeginScreen(plan[1], stage.Layout{}, 0); err == nil || !strings.Contains(err.Error(), "still shown") {
		t.Fatalf("second BeginScreen: %v", err)
	}
	if err := r.Close("done"); err == nil {
		t.Fatal("Close accepted an unknown status")
	}
}

// A case folder that cannot be made says so once, naming the folder.
func TestBeginScreenUnwritable(t *testing.T) {
	dir := t.TempDir()
	plan := NewPlan("S7", []string{"a1"}, 1, 0)
	r, _ := newRecorder(t, dir, plan)
	defer r.Close(StatusEndedEarly)
	if err := os.WriteFile(filepath.Join(dir, CasesDir), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	want := "create cases folder: mkdir " + filepath.Join(dir, CasesDir) + ": not a directory"
	if err := r.BeginScreen(plan[0], stage.Layout{}, 0); err == nil || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}
}

// Close with a screen still shown ends it; an unknown plan (nil) accepts any screen.
func TestCloseEndsScreen(t *testing.T) {
	dir := t.TempDir()
	r, _ := newRecorder(t, dir, nil)
	sc := Screen{Index: 3, Kind: KindCase, DicomID: "x9"}
	if err := r.BeginScreen(sc, layoutFor(sc), time.Second); err != nil {
		t.Fatal(err)
	}
	var g gen
	for i := 0; i < 10; i++ {
		if err := r.Gaze(g.next()); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Finish(StatusEnded, "SIGTERM"); err != nil {
		t.Fatal(err)
	}
	st := readState(t, dir)
	if st.Status != StatusEnded || st.EndReason != "SIGTERM" || !slices.Equal(st.Done, []int{3}) || !st.Finished() {
		t.Fatalf("state %+v", st)
	}
	if rows := readRows(t, filepath.Join(caseDir(dir, sc), GazeFile)); len(rows) != 10 {
		t.Fatalf("%d rows", len(rows))
	}
}

func TestReadEventsTornLine(t *testing.T) {
	in := `{"host_ns":1,"kind":"a","screen":-1}` + "\n" + `{"host_ns":2,"kind":"b","scr`
	n := 0
	if err := ReadEvents(strings.NewReader(in), "e", func(int, Event) error { n++; return nil }); err != nil || n != 1 {
		t.Fatalf("%d events, %v", n, err)
	}
	err := ReadEvents(strings.NewReader("{}\nnot json\n"), "e.jsonl", func(int, Event) error { return nil })
	if err == nil || !strings.HasPrefix(err.Error(), "e.jsonl:2:") {
		t.Fatalf("bad line: %v", err)
	}
}

func BenchmarkGaze(b *testing.B) {
	r, err := Create(b.TempDir(), Meta{SessionID: "B"})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close(StatusComplete)
	if err := r.BeginScreen(Screen{Kind: KindCase, DicomID: "d"}, stage.Fit(2544, 3056), 0); err != nil {
		b.Fatal(err)
	}
	var g gen
	s := g.next()
	b.ReportAllocs()
	for b.Loop() {
		s.CNT++
		if err := r.Gaze(s); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func FuzzReadEvents(f *testing.F) {
	f.Add([]byte(`{"host_ns":1,"wall":"2025-03-01T09:00:00Z","kind":"a","screen":-1}` + "\n" + `{"host_ns":2,"kind":"b","scr`))
	f.Add([]byte(`{"host_ns":5,"kind":"key","screen":2,"dicom_id":"x","key":"space","attrs":{"a":"b"}}` + "\n"))
	f.Add([]byte("{}\nnot json\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := 0
		err := ReadEvents(strings.NewReader(string(data)), "fuzz.jsonl", func(line int, e Event) error {
			if line != lines+1 {
				t.Fatalf("line %d after %d", line, lines)
			}
			lines = line
			return nil
		})
		if err != nil && !strings.HasPrefix(err.Error(), "fuzz.jsonl:") {
			t.Fatalf("error does not name the file and line: %v", err)
		}
	})
}

func TestSaveCheckAppendsSyncedLines(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "s")
	r, err := Create(dir, Meta{SessionID: "s"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 2; i++ {
		if err := r.SaveCheck(CheckReport{Round: i, Validation: Validation{Verdict: "good"}}); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, ChecksFile))
	if err != nil {
		t.Fatal(err)
	}
	want := ""
	for i := 1; i <= 2; i++ {
		want += fmt.Sprintf(`{"round":%d,"validation":{"accuracy_deg":0,"precision_deg":0,"data_loss":0,"verdict":"good","points":null}}`+"\n", i)
	}
	if string(b) != want {
		t.Fatalf("calibrations.jsonl = %q", b)
	}
	if err := r.Close(StatusComplete); err != nil {
		t.Fatal(err)
	}
	if err := r.SaveCheck(CheckReport{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("after close: %v", err)
	}
}

func TestFilterFixations(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "s")
	r, err := Create(dir, Meta{SessionID: "s"})
	if err != nil {
		t.Fatal(err)
	}
	l := stage.Fit(2000, 2000)
	if err := r.BeginScreen(Screen{Index: 0, Kind: KindCase, DicomID: "abc"}, l, 0); err != nil {
		t.Fatal(err)
	}
	s := tracker.Sample{CNT: 100, Time: 10, FPOGX: 0.5, FPOGY: 0.5, FPOGS: 10.2, FPOGD: 0.3, FPOGID: 1, FPOGV: true, TickFreq: 1e7}
	if err := r.Gaze(s); err != nil {
		t.Fatal(err)
	}
	s.CNT, s.Time = 130, 10.5
	if err := r.FilterFixations("idt", "I-DT dispersion=1.00deg", []tracker.Sample{s}); err != nil {
		t.Fatal(err)
	}
	if err := r.FilterFixations("../x", "", nil); err == nil {
		t.Fatal("a filter name with a path must be refused")
	}
	caseDir := filepath.Join(dir, CasesDir, "00-abc")
	b, err := os.ReadFile(filepath.Join(caseDir, "fixations_idt.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[1], "s,0,abc,30,0.5,") {
		t.Fatalf("fixations_idt.csv:\n%s", b)
	}
	var filters map[string]string
	b, _ = os.ReadFile(filepath.Join(caseDir, FiltersFile))
	if err := json.Unmarshal(b, &filters); err != nil || filters["idt"] != "I-DT dispersion=1.00deg" || filters["device"] == "" {
		t.Fatalf("filters.json: %s (%v)", b, err)
	}
}

func TestResumeAfterCrash(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "s1")
	plan := []Screen{{0, KindCase, "a"}, {1, KindCase, "b"}, {2, KindCase, "c"}}
	r, err := Create(dir, Meta{SessionID: "s1", Plan: plan})
	if err != nil {
		t.Fatal(err)
	}
	l := stage.Fit(100, 100)
	if err := r.BeginScreen(plan[0], l, 0); err != nil {
		t.Fatal(err)
	}
	if err := r.EndScreen(1); err != nil {
		t.Fatal(err)
	}
	if err := r.BeginScreen(plan[1], l, 2); err != nil {
		t.Fatal(err)
	}
	if err := r.Gaze(tracker.Sample{CNT: 1, Time: 1}); err != nil {
		t.Fatal(err)
	}
	if err := r.Flush(); err != nil {
		t.Fatal(err)
	}
	// While the recorder lives, its session is not interrupted.
	if _, cut := Cut(dir); cut {
		t.Fatal("live session taken as interrupted")
	}
	if _, err := Resume(dir, time.Minute); !errors.Is(err, ErrLive) {
		t.Fatalf("resume of a live session: %v", err)
	}
	// A crash: the lock goes with the process, a row and an event are cut off mid-line.
	r.lock.Close()
	gaze := filepath.Join(dir, CasesDir, "01-b", GazeFile)
	appendBytes(t, gaze, "s1,1,b,7,0.1")
	appendBytes(t, filepath.Join(dir, EventsFile), `{"host_ns":5,"kin`)

	got, cut := Cut(dir)
	if !cut || got.SessionID != "s1" {
		t.Fatalf("Cut = %+v, %v", got, cut)
	}
	rem := got.Remaining()
	if len(rem) != 2 || rem[0].DicomID != "b" || rem[1].DicomID != "c" {
		t.Fatalf("remaining %v", rem)
	}
	r2, err := Resume(dir, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	kept := filepath.Join(dir, CasesDir, "01-b.interrupted-1", GazeFile)
	b, err := os.ReadFile(kept)
	if err != nil {
		t.Fatalf("interrupted case not kept: %v", err)
	}
	if !strings.HasSuffix(string(b), "\n") || strings.Contains(string(b), "s1,1,b,7,0.1") || strings.Count(string(b), "\n") != 2 {
		t.Fatalf("kept gaze file not trimmed to whole rows:\n%s", b)
	}
	if err := r2.BeginScreen(plan[1], l, 10); err != nil {
		t.Fatalf("re-read the interrupted case: %v", err)
	}
	if err := r2.Close(StatusComplete); err != nil {
		t.Fatal(err)
	}
	st, err := ReadState(dir)
	if err != nil || st.Status != StatusComplete || fmt.Sprint(st.Interrupted) != "[1]" || st.Resumed != 1 {
		t.Fatalf("state after resume: %+v %v", st, err)
	}
	f, _ := os.Open(filepath.Join(dir, EventsFile))
	defer f.Close()
	var kinds []string
	if err := ReadEvents(f, EventsFile, func(_ int, e Event) error { kinds = append(kinds, e.Kind); return nil }); err != nil {
		t.Fatalf("journal after resume does not parse: %v", err)
	}
	if !slices.Contains(kinds, EventResumed) {
		t.Fatalf("journal kinds %v lack %s", kinds, EventResumed)
	}
}

func appendBytes(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}
