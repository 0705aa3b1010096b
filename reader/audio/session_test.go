package audio

import (
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"sightline/reader/audio/pulsetest"
	"sightline/reader/reading"
)

// TestMicrophoneRemovedMidCase records a case from a real PulseAudio source and removes the
// source mid-case. The journal hears of it as it happens (the rig's faults), and the case's
// audio fails the gate. Before, a 5 s case whose source went 1.5 s in gave a 1.5 s WAV, no
// event and a pass.
func TestMicrophoneRemovedMidCase(t *testing.T) {
	srv := pulsetest.Start(t)
	start := time.Now()
	clock := func() time.Duration { return time.Since(start) }
	rig, err := StartSession("Monitor of Doomed", "pulse", clock)
	if err != nil {
		t.Fatal(err)
	}
	defer rig.Close()
	dir := t.TempDir()
	if err := rig.Begin(dir, clock()); err != nil {
		t.Fatal(err)
	}
	// Some audio first: the device is running when its source goes.
	deadline := time.Now().Add(10 * time.Second)
	for rig.cap.Frames() < 4800 {
		if time.Now().After(deadline) {
			t.Fatal("no audio from the private PulseAudio server within 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	srv.RemoveDoomed()
	select {
	case f := <-rig.faults:
		if f.Kind != "audio_lost" || !strings.Contains(f.Err, "removed") {
			t.Errorf("fault %+v, want audio_lost naming the removal", f)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("removing the source was not reported within 10 s")
	}
	if s := rig.Status(); !strings.Contains(s.Err, "removed") {
		t.Errorf("the console's audio line is %+v, want the removal", s)
	}
	chk, err := rig.End(clock())
	if err == nil {
		t.Fatal("End: no error for a case whose source was removed")
	}
	chk.Err = err.Error() // as the run does
	if chk.ScreenSeconds <= chk.Seconds {
		t.Errorf("audio %.2f s of %.2f s on screen", chk.Seconds, chk.ScreenSeconds)
	}
	q := reading.Quality{Verdict: "pass"}
	reading.AudioGate(&q, chk)
	if q.Verdict != "fail" {
		t.Errorf("the case's audio verdict is %s %q, want fail", q.Verdict, q.Reasons)
	}
	// Capture is over: the next case says so at its start rather than record nothing.
	if err := rig.Begin(t.TempDir(), clock()); err == nil || !strings.Contains(err.Error(), "removed") {
		t.Errorf("Begin after the source went: %v", err)
	}
}

// TestRigSilence: the rig tells the console how long the case has been silent (a loud block
// starts the count again) and marks a case with nothing above the threshold as silent.
func TestRigSilence(t *testing.T) {
	var now atomic.Int64
	clock := func() time.Duration { return time.Duration(now.Load()) }
	rig, err := StartSession("", "null", clock)
	if err != nil {
		t.Fatal(err)
	}
	defer rig.Close()
	// The blocks are the test's: the device's own would interleave with them.
	_ = rig.cap.Stop()
	rig.route = NewRouter(rig.cap.Rate(), rig.cap.Channels())
	at := func(d time.Duration) { now.Store(int64(d)) }
	if err := rig.Begin(t.TempDir(), clock()); err != nil {
		t.Fatal(err)
	}
	at(6 * time.Second)
	if s := rig.Status(); s.Silent != 6*time.Second {
		t.Errorf("silent for %v after 6 s with nothing heard", s.Silent)
	}
	loud := make([]int16, 480)
	loud[100] = 3000 // −21 dBFS peak
	rig.onBlock(Block{Host: 4 * time.Second, Frame: 0, PCM: loud})
	if s := rig.Status(); s.Silent != 2*time.Second {
		t.Errorf("silent for %v, 2 s after a loud block", s.Silent)
	}
	chk, err := rig.End(clock())
	if err != nil {
		t.Fatal(err)
	}
	if chk.Silent || chk.PeakDB < -22 {
		t.Errorf("a case with a loud block: %+v", chk)
	}
	// Its audio stopped 2 s before its end: the console says so, and the gate fails it.
	if s := rig.Status(); !strings.Contains(s.Clock, "ms of audio lost") || chk.GapMS < 1900 {
		t.Errorf("console %q, gap %.1f ms: want the 2 s never delivered shown", s.Clock, chk.GapMS)
	}
	q := reading.Quality{Verdict: "pass"}
	if reading.AudioGate(&q, chk); q.Verdict != "fail" {
		t.Errorf("a case that lost %.0f ms of audio: %s %q", chk.GapMS, q.Verdict, q.Reasons)
	}
	if err := rig.Begin(t.TempDir(), clock()); err != nil {
		t.Fatal(err)
	}
	// The clock the first block set puts 6 s at frame 96000.
	rig.onBlock(Block{Host: clock(), Frame: 96000, PCM: make([]int16, 480)})
	at(6*time.Second + 10*time.Millisecond)
	if chk, err := rig.End(clock()); err != nil || !chk.Silent {
		t.Errorf("a case of digital silence: %+v, %v; want silent", chk, err)
	}
}

// TestEndWhilePausedLosesNothing: a session ended on the pause card ends the case with its
// pause open, or just taken back (the run takes the case back, then ends it, before any block
// reaches it). The pause's frames are in the pause's own recording, so the case lost none;
// they were counted as lost (lost_frames: the whole pause, 13 s and 3 s in two walks) and the
// gate failed the case. A loss before the pause is still counted.
func TestEndWhilePausedLosesNothing(t *testing.T) {
	const s = time.Second
	for _, tc := range []struct {
		name       string
		caseUntil  time.Duration // blocks delivered to the case up to here (the pause at 2 s)
		back       bool          // the pause taken back at 5 s before the end
		afterBack  time.Duration // blocks after the resume, up to here (0: none)
		end        time.Duration
		wantLostMS float64
		wantSecs   float64
	}{
		{name: "ended with the pause open", caseUntil: 2 * s, end: 5 * s, wantSecs: 2},
		{name: "taken back, then ended", caseUntil: 2 * s, back: true, end: 5 * s, wantSecs: 2},
		{name: "resumed and read on", caseUntil: 2 * s, back: true, afterBack: 6 * s, end: 6 * s, wantSecs: 3},
		{name: "a loss before the pause", caseUntil: 1500 * time.Millisecond, back: true, end: 5 * s, wantLostMS: 500, wantSecs: 1.5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var now atomic.Int64
			clock := func() time.Duration { return time.Duration(now.Load()) }
			rig, err := StartSession("", "null", clock)
			if err != nil {
				t.Fatal(err)
			}
			defer rig.Close()
			_ = rig.cap.Stop() // the blocks are the test's
			rig.route = NewRouter(rig.cap.Rate(), rig.cap.Channels())
			const step = 10 * time.Millisecond
			deliver := func(from, to time.Duration) {
				for h := from; h < to; h += step {
					pcm := make([]int16, 480)
					pcm[100] = 3000 // dictation, not silence
					rig.onBlock(Block{Host: h, Frame: int64(h / time.Millisecond * 48), PCM: pcm})
				}
				now.Store(int64(to))
			}
			if err := rig.Begin(t.TempDir(), 0); err != nil {
				t.Fatal(err)
			}
			deliver(0, tc.caseUntil)
			if err := rig.Aside(t.TempDir(), 2*s); err != nil {
				t.Fatal(err)
			}
			deliver(max(tc.caseUntil, 2*s), 5*s)
			if tc.back {
				if err := rig.Back(5 * s); err != nil {
					t.Fatal(err)
				}
			}
			if tc.afterBack > 0 {
				deliver(5*s, tc.afterBack)
			}
			chk, err := rig.End(tc.end)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(chk.GapMS-tc.wantLostMS) > 0.01 {
				t.Errorf("the case lost %.1f ms of audio, want %.1f: the pause's 3 s are in its own recording", chk.GapMS, tc.wantLostMS)
			}
			if math.Abs(chk.Seconds-tc.wantSecs) > 1e-9 {
				t.Errorf("case audio %.3f s, want %.3f", chk.Seconds, tc.wantSecs)
			}
			q := reading.Quality{Verdict: "pass"}
			if reading.AudioGate(&q, chk); (q.Verdict == "fail") != (tc.wantLostMS > 20) {
				t.Errorf("the gate: %s %q with %.1f ms lost", q.Verdict, q.Reasons, chk.GapMS)
			}
		})
	}
}
