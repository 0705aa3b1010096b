package replay

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"sightline/reader/egd"
	"sightline/tracker"
)

// rows makes a recording of two images at rate Hz: n rows of image A with a dropped record
// after its fifth, then n of image B, whose CNT and Time restart while TIMETICK runs on. Every
// field holds a distinct value.
func rows(n int, rate float64) []egd.RowFields {
	const dicomA, dicomB = "1a3f39ce-ebe90275-9a66145a-af03360e-ee3b163b", "calibration-1-2"
	tick0 := int64(696216388878)
	period := int64(math.Round(egd.TickHz / rate))
	var out []egd.RowFields
	k := 0
	for img, dicom := range []string{dicomA, dicomB} {
		for i := 0; i < n; i++ {
			cnt := int64(i)
			if img == 0 && i >= 5 {
				cnt++ // record 5 was dropped
				k++
			}
			f := func(scale float64) float64 { return scale * (0.123456789 + float64(k)) }
			b := func(m int) bool { return (k+m)%3 != 0 }
			out = append(out, egd.RowFields{
				SessionID: "7", MediaID: img, DicomID: dicom,
				CNT: cnt, Time: float64(cnt) / rate, TimeTick: tick0 + int64(k)*period,
				Sample: tracker.Sample{
					FPOGX: f(0.001), FPOGY: f(0.002), FPOGS: f(0.01), FPOGD: f(0.003), FPOGID: int64(k / 4), FPOGV: b(0),
					BPOGX: f(0.0011), BPOGY: f(0.0021), BPOGV: b(1),
					LPCX: f(0.004), LPCY: f(0.005), LPD: f(1.1), LPS: f(0.05), LPV: b(2),
					RPCX: f(0.006), RPCY: f(0.007), RPD: f(1.2), RPS: f(0.06), RPV: b(0),
					BKID: int64(k / 10), BKDUR: f(0.02), BKPMIN: float64(k % 30),
					LPMM: f(0.3), LPMMV: b(1), RPMM: f(0.31), RPMMV: b(2),
					SaccadeMag: f(10), SaccadeDir: f(-3), VidFrame: int64(k),
				},
				XOriginal: k * 3, YOriginal: -1,
			})
			k++
		}
	}
	return out
}

