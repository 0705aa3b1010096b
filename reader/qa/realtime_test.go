package qa_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"sightline/reader/audio/pulsetest"
	"sightline/reader/playback"
	"sightline/reader/qa"
	"sightline/reader/qa/qatest"
)

// ramp is n frames of a sawtooth that never falls silent: silence in the sink's monitor is a
// stretch the sink had nothing to play.
func ramp(n int) []int16 {
	pcm := make([]int16, n)
	for i := range pcm {
		pcm[i] = int16(2000 + (i%4000)*6)
	}
	return pcm
}

// lsSlope is the least-squares slope of y over x.
func lsSlope(x, y []float64) float64 {
	var mx, my float64
	for i := range x {
		mx, my = mx+x[i], my+y[i]
	}
	mx, my = mx/float64(len(x)), my/float64(len(y))
	var sxy, sxx float64
	for i := range x {
		sxy += (x[i] - mx) * (y[i] - my)
		sxx += (x[i] - mx) * (x[i] - mx)
	}
	return sxy / sxx
}

// sound finds the played sound in a monitor recording: its first and last frames, the longest
// run of silence between them and all its silent frames.
func sound(rec []int16) (first, last, longestGap, gapFrames, gapAt int) {
	first, last = -1, -1
	run := 0
	for i, v := range rec {
		if v > 1000 || v < -1000 {
			if first >= 0 && run > 0 {
				if run > longestGap {
					longestGap, gapAt = run, i-run-first
				}
				gapFrames += run
			}
			if first < 0 {
				first = i
			}
			last, run = i, 0
		} else if first >= 0 {
			run++
		}
	}
	return first, last, longestGap, gapFrames, gapAt
}

// realTime is one replay at one speed, measured.
type realTime struct {
	speed float64
	// PlayerRate is the player's clock (its play head, which the view draws) in seconds of
	// the recording per second of the test's clock, over the speed; SinkRate is the sink's
	// (the frames its monitor recorded, per second of the test's clock, over the sink's
	// rate). Real time: the two agree.
	PlayerRate, SinkRate float64
	// Heard is how long the sink played the case's audio (first to last sound), Played how
	// long the audio lasts at the speed; Gap the longest silence within, Silent all of it.
	Heard, Played, Gap, Silent time.Duration
	GapAt                      time.Duration // where the longest silence began, in the sound
	ticks                      int
}

func (m realTime) String() string {
	return fmt.Sprintf("%g×: player clock %.4f, sink clock %.4f of real time (ratio %.4f); sound %.3f s for %.3f s of audio at %g× (ratio %.4f), longest silence %v (at %v), %v silent in all (%d ticks)",
		m.speed, m.PlayerRate, m.SinkRate, m.PlayerRate/m.SinkRate, m.Heard.Seconds(), m.Played.Seconds(), m.speed,
		m.Played.Seconds()/m.Heard.Seconds(), m.Gap, m.GapAt, m.Silent, m.ticks)
}

// replayAt plays the case from its start at speed to its end, ticking the player as the view
// does (60 times a second), and measures it against the witness.
func replayAt(t *testing.T, p *qa.Player, w *pulsetest.Witness, frames int, speed float64) realTime {
	t.Helper()
	rp := p.Replay()
	mark := len(w.PCM())
	p.Pause()
	p.Seek(rp.Start)
	p.SetSpeed(speed)
	t0 := time.Now()
	p.Play()
	var at, pos []float64
	deadline := time.Now().Add(2 * time.Minute)
	for p.Tick() {
		if p.ClockSource() == "audio clock" {
			at = append(at, time.Since(t0).Seconds())
			pos = append(pos, p.Position().Seconds())
		}
		if time.Now().After(deadline) {
			t.Fatalf("%g×: still playing after 2 min, at %v of %v", speed, p.Position()-rp.Start, rp.End-rp.Start)
		}
		time.Sleep(time.Second / 60)
	}
	if err := p.SoundErr(); err != nil {
		t.Fatalf("%g×: %v", speed, err)
	}
	end := time.Since(t0).Seconds()
	// The monitor lags the sink: wait until it has recorded the sound's end and half a second
	// of silence after it.
	var rec []int16
	for {
		rec = w.PCM()[mark:]
		if _, last, _, _, _ := sound(rec); last >= 0 && len(rec)-last > pulsetest.WitnessRate/2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%g×: the monitor recorded %d frames, not the sound's end", speed, len(rec))
		}
		time.Sleep(50 * time.Millisecond)
	}
	first, last, gap, silent, gapAt := sound(rec)
	// The sink's clock over the whole recording so far (parec's first second left out: it
	// catches up then): the witness records in big steps, and the sink's clock is one clock.
	var ax, ay []float64
	arr := w.Arrivals()
	for _, a := range arr {
		if a.At.Sub(arr[0].At) > time.Second && a.At.Sub(t0).Seconds() <= end+1 {
			ax, ay = append(ax, a.At.Sub(t0).Seconds()), append(ay, float64(a.Frames)/pulsetest.WitnessRate)
		}
	}
	if len(ax) < 3 {
		t.Fatalf("%g×: the witness delivered %d times", speed, len(ax))
	}
	frameDur := func(n int) time.Duration { return time.Duration(n) * time.Second / pulsetest.WitnessRate }
	return realTime{speed: speed, PlayerRate: lsSlope(at, pos) / speed, SinkRate: lsSlope(ax, ay),
		Heard: frameDur(last - first + 1), Played: time.Duration(float64(frames) / qatest.AudioRate / speed * 1e9),
		Gap: frameDur(gap), GapAt: frameDur(gapAt), Silent: frameDur(silent), ticks: len(at)}
}

