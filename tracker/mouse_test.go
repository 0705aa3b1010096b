package tracker

import (
	"context"
	"math"
	"runtime"
	"sync"
	"testing"
	"time"
)

// drive feeds the mouse host times k·period + origin for k in [from, to), calling at(k) first.
func drive(m *Mouse, origin time.Duration, from, to int, at func(k int)) []Sample {
	period := time.Duration(float64(time.Second) / m.Rate())
	var out []Sample
	for k := from; k < to; k++ {
		if at != nil {
			at(k)
		}
		out = append(out, m.next(origin+time.Duration(k)*period))
	}
	return out
}

func TestMouseFixationRecord(t *testing.T) {
	for _, rate := range []float64{60, 150} {
		m := NewMouse(rate, nil)
		const origin = 3 * time.Second // the session clock started before the stream
		a := [2]float64{0.30, 0.40}
		b := [2]float64{0.70, 0.60} // about 18° from a
		m.SetPointer(a[0], a[1], true)
		n := int(0.6 * rate)
		moveAt := int(0.3 * rate) // still for 300 ms, then moved
		samples := drive(m, origin, 0, n, func(k int) {
			if k == moveAt {
				m.SetPointer(b[0], b[1], true)
			}
		})

		var ids []int64
		lastOf := map[int64]Sample{}
		for k, s := range samples {
			if s.CNT != int64(k) {
				t.Fatalf("%g Hz: sample %d has CNT %d", rate, k, s.CNT)
			}
			host := origin + time.Duration(k)*time.Duration(float64(time.Second)/rate)
			if s.Host != host || s.Time != (host-origin).Seconds() || s.TimeTick != int64(host/100) || s.TickFreq != 10_000_000 {
				t.Fatalf("%g Hz: sample %d clocks Host=%v Time=%v Tick=%d/%d", rate, k, s.Host, s.Time, s.TimeTick, s.TickFreq)
			}
			p := a
			if k >= moveAt {
				p = b
			}
			if !s.BPOGV || s.BPOGX != p[0] || s.BPOGY != p[1] || s.CX != p[0] || s.CY != p[1] {
				t.Fatalf("%g Hz: sample %d gaze (%v,%v,%v) cursor (%v,%v), pointer at %v", rate, k, s.BPOGX, s.BPOGY, s.BPOGV, s.CX, s.CY, p)
			}
			if !s.FPOGV {
				continue
			}
			if len(ids) == 0 || ids[len(ids)-1] != s.FPOGID {
				ids = append(ids, s.FPOGID)
			} else if prev := lastOf[s.FPOGID]; s.FPOGD <= prev.FPOGD || s.FPOGS != prev.FPOGS {
				t.Fatalf("%g Hz: sample %d: fixation %d did not grow: FPOGS %v→%v FPOGD %v→%v", rate, k, s.FPOGID, prev.FPOGS, s.FPOGS, prev.FPOGD, s.FPOGD)
			}
			lastOf[s.FPOGID] = s
		}
		if len(ids) != 2 || ids[0] != 1 || ids[1] != 2 {
			t.Fatalf("%g Hz: valid fixation ids %v, want [1 2]", rate, ids)
		}
		for id, want := range map[int64][2]float64{1: a, 2: b} {
			s := lastOf[id]
			if math.Abs(s.Time-(s.FPOGS+s.FPOGD)) > 1e-12 {
				t.Errorf("%g Hz: last sample of fixation %d: Time %v, FPOGS+FPOGD %v", rate, id, s.Time, s.FPOGS+s.FPOGD)
			}
			if math.Abs(s.FPOGX-want[0]) > 1e-12 || math.Abs(s.FPOGY-want[1]) > 1e-12 {
				t.Errorf("%g Hz: fixation %d at (%v,%v), want %v", rate, id, s.FPOGX, s.FPOGY, want)
			}
		}
		// Fixation 1 ran from the first sample to the one before the move.
		if s := lastOf[1]; s.FPOGS != 0 || s.CNT != int64(moveAt-1) {
			t.Errorf("%g Hz: fixation 1 starts at %v and ends on CNT %d, want 0 and %d", rate, s.FPOGS, s.CNT, moveAt-1)
		}
		// The saccade between them, as EGD-CXR reports it: 0 on the first fixation.
		wantMag, wantDir := SaccadeVector(a[0], a[1], b[0], b[1])
		if s := lastOf[1]; s.SaccadeMag != 0 || s.SaccadeDir != 0 {
			t.Errorf("%g Hz: first fixation has saccade (%v, %v)", rate, s.SaccadeMag, s.SaccadeDir)
		}
		if s := lastOf[2]; math.Abs(s.SaccadeMag-wantMag) > 1e-9 || math.Abs(s.SaccadeDir-wantDir) > 1e-9 {
			t.Errorf("%g Hz: second fixation has saccade (%v, %v), want (%v, %v)", rate, s.SaccadeMag, s.SaccadeDir, wantMag, wantDir)
		}
		// The FPOG record is the batch I-DT's view of the same samples.
		batch := DetectIDT(samples, m.FixationFilter())
		if len(batch) != 2 {
			t.Fatalf("%g Hz: batch I-DT over the mouse samples finds %d fixations", rate, len(batch))
		}
		if r, s := batch[0].Row(), lastOf[1]; r.FPOGID != s.FPOGID || r.FPOGS != s.FPOGS || r.FPOGD != s.FPOGD || r.CNT != s.CNT {
			t.Errorf("%g Hz: batch fixation 1 row %+v differs from the live record %+v", rate, r, s)
		}
	}
}

