package reading

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"sightline/reader/session"
	"sightline/reader/stage"
	"sightline/tracker"
)

// fakeTracker emits exactly the samples a test hands it, and records sync markers.
type fakeTracker struct {
	in    chan feed
	done  chan struct{} // closed when Stream returns
	mu    sync.Mutex
	marks []string
}

type feed struct {
	s   tracker.Sample
	ack chan struct{}
}

func newFakeTracker() *fakeTracker {
	return &fakeTracker{in: make(chan feed), done: make(chan struct{})}
}

func (f *fakeTracker) Name() string  { return "fake" }
func (f *fakeTracker) Rate() float64 { return 60 }
func (f *fakeTracker) Mark(l string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.marks = append(f.marks, l)
	return nil
}
func (f *fakeTracker) Stream(ctx context.Context, emit func(tracker.Sample)) error {
	defer close(f.done)
	for {
		select {
		case <-ctx.Done():
			return nil
		case x := <-f.in:
			emit(x.s)
			close(x.ack)
		}
	}
}

// send hands a sample to the stream and returns once it has been emitted.
func (f *fakeTracker) send(s tracker.Sample) {
	ack := make(chan struct{})
	select {
	case f.in <- feed{s, ack}:
		<-ack
	case <-f.done:
	}
}

// fakeRecorder logs every call as a line.
type fakeRecorder struct {
	mu      sync.Mutex
	log     []string
	fail    error
	calls   int
	changed chan struct{} // a token after each call, for waitLine
}

func (r *fakeRecorder) add(format string, a ...any) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	r.log = append(r.log, fmt.Sprintf(format, a...))
	select {
	case r.notify() <- struct{}{}:
	default:
	}
	return r.fail
}

// notify is the changed channel, made on first use; r.mu is held.
func (r *fakeRecorder) notify() chan struct{} {
	if r.changed == nil {
		r.changed = make(chan struct{}, 1)
	}
	return r.changed
}

// waitLine waits until the recorder's calls contain want.
func (r *fakeRecorder) waitLine(t *testing.T, want string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		r.mu.Lock()
		got, changed := strings.Join(r.log, "\n"), r.notify()
		r.mu.Unlock()
		if strings.Contains(got, want) {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("recorder never got %q; calls:\n%s", want, got)
		}
	}
}
func (r *fakeRecorder) BeginScreen(sc session.Screen, l stage.Layout, _ time.Duration) error {
	return r.add("begin %d %s", sc.Index, sc.DicomID)
}
func (r *fakeRecorder) Gaze(s tracker.Sample) error { return r.add("gaze %d", s.CNT) }
func (r *fakeRecorder) Fixation(s tracker.Sample) error {
	return r.add("fix %d cnt=%d", s.FPOGID, s.CNT)
}
func (r *fakeRecorder) Event(_ time.Duration, kind string, a map[string]string) error {
	if kind == "case_skipped" {
		return r.add("event %s %s", kind, a["dicom_id"])
	}
	return r.add("event %s", kind)
}
func (r *fakeRecorder) EndScreen(time.Duration) error { return r.add("end") }
func (r *fakeRecorder) Flush() error                  { return nil }
func (r *fakeRecorder) FilterFixations(name, params string, rows []tracker.Sample) error {
	return r.add("filter %s %d", name, len(rows))
}
func (r *fakeRecorder) ScreenDir() string { return "/case" }
func (r *fakeRecorder) ExtendPlan(sc []session.Screen) error {
	return r.add("extend %d", len(sc))
}
func (r *fakeRecorder) ScreenSwapped(d time.Duration) error {
	return r.add("swapped %v", d)
}
func (r *fakeRecorder) CaseQuality(q Quality) error {
	if q.SwapDelayMS != nil {
		return r.add("quality %s swap %.1f ms", q.Verdict, *q.SwapDelayMS)
	}
	return r.add("quality %s", q.Verdict)
}
func (r *fakeRecorder) SaveCheck(c CheckReport) error {
	return r.add("check %d %s", c.Round, c.Validation.Verdict)
}
func (r *fakeRecorder) Finish(status, reason string) error {
	return r.add("close %s (%s)", status, reason)
}
func (r *fakeRecorder) lines() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.log, "\n")
}

