package qa_test

import (
	"errors"
	"testing"
	"time"

	"sightline/reader/qa"
	"sightline/reader/qa/qatest"
	"sightline/reader/session"
)

// wallClock is a wall clock the test moves.
type wallClock struct{ t time.Time }

func (c *wallClock) now() time.Time      { return c.t }
func (c *wallClock) add(d time.Duration) { c.t = c.t.Add(d) }
func newWall() *wallClock                { return &wallClock{t: time.Date(2026, 12, 7, 20, 0, 0, 0, time.UTC)} }
func pcmOf(seconds float64) []int16      { return make([]int16, int(seconds*qatest.AudioRate)) }
func audioOf() qa.Audio                  { return qa.Audio{PCM: pcmOf(12), Rate: qatest.AudioRate, Channels: 1} }
func speakerOf(s *qatest.Sound) *qa.Speaker {
	return qa.NewSpeaker(func() (qa.Sound, error) { return s, nil })
}
func audioCase() qatest.Session {
	return qatest.Session{ID: "s1", Cases: []qatest.Case{{DicomID: "a", Samples: 600, Audio: true, AudioLead: 250 * ms, DriftPPM: 80}}}
}

// The audio clock drives the play head at every speed: the audio plays from the frame under
// the play head at the replay's speed, the play head is where the heard frame maps on the
// session clock, and between two ticks it runs on the wall clock at the speed.
func TestPlayerFollowsTheAudioAtEverySpeed(t *testing.T) {
	_, rp := load(t, audioCase(), 0)
	snd, wall := &qatest.Sound{}, newWall()
	p := qa.NewPlayer(rp, audioOf(), speakerOf(snd), wall.now)
	p.Seek(rp.Start + 2*time.Second)
	for _, speed := range []float64{1, 0.5, 2, 4} {
		p.SetSpeed(speed)
		p.Play()
		from, _ := rp.AudioFrame(p.Position())
		if !snd.Playing || snd.From != from || snd.Speed != speed {
			t.Fatalf("%g×: the audio plays %v from %d at %g, want from %d", speed, snd.Playing, snd.From, snd.Speed, from)
		}
		if p.ClockSource() != "audio clock" {
			t.Fatalf("%g×: clock %q", speed, p.ClockSource())
		}
		// A quarter second of wall time: the audio heard moves speed × as far in the recording.
		wall.add(250 * time.Millisecond)
		snd.Frame += int64(speed * 0.25 * qatest.AudioRate)
		if !p.Tick() {
			t.Fatalf("%g×: stopped", speed)
		}
		heard, _ := rp.AudioTime(snd.Frame)
		if p.Position() != heard {
			t.Fatalf("%g×: play head at %v, the audio heard at %v", speed, p.Position(), heard)
		}
		// Between ticks the play head runs on the wall clock, at the speed.
		wall.add(10 * time.Millisecond)
		if d := p.Position() - heard; d != time.Duration(speed*float64(10*time.Millisecond)) {
			t.Fatalf("%g×: 10 ms of wall time moved the play head %v", speed, d)
		}
		p.Pause()
		if snd.Playing || p.Playing() {
			t.Fatalf("%g×: Pause left the audio %v, the play head %v", speed, snd.Playing, p.Playing())
		}
	}
	if snd.Plays != 4 {
		t.Fatalf("%d plays, want one per speed", snd.Plays)
	}
}

// A seek while playing restarts the audio at the new place; the case's end pauses the replay;
// an output that fails leaves the wall clock driving and says so.
func TestPlayerSeekEndAndFailure(t *testing.T) {
	_, rp := load(t, audioCase(), 0)
	snd, wall := &qatest.Sound{}, newWall()
	p := qa.NewPlayer(rp, audioOf(), speakerOf(snd), wall.now)
	p.Play()
	p.Seek(rp.Start + 5*time.Second)
	if want, _ := rp.AudioFrame(rp.Start + 5*time.Second); snd.From != want || snd.Plays != 2 {
		t.Fatalf("after the seek the audio plays from %d (%d plays), want %d", snd.From, snd.Plays, want)
	}
	snd.Err = errors.New("the sound server went away")
	p.Tick()
	if p.ClockSource() != "no sound: playing silently" || !p.Playing() || p.SoundErr() == nil {
		t.Fatalf("after a failure: %q, playing %v, err %v", p.ClockSource(), p.Playing(), p.SoundErr())
	}
	wall.add(time.Hour)
	if p.Tick() || p.Playing() || p.Position() != rp.End {
		t.Fatalf("past the end: playing %v at %v, want paused at %v", p.Playing(), p.Position(), rp.End)
	}
}