func TestMouseSampleFields(t *testing.T) {
	tests := []struct {
		name   string
		x, y   float64
		inside bool
	}{
		{"centre", 0.5, 0.5, true},
		{"corner", 0.02, 0.97, true},
		{"off the stage", 1.2, 0.5, false},
		{"NaN pointer", math.NaN(), 0.5, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := NewMouse(0, nil)
			if m.Rate() != DefaultMouseRate || m.Name() != "mouse" {
				t.Fatalf("NewMouse(0) = %s at %v Hz", m.Name(), m.Rate())
			}
			m.SetPointer(tc.x, tc.y, tc.inside)
			samples := drive(m, 0, 0, 30, nil) // half a second
			valid := tc.inside && !math.IsNaN(tc.x)
			for _, s := range samples {
				flags := []bool{s.BPOGV, s.LPOGV, s.RPOGV, s.LPV, s.RPV, s.LPMMV, s.RPMMV}
				for i, f := range flags {
					if f != valid {
						t.Fatalf("CNT %d: validity flag %d is %v, want %v", s.CNT, i, f, valid)
					}
				}
				if s.BKID != 0 || s.BKDUR != 0 || s.BKPMIN != 0 || s.VidFrame != 0 || s.CS != 0 {
					t.Fatalf("CNT %d: blink/video/button fields set: %+v", s.CNT, s)
				}
				if !valid {
					if s.FPOGV || s.BPOGX != 0 || s.LPMM != 0 {
						t.Fatalf("CNT %d: track loss carries gaze or pupil: %+v", s.CNT, s)
					}
					if tc.inside == false && (s.CX != tc.x || s.CY != tc.y) {
						t.Fatalf("CNT %d: cursor (%v,%v), want the pointer", s.CNT, s.CX, s.CY)
					}
					continue
				}
				l := math.Hypot(s.LPOGX-s.BPOGX, s.LPOGY-s.BPOGY)
				r := math.Hypot(s.RPOGX-s.BPOGX, s.RPOGY-s.BPOGY)
				if l == 0 || r == 0 || l > 0.02 || r > 0.02 || s.LPOGX == s.RPOGX {
					t.Fatalf("CNT %d: eyes not slightly apart: L(%v,%v) R(%v,%v) B(%v,%v)", s.CNT, s.LPOGX, s.LPOGY, s.RPOGX, s.RPOGY, s.BPOGX, s.BPOGY)
				}
				for _, mm := range []float64{s.LPMM, s.RPMM} {
					if mm < 3.2 || mm > 3.8 {
						t.Fatalf("CNT %d: pupil %v mm", s.CNT, mm)
					}
				}
				for _, v := range []float64{s.LPCX, s.LPCY, s.RPCX, s.RPCY} {
					if v <= 0 || v >= 1 {
						t.Fatalf("CNT %d: pupil centre %v outside the camera image", s.CNT, v)
					}
				}
				if s.LPD < 10 || s.LPD > 30 || s.LPS <= 0 || s.RPD < 10 || s.RPD > 30 || s.RPS <= 0 {
					t.Fatalf("CNT %d: pupil sizes LPD %v LPS %v RPD %v RPS %v", s.CNT, s.LPD, s.LPS, s.RPD, s.RPS)
				}
			}
			if valid && !samples[len(samples)-1].FPOGV {
				t.Fatal("no fixation after half a second of a still pointer")
			}
		})
	}
}

func TestMouseLeavingStageEndsFixation(t *testing.T) {
	m := NewMouse(60, nil)
	m.SetPointer(0.5, 0.5, true)
	in := drive(m, 0, 0, 20, nil)
	out := drive(m, 0, 20, 40, func(k int) {
		if k == 20 {
			m.SetPointer(-0.1, 0.5, false)
		}
	})
	if !in[len(in)-1].FPOGV || in[len(in)-1].FPOGID != 1 {
		t.Fatalf("no fixation 1 before leaving: %+v", in[len(in)-1])
	}
	for _, s := range out {
		if s.FPOGV || s.BPOGV {
			t.Fatalf("CNT %d: valid while off the stage", s.CNT)
		}
	}
	// Within MaxGap the record still names fixation 1; after it, the next one.
	if got := out[len(out)-1].FPOGID; got != 2 {
		t.Errorf("FPOGID %d long after leaving, want 2", got)
	}
	if got := out[0].FPOGID; got != 1 {
		t.Errorf("FPOGID %d just after leaving, want 1", got)
	}
}

