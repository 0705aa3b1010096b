// Package playback plays a case's dictation (audio.wav) through oto v3 and says which frame is
// being heard, so that the replay's picture can follow the audio clock.
//
// oto allows one output per process, at one rate: Open makes it once, and audio of another rate
// or channel count is converted to it. oto reports a missing sound card late (its context opens
// without error and fails afterwards, its player then "plays" for ever): Open waits for the
// context with a deadline and checks its error, and Heard reports a failure that comes later.
package playback

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ebitengine/oto/v3"
)

// Out is the process's sound output.
type Out struct {
	ctx            *oto.Context
	rate, channels int

	mu     sync.Mutex
	player *oto.Player
	src    *source
}

var (
	once    sync.Once
	theOut  *Out
	openErr error
)

// Open opens the sound output at rate Hz and channels (1 or 2), or returns the one already open
// (whatever its format). It fails when the output is not ready within timeout or reports an
// error (no sound card, no server).
func Open(rate, channels int, timeout time.Duration) (*Out, error) {
	once.Do(func() {
		ctx, ready, err := oto.NewContext(&oto.NewContextOptions{SampleRate: rate, ChannelCount: channels,
			Format: oto.FormatSignedInt16LE, BufferSize: 50 * time.Millisecond})
		if err != nil {
			openErr = fmt.Errorf("sound output: %w", err)
			return
		}
		select {
		case <-ready:
		case <-time.After(timeout):
			openErr = fmt.Errorf("sound output: not ready within %v", timeout)
			return
		}
		if err := ctx.Err(); err != nil {
			openErr = fmt.Errorf("sound output: %w", err)
			return
		}
		theOut = &Out{ctx: ctx, rate: rate, channels: channels}
	})
	return theOut, openErr
}

// Rate and Channels are the output's format.
func (o *Out) Rate() int     { return o.rate }
func (o *Out) Channels() int { return o.channels }

// Err is the output's failure since it opened, if any.
func (o *Out) Err() error { return o.ctx.Err() }

// source feeds the player, converting the case's samples to the output's format as the
// player asks for them (a seek starts at once, whatever the recording's length), and counts
// the frames it gave.
type source struct {
	pcm          []int16
	rate, ch     int
	toRate, toCh int
	from         int64   // the source frame of output frame 0
	ratio        float64 // source frames per output frame
	frames       int64   // output frames in all
	given        atomic.Int64
	fb           int // bytes per output frame
}

func (s *source) Read(b []byte) (int, error) {
	at := s.given.Load()
	n := min(int64(len(b)/s.fb), s.frames-at)
	if n <= 0 {
		if at >= s.frames {
			return 0, io.EOF
		}
		return 0, nil
	}
	last := int64(len(s.pcm)/s.ch) - 1
	for k := range n {
		x := float64(s.from) + float64(at+k)*s.ratio
		i := int64(x)
		f := x - float64(i)
		i0, i1 := min(i, last), min(i+1, last)
		for c := range s.toCh {
			a := s.sample(i0, c)
			v := a + (s.sample(i1, c)-a)*f
			binary.LittleEndian.PutUint16(b[(int(k)*s.toCh+c)*2:], uint16(int16(v)))
		}
	}
	s.given.Add(n)
	return int(n) * s.fb, nil
}

// sample is channel c of frame i in the output's channel layout: copied, or mixed to mono, or
// mono copied to every channel.
func (s *source) sample(i int64, c int) float64 {
	if s.ch == s.toCh {
		return float64(s.pcm[i*int64(s.ch)+int64(c)])
	}
	var v float64
	for k := range s.ch {
		v += float64(s.pcm[i*int64(s.ch)+int64(k)])
	}
	return v / float64(s.ch)
}

// Play plays pcm (interleaved 16-bit samples at rate Hz with channels channels) from its frame
// from, stopping what played before.
func (o *Out) Play(pcm []int16, rate, channels int, from int64) error {
	if err := o.Err(); err != nil {
		return fmt.Errorf("sound output: %w", err)
	}
	if rate <= 0 || channels <= 0 {
		return errors.New("play: no audio format")
	}
	frames := int64(len(pcm) / channels)
	from = min(max(from, 0), frames)
	ratio := float64(rate) / float64(o.rate)
	src := &source{pcm: pcm, rate: rate, ch: channels, toRate: o.rate, toCh: o.channels, from: from,
		ratio: ratio, frames: int64(float64(frames-from) / ratio), fb: 2 * o.channels}
	o.Stop()
	p := o.ctx.NewPlayer(src)
	o.mu.Lock()
	o.player, o.src = p, src
	o.mu.Unlock()
	p.Play()
	return nil
}

// Heard is the frame of the audio last given to Play (in its own frames) being heard now: what
// the player has consumed, less what it holds in its buffer. playing is false once it has
// played to the end or was stopped; err is the output's failure.
func (o *Out) Heard() (frame int64, playing bool, err error) {
	o.mu.Lock()
	p, s := o.player, o.src
	o.mu.Unlock()
	if err := o.Err(); err != nil {
		return 0, false, err
	}
	if p == nil {
		return 0, false, nil
	}
	consumed := max(s.given.Load()*int64(s.fb)-int64(p.BufferedSize()), 0) / int64(s.fb)
	return s.from + int64(float64(consumed)*s.ratio), p.IsPlaying(), nil
}

// Stop stops the audio playing.
func (o *Out) Stop() {
	o.mu.Lock()
	p := o.player
	o.player, o.src = nil, nil
	o.mu.Unlock()
	if p != nil {
		// Pausing is enough: since oto v3.4 a player is released with its last reference.
		p.Pause()
	}
}

// Convert resamples interleaved pcm from rate and channels to the output's (linear
// interpolation; a dictation needs no better), mixing or copying channels: what Play does as it
// plays.
func Convert(pcm []int16, rate, channels, toRate, toChannels int) []int16 {
	if rate == toRate && channels == toChannels {
		return pcm
	}
	ratio := float64(rate) / float64(toRate)
	frames := int64(len(pcm) / channels)
	s := &source{pcm: pcm, rate: rate, ch: channels, toRate: toRate, toCh: toChannels, ratio: ratio,
		frames: int64(float64(frames) / ratio), fb: 2 * toChannels}
	b := make([]byte, s.frames*int64(s.fb))
	n, _ := s.Read(b)
	out := make([]int16, n/2)
	for i := range out {
		out[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	return out
}