// fakeView records what the reader would have seen.
type fakeView struct {
	mu       sync.Mutex
	shown    []string
	paused   []bool
	finished chan Summary
	report   CheckReport // the last report shown
}

func newFakeView() *fakeView { return &fakeView{finished: make(chan Summary, 1)} }
func (v *fakeView) Show(f Frame) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.shown = append(v.shown, f.Screen.DicomID)
}
func (v *fakeView) Paused(on bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.paused = append(v.paused, on)
}
func (v *fakeView) Finished(s Summary) { v.finished <- s }
func (v *fakeView) Target(x, y float64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.shown = append(v.shown, fmt.Sprintf("target(%.1f,%.1f)", x, y))
}
func (v *fakeView) Check(r CheckReport) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.shown = append(v.shown, fmt.Sprintf("check%d:%s", r.Round, r.Validation.Verdict))
	v.report = r
}
func (v *fakeView) lastReport() CheckReport {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.report
}
func (v *fakeView) CannotCalibrate(string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.shown = append(v.shown, "cannot-calibrate")
}
func (v *fakeView) Offer(k []Skip) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.shown = append(v.shown, fmt.Sprintf("offer%d", len(k)))
}
func (v *fakeView) Waiting(what string) {
	if what == "" {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.shown = append(v.shown, "waiting:"+what)
}
func (v *fakeView) TrackerOptions(string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.shown = append(v.shown, "options")
}
func (v *fakeView) Prompt() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.shown = append(v.shown, "prompt")
}
func (v *fakeView) waitShown(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		v.mu.Lock()
		k := len(v.shown)
		v.mu.Unlock()
		if k >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("screen %d never shown", n)
		}
		runtime.Gosched()
	}
}

func (v *fakeView) shownList() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return strings.Join(v.shown, ",")
}

func plan() []session.Screen {
	return []session.Screen{
		{Index: 0, Kind: session.KindCase, DicomID: "a"},
		{Index: 1, Kind: session.KindCalibration, DicomID: "calibration-s-1"},
		{Index: 2, Kind: session.KindCase, DicomID: "bad"},
		{Index: 3, Kind: session.KindCase, DicomID: "c"},
	}
}

func load(_ context.Context, sc session.Screen) (Frame, error) {
	if sc.DicomID == "bad" {
		return Frame{}, errors.New("bad.dcm: truncated pixel data")
	}
	return Frame{Image: image.NewGray(image.Rect(0, 0, 4, 4)), Layout: stage.Fit(4, 4)}, nil
}

