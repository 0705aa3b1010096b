package qa

import "time"

// Speeds a replay plays at: audio is heard at 1× only.
const (
	MinSpeed = 0.5
	MaxSpeed = 4.0
)

// Playhead is a replay's position on the session clock and whether it plays. Between two
// calls it runs on a clock: the wall clock, or, while audio plays, the audio clock (Follow).
// Not safe for concurrent use: the view owns it.
type Playhead struct {
	start, end time.Duration
	pos        time.Duration // at anchor
	anchor     time.Time
	playing    bool
	speed      float64
	now        func() time.Time
}

// NewPlayhead makes a paused play head at start of a case from start to end; now is the wall
// clock (time.Now when nil).
func NewPlayhead(start, end time.Duration, now func() time.Time) *Playhead {
	if now == nil {
		now = time.Now
	}
	return &Playhead{start: start, end: max(end, start), pos: start, speed: 1, now: now}
}

// Position is the play head's time now: it stops at the case's end.
func (p *Playhead) Position() time.Duration {
	if !p.playing {
		return p.pos
	}
	t := p.pos + time.Duration(float64(p.now().Sub(p.anchor))*p.speed)
	if t >= p.end {
		p.pos, p.playing = p.end, false
		return p.end
	}
	return t
}

// Seek moves the play head to t (clamped to the case); it plays on from there if it played.
func (p *Playhead) Seek(t time.Duration) {
	p.pos, p.anchor = min(max(t, p.start), p.end), p.now()
}

// Step moves the play head by d.
func (p *Playhead) Step(d time.Duration) { p.Seek(p.Position() + d) }

// Playing reports whether the play head runs.
func (p *Playhead) Playing() bool {
	p.Position() // stops it at the end
	return p.playing
}

// Play starts the play head (from the start when it stood at the end).
func (p *Playhead) Play() {
	if p.Playing() {
		return
	}
	if p.pos >= p.end {
		p.pos = p.start
	}
	p.anchor, p.playing = p.now(), true
}

// Pause stops the play head where it is.
func (p *Playhead) Pause() {
	p.pos, p.playing = p.Position(), false
}

// Toggle plays or pauses.
func (p *Playhead) Toggle() {
	if p.Playing() {
		p.Pause()
	} else {
		p.Play()
	}
}

// Speed is the playing speed.
func (p *Playhead) Speed() float64 { return p.speed }

// SetSpeed sets the playing speed, kept within MinSpeed…MaxSpeed.
func (p *Playhead) SetSpeed(s float64) {
	p.pos, p.anchor = p.Position(), p.now()
	p.speed = min(max(s, MinSpeed), MaxSpeed)
}

// Follow sets the position from another clock (the audio player's): the play head runs on
// from t on the wall clock until the next call, so a picture drawn between two audio
// callbacks still moves.
func (p *Playhead) Follow(t time.Duration) {
	p.pos, p.anchor = min(max(t, p.start), p.end), p.now()
}

// Bounds are the case's start and end.
func (p *Playhead) Bounds() (start, end time.Duration) { return p.start, p.end }