// What drives the clock, said short: no output, no audio, no clock record.
func TestPlayerClockSource(t *testing.T) {
	_, rp := load(t, audioCase(), 0)
	if got := qa.NewPlayer(rp, audioOf(), qa.NewSpeaker(nil), nil).ClockSource(); got != "wall clock: no sound output" {
		t.Errorf("no output: %q", got)
	}
	failing := qa.NewSpeaker(func() (qa.Sound, error) { return nil, errors.New("no card") })
	p := qa.NewPlayer(rp, audioOf(), failing, nil)
	if got := p.ClockSource(); got != "wall clock" {
		t.Errorf("before the output is asked for: %q", got)
	}
	p.Play()
	if got := p.ClockSource(); got != "no sound: playing silently" {
		t.Errorf("an output that cannot open: %q", got)
	}
	bad := qa.NewPlayer(rp, qa.Audio{Err: errors.New("audio.wav: no RIFF header")}, speakerOf(&qatest.Sound{}), nil)
	if got := bad.ClockSource(); got != "no sound: playing silently" {
		t.Errorf("an unreadable WAV: %q", got)
	}
	_, gazeOnly := load(t, qatest.Session{ID: "s1", Cases: []qatest.Case{{DicomID: "a", Samples: 60}}}, 0)
	if got := qa.NewPlayer(gazeOnly, qa.Audio{}, speakerOf(&qatest.Sound{}), nil).ClockSource(); got != "wall clock: no audio" {
		t.Errorf("no audio: %q", got)
	}
}

// J halves the speed and L doubles it, within the speeds offered; the names read back.
func TestSpeeds(t *testing.T) {
	if qa.Slower(1) != 0.5 || qa.Slower(0.5) != 0.5 || qa.Faster(2) != 4 || qa.Faster(4) != 4 {
		t.Fatal("J/L steps")
	}
	for _, v := range qa.Speeds {
		if qa.ParseSpeed(qa.SpeedName(v)) != v {
			t.Fatalf("%g× does not read back", v)
		}
	}
	if qa.ParseSpeed("fast") != 1 {
		t.Fatal("a name that does not read is not 1×")
	}
}

// quality.json's clock figures reach the measures (the QA report's Clock line): the swap delay
// when it was measured, and none when it was not.
func TestMeasureSwapDelay(t *testing.T) {
	swap := 4.25
	s := qatest.Session{ID: "s1", Cases: []qatest.Case{
		{DicomID: "a", Samples: 60, Quality: &session.Quality{Verdict: "pass", Samples: 60, Expected: 60, SwapDelayMS: &swap, TrackerLatencyMS: 3.5, TrackerMarkers: 4}},
		{DicomID: "b", Samples: 60, Quality: &session.Quality{Verdict: "pass", Samples: 60, Expected: 60}},
	}}
	o, _ := load(t, s, 0)
	f := qa.Measure(o, o.Cases[0]).Offsets
	if !f.HasSwap || f.SwapDelayMS != 4.25 || !f.HasLatency || f.TrackerLatencyMS != 3.5 || f.TrackerMarkers != 4 {
		t.Errorf("offsets of a case with its swap measured: %+v", f)
	}
	if f := qa.Measure(o, o.Cases[1]).Offsets; f.HasSwap || f.HasLatency {
		t.Errorf("offsets of a case without: %+v", f)
	}
}

// The output opens on the first play and takes its time (waiting for the device to run): the
// sound must still start where the play head stood, not where the wall clock took it while the
// output opened (a review's first play lost its first 1.7–2.3 s so).
func TestPlayerFirstPlayWaitsForTheOutput(t *testing.T) {
	_, rp := load(t, audioCase(), 0)
	snd, wall := &qatest.Sound{}, newWall()
	opened := 0
	speaker := qa.NewSpeaker(func() (qa.Sound, error) {
		opened++
		wall.add(2 * time.Second) // the device took 2 s to run
		return snd, nil
	})
	p := qa.NewPlayer(rp, audioOf(), speaker, wall.now)
	p.Seek(rp.Start + time.Second)
	from, _ := rp.AudioFrame(rp.Start + time.Second)
	p.Play()
	if opened != 1 || !snd.Playing || snd.From != from {
		t.Fatalf("opened %d times; the audio plays %v from frame %d, want from %d (the play head's)", opened, snd.Playing, snd.From, from)
	}
	if p.Position() != rp.Start+time.Second {
		t.Fatalf("the play head at %v once the output opened, want %v", p.Position(), rp.Start+time.Second)
	}
}