// TestReplayAtRealTime plays a case through the real sound output (reader/playback) into a
// private PulseAudio null sink, at every speed J and L reach, and compares two clocks: the
// player's (the play head the view draws from) and the sink's (the frames its monitor
// recorded, by parec, another process). Both are read on the test's clock while they run;
// their rates must agree within 1%. The sound the sink played must be whole: as long as the
// audio at that speed within 1%, with no silence longer than 5 ms. Nothing here times the
// test's own work.
func TestReplayAtRealTime(t *testing.T) {
	srv := pulsetest.Start(t)
	// The witness asks for no low latency (2 s): a recorder that does holds the sink at it, and
	// hid the stalls this test is for (the old output ran at real time with one attached).
	w := srv.Record("keep", 2*time.Second)
	out, err := playback.Open(48000, 2, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	_, rp := load(t, qatest.Session{ID: "s1", Cases: []qatest.Case{{DicomID: "a", Samples: 6 * qatest.Rate, Audio: true}}}, 0)
	frames, ok := rp.AudioFrame(rp.End)
	if !ok {
		t.Fatal("no audio clock")
	}
	audio := qa.Audio{PCM: ramp(int(frames)), Rate: qatest.AudioRate, Channels: 1}
	p := qa.NewPlayer(rp, audio, qa.NewSpeaker(func() (qa.Sound, error) { return out, nil }), nil)
	for _, speed := range []float64{1, 0.5, 2, 4} {
		// The sound server is a process like any other: on a machine loaded 16 deep it was
		// starved now and then, and its sink played 12–112 ms of silence however deep the
		// buffer (PulseAudio's own thread: our clock stood still with it). A speed passes when
		// one of three plays is whole and at real time; the output this replaced failed every
		// one (its clock at 0.5–0.8 of the sink's, the sound stalling for 50 ms to 1.7 s).
		var faults []string
		for try := range 3 {
			m := replayAt(t, p, w, int(frames), speed)
			t.Log(m)
			if faults = realTimeFaults(m); len(faults) == 0 {
				break
			}
			t.Logf("%g×, play %d: %s", speed, try+1, strings.Join(faults, "; "))
		}
		if len(faults) > 0 {
			t.Errorf("%g×: no play of three at real time with whole sound", speed)
		}
	}
}

// realTimeFaults says how a play missed real time: the player's clock against the sink's
// beyond 1%, the sound longer or shorter than the audio at its speed beyond 1%, a silence
// within it longer than 5 ms.
func realTimeFaults(m realTime) []string {
	var out []string
	if r := m.PlayerRate / m.SinkRate; r < 0.99 || r > 1.01 {
		out = append(out, fmt.Sprintf("the player's clock runs at %.4f of the sink's", r))
	}
	if r := m.Played.Seconds() / m.Heard.Seconds(); r < 0.99 || r > 1.01 {
		out = append(out, fmt.Sprintf("the sink played %v of sound for %v of audio", m.Heard, m.Played))
	}
	if m.Gap > 5*time.Millisecond {
		out = append(out, fmt.Sprintf("the sound stopped for %v (%v silent in all)", m.Gap, m.Silent))
	}
	return out
}