func TestMouseMark(t *testing.T) {
	m := NewMouse(60, nil)
	m.SetPointer(0.5, 0.5, true)
	if err := m.Mark(""); err == nil {
		t.Error("Mark(\"\") accepted an empty label")
	}
	steps := []struct {
		marks []string
		want  string
	}{
		{nil, ""},
		{[]string{"case 1 shown"}, "case 1 shown"},
		{nil, ""},
		{[]string{"B", "C"}, "B"},
		{nil, "C"},
		{nil, ""},
	}
	for i, st := range steps {
		for _, l := range st.marks {
			if err := m.Mark(l); err != nil {
				t.Fatal(err)
			}
		}
		if s := m.next(time.Duration(i) * time.Second / 60); s.User != st.want {
			t.Errorf("sample %d: User %q, want %q", i, s.User, st.want)
		}
	}
}

// stepClock is a fake session clock that advances by step at every reading.
type stepClock struct {
	mu   sync.Mutex
	now  time.Duration
	step time.Duration
}

func (c *stepClock) read() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now += c.step
	return c.now
}

func TestMouseStream(t *testing.T) {
	before := runtime.NumGoroutine()
	m := NewMouse(500, nil)
	m.SetPointer(0.4, 0.6, true)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const want = 25
	var got []Sample
	done := make(chan error, 1)
	go func() {
		done <- m.Stream(ctx, func(s Sample) {
			got = append(got, s)
			if len(got) == want {
				cancel()
			}
		})
	}()
	// Move the pointer and mark from another goroutine while it streams (for -race).
	if err := m.Mark("sync"); err != nil {
		t.Fatal(err)
	}
	for i := 0; ctx.Err() == nil; i++ {
		m.SetPointer(0.4+float64(i%10)*1e-4, 0.6, i%50 != 49)
		runtime.Gosched()
	}
	if err := <-done; err != nil {
		t.Fatalf("Stream returned %v after cancellation, want nil", err)
	}
	if len(got) < want {
		t.Fatalf("%d samples before cancellation, want %d", len(got), want)
	}
	marks := 0
	for i, s := range got {
		if s.CNT != int64(i) {
			t.Fatalf("sample %d has CNT %d", i, s.CNT)
		}
		if i > 0 && (s.Time < got[i-1].Time || s.Host < got[i-1].Host || s.TimeTick < got[i-1].TimeTick) {
			t.Fatalf("sample %d goes back in time", i)
		}
		if s.User == "sync" {
			marks++
		}
	}
	if marks != 1 {
		t.Errorf("mark on %d samples, want 1", marks)
	}
	// Stream leaves nothing behind (bounded poll: the test goroutine above has to exit).
	for i := 0; i < 500 && runtime.NumGoroutine() > before; i++ {
		time.Sleep(time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after Stream, %d before", n, before)
	}
}

func TestMouseStreamCancelledAndBusy(t *testing.T) {
	m := NewMouse(1000, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	emitted := 0
	if err := m.Stream(ctx, func(Sample) { emitted++ }); err != nil || emitted != 0 {
		t.Fatalf("Stream on a cancelled context: err %v, %d samples", err, emitted)
	}

	// A second Stream while one runs is refused.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		var once sync.Once
		done <- m.Stream(ctx, func(Sample) { once.Do(func() { close(started) }) })
	}()
	<-started
	if err := m.Stream(ctx, func(Sample) {}); err == nil {
		t.Error("a second concurrent Stream was accepted")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestMouseStreamCountsMissedTicks(t *testing.T) {
	// The session clock jumps five periods per sample, as if emit were that slow: CNT stays
	// continuous, Time follows the clock, and the missed ticks are counted.
	const rate = 1000
	period := time.Second / rate
	clk := &stepClock{step: 5 * period}
	m := NewMouse(rate, clk.read)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got []Sample
	err := m.Stream(ctx, func(s Sample) {
		got = append(got, s)
		if len(got) == 10 {
			cancel()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range got {
		if s.CNT != int64(i) || math.Abs(s.Time-float64(i+1)*(5*period).Seconds()) > 1e-12 {
			t.Fatalf("sample %d: CNT %d Time %v", i, s.CNT, s.Time)
		}
	}
	if got := m.Missed(); got != 4*10 {
		t.Errorf("Missed() = %d, want 40", got)
	}
}