func writeCSV(t *testing.T, rs []egd.RowFields, extra ...string) string {
	t.Helper()
	b := egd.AppendHeader(nil)
	for i := range rs {
		b = egd.AppendRow(b, &rs[i])
	}
	for _, l := range extra {
		b = append(b, l...)
	}
	path := filepath.Join(t.TempDir(), "eye_gaze.csv")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// tickClock is a fake session clock that moves 1 ms at every reading.
func tickClock() func() time.Duration {
	var n atomic.Int64
	return func() time.Duration { return time.Duration(n.Add(1)) * time.Millisecond }
}

func collect(t *testing.T, r *Replay) []tracker.Sample {
	t.Helper()
	var got []tracker.Sample
	if err := r.Stream(context.Background(), func(s tracker.Sample) { got = append(got, s) }); err != nil {
		t.Fatalf("Stream: %v", err)
	}
	return got
}

func TestReplayEveryRowComesBack(t *testing.T) {
	for _, rate := range []float64{60, 150} {
		rs := rows(20, rate)
		path := writeCSV(t, rs)
		r, err := Open(path, 0, tickClock())
		if err != nil {
			t.Fatal(err)
		}
		if r.Rate() != rate || r.Name() != "replay "+path || r.Speed() != 0 {
			t.Errorf("Rate %v, Name %q, Speed %v", r.Rate(), r.Name(), r.Speed())
		}
		if err := r.Mark("start"); err != nil {
			t.Fatal(err)
		}
		if err := r.Mark("second"); err != nil {
			t.Fatal(err)
		}
		got := collect(t, r)
		if len(got) != len(rs) {
			t.Fatalf("%g Hz: %d samples, want %d", rate, len(got), len(rs))
		}
		for i, s := range got {
			want := rs[i].Sample
			want.CNT, want.Time, want.TimeTick, want.TickFreq = rs[i].CNT, rs[i].Time, rs[i].TimeTick, 10_000_000
			want.Host = time.Duration(i+1) * time.Millisecond
			if i == 5 {
				want.Lost = 1
			}
			want.User = map[int]string{0: "start", 1: "second"}[i]
			if !reflect.DeepEqual(s, want) {
				t.Fatalf("%g Hz: sample %d\n got  %+v\n want %+v", rate, i, s, want)
			}
		}
		// A second stream replays the file again from the start.
		if again := collect(t, r); len(again) != len(rs) || again[0].CNT != rs[0].CNT {
			t.Errorf("second stream: %d samples", len(again))
		}
	}
}

func TestReplayRecords(t *testing.T) {
	rs := rows(3, 60)
	r, err := Open(writeCSV(t, rs), 0, tickClock())
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	var dicoms []string
	err = r.StreamRecords(context.Background(), func(line int, g egd.GazeRecord) {
		lines = append(lines, line)
		dicoms = append(dicoms, g.DicomID)
		if g.XOriginal != rs[len(lines)-1].XOriginal || g.MediaID != rs[len(lines)-1].MediaID {
			t.Errorf("line %d: record %+v", line, g)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(lines, []int{2, 3, 4, 5, 6, 7}) || dicoms[2] == dicoms[3] || dicoms[0] != dicoms[2] {
		t.Errorf("lines %v, dicoms %v", lines, dicoms)
	}
}

func TestReplayMarkDuringStream(t *testing.T) {
	r, err := Open(writeCSV(t, rows(4, 60)), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Mark("") == nil {
		t.Error("empty mark accepted")
	}
	var users []string
	err = r.Stream(context.Background(), func(s tracker.Sample) {
		users = append(users, s.User)
		if len(users) == 2 {
			r.Mark("a")
			r.Mark("b")
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"", "", "a", "b", "", "", "", ""}; !reflect.DeepEqual(users, want) {
		t.Errorf("users %q, want %q", users, want)
	}
}

func TestReplayErrors(t *testing.T) {
	good := egd.AppendRow(nil, &rows(1, 60)[0])
	fields := strings.Split(string(good), ",")
	fields[6] = "abc" // FPOGX
	bad := strings.Join(fields, ",")
	short := "7,0,x,1,0.5\n"
	many := rows(rateProbe, 60) // the probe reads all of these, and not the line after them
	tests := []struct {
		name    string
		rows    []egd.RowFields
		extra   []string
		open    string // substring of Open's error, or "" when Open succeeds
		stream  string // substring of Stream's error
		emitted int
	}{
		{name: "malformed number", extra: []string{string(good), bad}, open: "eye_gaze.csv:3: column "},
		{name: "short row", extra: []string{string(good), string(good), short}, open: "eye_gaze.csv:4: row has 5 fields"},
		{name: "malformed after the probe", rows: many, extra: []string{bad}, stream: "eye_gaze.csv:242: column ", emitted: 2 * rateProbe},
		{name: "header only", emitted: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeCSV(t, tc.rows, tc.extra...)
			r, err := Open(path, 0, nil)
			if tc.open != "" {
				if err == nil || !strings.Contains(err.Error(), tc.open) || !strings.Contains(err.Error(), path) {
					t.Fatalf("Open: %v, want an error naming %s and %q", err, path, tc.open)
				}
				return
			}
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			n := 0
			err = r.Stream(context.Background(), func(tracker.Sample) { n++ })
			if tc.stream == "" && err != nil || tc.stream != "" && (err == nil || !strings.Contains(err.Error(), tc.stream)) {
				t.Fatalf("Stream: %v, want %q", err, tc.stream)
			}
			if n != tc.emitted {
				t.Errorf("emitted %d samples, want %d", n, tc.emitted)
			}
		})
	}

	if _, err := Open(filepath.Join(t.TempDir(), "missing.csv"), 1, nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	path := writeCSV(t, rows(2, 60))
	for _, s := range []float64{-1, math.NaN(), math.Inf(1)} {
		if _, err := Open(path, s, nil); err == nil {
			t.Errorf("speed %v accepted", s)
		}
	}
	notGaze := filepath.Join(t.TempDir(), "fixations.txt")
	if err := os.WriteFile(notGaze, []byte("a,b,c\n1,2,3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(notGaze, 0, nil); err == nil || !strings.Contains(err.Error(), notGaze+":1:") {
		t.Errorf("not a gaze file: %v", err)
	}
	if r, err := Open(writeCSV(t, nil), 0, nil); err != nil || r.Rate() != DefaultRate {
		t.Errorf("header only: rate %v, %v", r.Rate(), err)
	}
}

func TestReplayCancelWhileWaiting(t *testing.T) {
	// Rows a second apart at real time: the whole file would take 9 s.
	rs := rows(5, 60)
	for i := range rs {
		rs[i].TimeTick = int64(i) * egd.TickHz
	}
	r, err := Open(writeCSV(t, rs), 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan struct{})
	done := make(chan error)
	var n atomic.Int32
	t0 := time.Now()
	go func() {
		done <- r.Stream(ctx, func(tracker.Sample) {
			if n.Add(1) == 1 {
				close(first)
			}
		})
	}()
	<-first
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Stream after cancel: %v", err)
	}
	if n.Load() != 1 || time.Since(t0) > 900*time.Millisecond {
		t.Errorf("%d samples in %v: the wait was not cut short", n.Load(), time.Since(t0))
	}
	// Stream starts no goroutines: the count is back where it was once ours has ended.
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		runtime.Gosched()
	}
	if g := runtime.NumGoroutine(); g > before {
		t.Errorf("%d goroutines, %d before", g, before)
	}
	// A cancelled context streams nothing; the replay can stream again.
	if err := r.Stream(ctx, func(tracker.Sample) { t.Error("emitted after cancel") }); err != nil {
		t.Error(err)
	}
}

func TestReplayOneStreamAtATime(t *testing.T) {
	rs := rows(5, 60)
	for i := range rs {
		rs[i].TimeTick = int64(i) * egd.TickHz
	}
	r, err := Open(writeCSV(t, rs), 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan struct{})
	done := make(chan error)
	var once atomic.Bool
	go func() {
		done <- r.Stream(ctx, func(tracker.Sample) {
			if once.CompareAndSwap(false, true) {
				close(first)
			}
		})
	}()
	<-first
	if err := r.Stream(context.Background(), func(tracker.Sample) {}); err == nil {
		t.Error("a second concurrent Stream was accepted")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestReplayPacing(t *testing.T) {
	// Six rows 20 ms apart: 100 ms at real time, 25 ms at speed 4 (timers never fire early).
	rs := rows(3, 50)
	for _, speed := range []float64{1, 4} {
		r, err := Open(writeCSV(t, rs), speed, nil)
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Now()
		got := collect(t, r)
		want := time.Duration(float64(100*time.Millisecond) / speed)
		if el := time.Since(t0); el < want || len(got) != 6 {
			t.Errorf("speed %g: %d samples in %v, want 6 in at least %v", speed, len(got), el, want)
		}
	}
}

func TestStep(t *testing.T) {
	tests := []struct {
		name       string
		prev, next int64
		speed      float64
		want       time.Duration
	}{
		{"60 Hz step", 1000, 1000 + 166667, 1, 16666700 * time.Nanosecond},
		{"twice as fast", 0, 200000, 2, 10 * time.Millisecond},
		{"a pause between cases is cut", 0, 600 * egd.TickHz, 1, MaxPause},
		{"cut, then sped up", 0, 600 * egd.TickHz, 4, MaxPause / 4},
		{"the tick goes back", 5000, 1000, 1, 0},
		{"no step", 5000, 5000, 1, 0},
		{"an overflowing difference", math.MinInt64 + 10, math.MaxInt64 - 10, 1, MaxPause},
		{"a wrapped difference", math.MaxInt64 - 10, math.MinInt64 + 10, 1, 0},
	}
	for _, tc := range tests {
		if got := step(tc.prev, tc.next, tc.speed); got != tc.want {
			t.Errorf("%s: step = %v, want %v", tc.name, got, tc.want)
		}
	}
}