func start(t *testing.T) (*Run, *fakeTracker, *fakeRecorder, *fakeView) {
	t.Helper()
	tr, rec, view := newFakeTracker(), &fakeRecorder{}, newFakeView()
	origin := time.Now()
	r, err := Start(context.Background(), Config{
		Plan: plan(), Load: load, Recorder: rec, Tracker: tr, View: view,
		Clock: func() time.Duration { return time.Since(origin) },
		Log:   slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return r, tr, rec, view
}

func fixSample(cnt, id int64, d float64) tracker.Sample {
	return tracker.Sample{CNT: cnt, FPOGID: id, FPOGV: true, FPOGD: d, FPOGX: 0.5, FPOGY: 0.5, BPOGV: true}
}

func waitSummary(t *testing.T, v *fakeView) Summary {
	t.Helper()
	select {
	case s := <-v.finished:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("run did not finish")
		return Summary{}
	}
}

func TestRunWalksThePlan(t *testing.T) {
	before := runtime.NumGoroutine()
	r, tr, rec, view := start(t)
	tr.send(fixSample(0, 1, 0.1))
	tr.send(fixSample(1, 1, 0.2))
	tr.send(fixSample(2, 2, 0.05)) // fixation 1 ends: its last sample (CNT 1) is the row
	r.Next()                       // to the calibration screen; fixation 2 closes with the screen
	view.waitShown(t, 2)           // samples sent from here on belong to the new screen
	tr.send(fixSample(3, 3, 0.1))
	r.Next() // "bad" is skipped, "c" shown
	r.Next() // past the end
	s := waitSummary(t, view)
	<-r.Done()

	if got := view.shownList(); got != "a,calibration-s-1,c" {
		t.Errorf("shown %s, want a,calibration-s-1,c", got)
	}
	if s.Status != "complete" || s.Shown != 3 || s.Screens != 4 || len(s.Skipped) != 1 || s.Skipped[0].DicomID != "bad" {
		t.Errorf("summary %+v", s)
	}
	if s.Samples != 4 || s.Fixations != 3 {
		t.Errorf("summary counts samples %d fixations %d, want 4 and 3", s.Samples, s.Fixations)
	}
	want := []string{
		"begin 0 a", "gaze 0", "gaze 1", "gaze 2", "fix 1 cnt=1", "event key", "fix 2 cnt=2", "end",
		"begin 1 calibration-s-1", "gaze 3", "event key", "fix 3 cnt=3", "end",
		"event case_skipped bad", "begin 3 c", "event key", "end", "close complete ()",
	}
	if got := rec.lines(); got != strings.Join(want, "\n") {
		t.Errorf("recorder calls:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	tr.mu.Lock()
	marks := strings.Join(tr.marks, "|")
	tr.mu.Unlock()
	for _, w := range []string{"SCREEN 1 a HOST=", "SPACE HOST=", "SCREEN 4 c HOST="} {
		if !strings.Contains(marks, w) {
			t.Errorf("sync markers %q lack %q", marks, w)
		}
	}
	// Every goroutine the run started has ended.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		runtime.Gosched()
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines left running (had %d)", n, before)
	}
}

func TestPauseAndEndEarly(t *testing.T) {
	r, tr, rec, view := start(t)
	r.Pause()
	r.Next() // ignored while paused
	tr.send(fixSample(0, 1, 0.1))
	r.Resume()
	r.End()
	s := waitSummary(t, view)
	if s.Status != "ended" || s.Reason != "ended at the station" || s.Shown != 1 {
		t.Errorf("summary %+v", s)
	}
	view.mu.Lock()
	paused := fmt.Sprint(view.paused)
	view.mu.Unlock()
	if paused != "[true false]" {
		t.Errorf("pause overlay states %s", paused)
	}
	if got := rec.lines(); !strings.Contains(got, "event paused") || !strings.Contains(got, "event resumed") ||
		!strings.HasSuffix(got, "end\nclose ended (ended at the station)") || strings.Count(got, "begin") != 1 {
		t.Errorf("recorder calls:\n%s", got)
	}
}

func TestRecordingFailureEndsTheSession(t *testing.T) {
	r, tr, rec, view := start(t)
	// The first screen opens on the run's goroutine: fail only the writes after it.
	rec.waitLine(t, "begin 0 a")
	rec.mu.Lock()
	rec.fail = errors.New("disk full")
	rec.mu.Unlock()
	tr.send(fixSample(0, 1, 0.1))
	s := waitSummary(t, view)
	<-r.Done()
	if s.Err == nil || !strings.Contains(s.Err.Error(), "disk full") || s.Status != "ended" ||
		!strings.HasPrefix(s.Reason, "recording failed: ") {
		t.Fatalf("summary %+v", s)
	}
	// The summary says "Recording stopped: " and then the step, once: no package names.
	if got := s.Err.Error(); got != "record gaze sample: disk full" && got != "record fixation: disk full" {
		t.Errorf("the summary's reason is %q", got)
	}
}

func TestNothingDecodable(t *testing.T) {
	_, err := Start(context.Background(), Config{
		Plan:     []session.Screen{{Kind: session.KindCase, DicomID: "bad"}},
		Load:     load,
		Recorder: &fakeRecorder{}, Tracker: newFakeTracker(), View: newFakeView(),
		Clock: func() time.Duration { return 0 },
	})
	if err == nil || !strings.Contains(err.Error(), "bad.dcm: truncated pixel data") {
		t.Fatalf("err = %v", err)
	}
}

func TestFiltersRunOnEachCase(t *testing.T) {
	tr, rec, view := newFakeTracker(), &fakeRecorder{}, newFakeView()
	var seen []int
	r, err := Start(context.Background(), Config{
		Plan: plan(), Load: load, Recorder: rec, Tracker: tr, View: view,
		Clock: func() time.Duration { return 0 },
		Log:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		Filters: []Filter{{Name: "half", Params: "one fixation per two samples",
			Detect: func(s []tracker.Sample) []tracker.Fixation {
				seen = append(seen, len(s))
				return make([]tracker.Fixation, len(s)/2)
			}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := int64(0); i < 4; i++ {
		tr.send(fixSample(i, 1, 0.1))
	}
	r.Next()
	view.waitShown(t, 2)
	tr.send(fixSample(4, 2, 0.1))
	r.End()
	waitSummary(t, view)
	if fmt.Sprint(seen) != "[4 1]" {
		t.Errorf("filter saw %v samples per screen, want [4 1]", seen)
	}
	l := rec.lines()
	if !strings.Contains(l, "filter half 2\nend") || !strings.Contains(l, "filter half 0\nend") {
		t.Errorf("recorder calls:\n%s", l)
	}
}

func TestStatsAndMarkForReread(t *testing.T) {
	r, tr, rec, view := start(t)
	for i := int64(0); i < 3; i++ {
		s := fixSample(i, 1, 0.1)
		s.Lost = i // 0+1+2 records lost before these
		s.Resumed = i == 2
		tr.send(s)
	}
	r.MarkForReread()
	r.Pause()
	deadline := time.Now().Add(5 * time.Second)
	var st Stats
	for {
		st = r.Stats()
		if st.Phase == "paused" && len(st.Marked) == 1 && st.Samples == 3 || time.Now().After(deadline) {
			break
		}
		runtime.Gosched()
	}
	if st.Phase != "paused" || st.Samples != 3 || st.Lost != 3 || st.Index != 0 || st.Total != 4 ||
		st.Screen.DicomID != "a" || st.Image == nil || fmt.Sprint(st.Marked) != "[a]" {
		t.Fatalf("stats %+v", st)
	}
	r.End()
	if s := waitSummary(t, view); fmt.Sprint(s.Marked) != "[a]" {
		t.Fatalf("summary marked %v", s.Marked)
	}
	// The gaps are journalled where they fell: two CNT jumps, one reconnect.
	if l := rec.lines(); strings.Count(l, "event records_lost") != 2 || strings.Count(l, "event tracker_resumed") != 1 {
		t.Fatalf("recorder calls:\n%s", l)
	}
}

func TestRereadOfferedAtTheEnd(t *testing.T) {
	tr, rec, view := newFakeTracker(), &fakeRecorder{}, newFakeView()
	r, err := Start(context.Background(), Config{
		Plan: plan(), Load: load, Recorder: rec, Tracker: tr, View: view,
		Clock: func() time.Duration { return 0 },
		Log:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		// A case with no gaze at all fails.
		Gate: func(segs [][]tracker.Sample, _ time.Duration) Quality {
			var s []tracker.Sample
			for _, g := range segs {
				s = append(s, g...)
			}
			if len(s) == 0 {
				return Quality{Verdict: "fail", Reasons: []string{"no gaze"}}
			}
			return Quality{Verdict: "pass"}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	r.Next() // a: no gaze → fails the gate
	view.waitShown(t, 2)
	r.Next() // calibration screen → c
	view.waitShown(t, 3)
	tr.send(fixSample(0, 1, 0.1))
	r.Next() // past the end: the offer
	view.waitShown(t, 4)
	r.Accept() // re-read a
	view.waitShown(t, 5)
	tr.send(fixSample(1, 2, 0.1))
	r.Next() // a passes now: no second offer
	s := waitSummary(t, view)
	if got := view.shownList(); got != "a,calibration-s-1,c,offer1,a" {
		t.Errorf("shown %s", got)
	}
	if s.Status != "complete" || s.Reread != 1 || s.Screens != 5 || len(s.Failed) != 1 {
		t.Errorf("summary %+v", s)
	}
	if got := r.Stats().Reread; len(got) != 1 || got[0] != "a" {
		t.Errorf("the console is told %v were re-read, want [a]", got)
	}
	if l := rec.lines(); !strings.Contains(l, "quality fail") || !strings.Contains(l, "extend 1\nbegin 4 a") {
		t.Errorf("recorder calls:\n%s", l)
	}
}

type fakeAudio struct {
	mu    sync.Mutex
	calls []string
}

func (a *fakeAudio) Begin(dir string, _ time.Duration) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls = append(a.calls, "begin "+dir)
	return nil
}

func (a *fakeAudio) End(time.Duration) (AudioCheck, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls = append(a.calls, "end")
	return AudioCheck{Seconds: 2, PeakDB: -70}, nil
}

func TestAudioPerCase(t *testing.T) {
	tr, rec, view := newFakeTracker(), &fakeRecorder{}, newFakeView()
	au := &fakeAudio{}
	var gated []Quality
	r, err := Start(context.Background(), Config{
		Plan: plan(), Load: load, Recorder: rec, Tracker: tr, View: view,
		Clock: func() time.Duration { return 0 },
		Log:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		Gate:  func([][]tracker.Sample, time.Duration) Quality { return Quality{Verdict: "pass"} },
		Audio: au,
		AudioGate: func(q *Quality, a AudioCheck) {
			if a.PeakDB < -50 {
				q.Verdict = "warn"
				q.Reasons = append(q.Reasons, "audio silent")
			}
			gated = append(gated, *q)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	r.Next() // a → calibration screen (no audio there)
	view.waitShown(t, 2)
	r.Next() // → c
	view.waitShown(t, 3)
	r.End()
	waitSummary(t, view)
	au.mu.Lock()
	calls := strings.Join(au.calls, ",")
	au.mu.Unlock()
	if calls != "begin /case,end,begin /case,end" {
		t.Errorf("audio calls %s: want one recording per case, none on the calibration screen", calls)
	}
	if len(gated) != 2 || gated[0].Verdict != "warn" || gated[0].Audio == nil || gated[0].Audio.Seconds != 2 {
		t.Errorf("quality with audio: %+v", gated)
	}
}

// fullRecorder is a recorder whose disk fills: once full is set, gaze rows fail with ENOSPC
// (the recorder frees its reserve then, so the closing writes succeed).
type fullRecorder struct {
	*fakeRecorder
	full atomic.Bool
}

func (r *fullRecorder) Gaze(s tracker.Sample) error {
	if r.full.Load() {
		return fmt.Errorf("write eye_gaze.csv row: %w", &os.PathError{Op: "write", Path: "eye_gaze.csv", Err: syscall.ENOSPC})
	}
	return r.fakeRecorder.Gaze(s)
}

// TestDiskFullClosesTheCase: a full disk ends the session as "disk full", and the open case is
// closed first (its quality written, its files ended), not left as a crash would leave it.
func TestDiskFullClosesTheCase(t *testing.T) {
	tr, rec, view := newFakeTracker(), &fullRecorder{fakeRecorder: &fakeRecorder{}}, newFakeView()
	origin := time.Now()
	r, err := Start(context.Background(), Config{
		Plan: plan(), Load: load, Recorder: rec, Tracker: tr, View: view,
		Gate:  func([][]tracker.Sample, time.Duration) Quality { return Quality{Verdict: "pass"} },
		Clock: func() time.Duration { return time.Since(origin) },
		Log:   slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	rec.waitLine(t, "begin 0 a")
	tr.send(fixSample(0, 1, 0.1))
	rec.waitLine(t, "gaze 0")
	rec.full.Store(true)
	tr.send(fixSample(1, 1, 0.1))
	s := waitSummary(t, view)
	<-r.Done()
	if s.Status != "ended" || s.Reason != ReasonDiskFull {
		t.Errorf("summary: status %q, reason %q; want ended, disk full", s.Status, s.Reason)
	}
	l := rec.lines()
	q, end, closed := strings.Index(l, "quality fail"), strings.LastIndex(l, "\nend"), strings.Index(l, "close ended (disk full)")
	if q < 0 || end < q || closed < end {
		t.Errorf("the case was not closed (quality, end) before the session ended as disk full:\n%s", l)
	}
}
