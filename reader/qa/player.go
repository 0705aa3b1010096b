package qa

import (
	"fmt"
	"slices"
	"time"
)

// Sound is a sound output (reader/playback.Out): it plays samples from a frame at a speed and
// says which frame is being heard.
type Sound interface {
	Play(pcm []int16, rate, channels int, from int64, speed float64) error
	Heard() (frame int64, playing bool, err error)
	Stop()
}

// Speaker opens the sound output on first use and keeps it, or the reason it cannot be had,
// for every case the reviewer plays. Not safe for concurrent use: the view owns it.
type Speaker struct {
	open  func() (Sound, error)
	sound Sound
	err   error
}

// NewSpeaker makes a speaker that opens its output with open (nil: none, the replay is silent).
func NewSpeaker(open func() (Sound, error)) *Speaker { return &Speaker{open: open} }

// Get is the sound output, opened on the first call; nil with the reason when there is none.
func (s *Speaker) Get() (Sound, error) {
	if s == nil || s.open == nil {
		return nil, errNoOutput
	}
	if s.sound == nil && s.err == nil {
		s.sound, s.err = s.open()
		if s.err == nil && s.sound == nil {
			s.err = errNoOutput
		}
	}
	return s.sound, s.err
}

var errNoOutput = fmt.Errorf("no sound output")

// Speeds are the replay's speeds, slowest first: J steps down them, L up.
var Speeds = []float64{0.5, 1, 1.5, 2, 3, 4}

// Slower is the speed J gives from v: half of it, no slower than the slowest.
func Slower(v float64) float64 { return min(max(v/2, MinSpeed), MaxSpeed) }

// Faster is the speed L gives from v while playing: twice it, no faster than the fastest.
func Faster(v float64) float64 { return min(max(v*2, MinSpeed), MaxSpeed) }

// SpeedName is how a speed is written ("1.5×").
func SpeedName(v float64) string { return fmt.Sprintf("%g×", v) }

// ParseSpeed reads a SpeedName, 1 for what does not read.
func ParseSpeed(s string) float64 {
	var v float64
	if _, err := fmt.Sscanf(s, "%g", &v); err != nil || !(v > 0) {
		return 1
	}
	return v
}

// Player replays one case: a play head on the session clock that the case's audio drives
// while it plays, at every speed (the audio then plays faster or slower, as a tape would), and
// the wall clock otherwise. Not safe for concurrent use: the view owns it and calls Tick for
// each frame it draws.
type Player struct {
	rp      *Replay
	head    *Playhead
	speaker *Speaker
	pcm     []int16
	rate    int
	ch      int
	pcmErr  error // the case's WAV does not read
	playErr error // the output failed while playing
	soundOn bool  // the audio plays the case now
}

// Audio is a case's samples for the player: interleaved 16-bit samples at Rate with Channels
// channels, or Err when audio.wav does not read.
type Audio struct {
	PCM            []int16
	Rate, Channels int
	Err            error
}

// NewPlayer makes a paused player at the start of rp. audio is the case's audio.wav (no PCM:
// none); speaker gives the output (nil: silent); now is the wall clock (time.Now when nil).
func NewPlayer(rp *Replay, audio Audio, speaker *Speaker, now func() time.Time) *Player {
	p := &Player{rp: rp, head: NewPlayhead(rp.Start, rp.End, now), speaker: speaker, pcmErr: audio.Err}
	if audio.Err == nil && len(audio.PCM) > 0 && audio.Rate > 0 && audio.Channels > 0 {
		p.pcm, p.rate, p.ch = audio.PCM, audio.Rate, audio.Channels
	}
	return p
}

// Replay is the case played.
func (p *Player) Replay() *Replay { return p.rp }

// Position is the play head's time now.
func (p *Player) Position() time.Duration { return p.head.Position() }

// Playing reports whether the replay plays (it stops at the case's end).
func (p *Player) Playing() bool { return p.head.Playing() }

// Speed is the playing speed.
func (p *Player) Speed() float64 { return p.head.Speed() }

// Play plays from the play head (from the start when it stands at the end).
func (p *Player) Play() {
	if p.head.Playing() {
		return
	}
	// The output first: its first opening takes a while (0.5–2 s on a loaded machine, waiting
	// for the device to run), and a play head already running on the wall clock meanwhile had
	// the sound start that far into the audio: a review's first play lost its first 1.7–2.3 s
	// (the sink's monitor silent, then the audio heard in place).
	if p.pcm != nil && p.rp.Audio != nil {
		_, _ = p.speaker.Get()
	}
	p.head.Play()
	p.startSound()
}

// Pause stops the replay where it is.
func (p *Player) Pause() {
	p.head.Pause()
	p.stopSound()
}

// Toggle plays or pauses.
func (p *Player) Toggle() {
	if p.Playing() {
		p.Pause()
	} else {
		p.Play()
	}
}

// Seek moves the play head to t (within the case); the replay plays on from there if it played.
func (p *Player) Seek(t time.Duration) {
	p.head.Seek(t)
	if p.head.Playing() {
		p.startSound()
	}
}

// SetSpeed sets the speed (within MinSpeed…MaxSpeed); playing audio goes on at it.
func (p *Player) SetSpeed(v float64) {
	p.head.SetSpeed(v)
	if p.head.Playing() {
		p.startSound()
	}
}

// Tick brings the play head to the audio heard now, while audio plays, and reports whether the
// replay still plays (false once it reached the case's end: it is paused there).
func (p *Player) Tick() bool {
	if p.soundOn {
		s, _ := p.speaker.Get()
		frame, playing, err := s.Heard()
		switch {
		case err != nil:
			p.playErr, p.soundOn = err, false
		case playing:
			if t, ok := p.rp.AudioTime(frame); ok {
				p.head.Follow(t)
			}
		default:
			p.soundOn = false // the audio ended before the case: the wall clock goes on
		}
	}
	if !p.head.Playing() {
		p.Pause()
		return false
	}
	return true
}

// startSound plays the audio from the play head at its speed, or leaves the wall clock to
// drive the replay when there is no audio to play there.
func (p *Player) startSound() {
	p.stopSound()
	if p.pcm == nil || p.rp.Audio == nil {
		return
	}
	s, err := p.speaker.Get()
	if err != nil {
		return
	}
	from, ok := p.rp.AudioFrame(p.head.Position())
	if !ok || from >= int64(len(p.pcm)/p.ch) {
		return
	}
	if err := s.Play(p.pcm, p.rate, p.ch, max(from, 0), p.head.Speed()); err != nil {
		p.playErr = err
		return
	}
	p.soundOn = true
}

func (p *Player) stopSound() {
	if p.soundOn {
		if s, _ := p.speaker.Get(); s != nil {
			s.Stop()
		}
	}
	p.soundOn = false
}

// Stop ends the replay (leaving the case): paused, silent.
func (p *Player) Stop() { p.Pause() }

// PlayClip plays samples [begin, end) seconds of the case's audio at 1×, the replay paused
// (the transcript editor's phrase play); false when there is nothing to play it with.
func (p *Player) PlayClip(begin, end float64) bool {
	p.Pause()
	s, err := p.speaker.Get()
	if err != nil || p.pcm == nil {
		return false
	}
	frames := len(p.pcm) / p.ch
	from := min(max(int(begin*float64(p.rate)), 0), frames)
	to := min(max(int(end*float64(p.rate)), from), frames)
	if err := s.Play(slices.Clip(p.pcm[from*p.ch:to*p.ch]), p.rate, p.ch, 0, 1); err != nil {
		p.playErr = err
		return false
	}
	p.soundOn = true
	return true
}

// ClockSource says what drives the replay's clock, for the clock line: short, whatever the
// reason (a sound server's whole error text widened the window to thousands of pixels once;
// SoundErr has it).
func (p *Player) ClockSource() string {
	switch {
	case p.soundOn:
		return "audio clock"
	case p.rp.Audio == nil && p.rp.Case.Audio == nil:
		return "wall clock: no audio"
	case p.rp.Audio == nil:
		return "wall clock: the audio has no clock record (audio.json)"
	case p.SoundErr() != nil:
		return "no sound: playing silently"
	case p.speaker == nil || p.speaker.open == nil:
		return "wall clock: no sound output"
	}
	return "wall clock"
}

// SoundErr is why the case's audio does not play: its WAV, or the output (once it was asked
// for: the output is opened by the first play, not by showing a case).
func (p *Player) SoundErr() error {
	switch {
	case p.pcmErr != nil:
		return p.pcmErr
	case p.playErr != nil:
		return p.playErr
	case p.speaker != nil:
		return p.speaker.err
	}
	return nil
}
