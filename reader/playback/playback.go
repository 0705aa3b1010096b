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

// source feeds the player from the converted PCM, counting what the player took.
type source struct {
	pcm   []byte // the output's format
	read  atomic.Int64
	start int64 // the first frame played, in the source's frames
	ratio float64
	fb    int // bytes per output frame
}

func (s *source) Read(b []byte) (int, error) {
	at := s.read.Load()
	if at >= int64(len(s.pcm)) {
		return 0, io.EOF
	}
	n := copy(b, s.pcm[at:])
	n -= n % s.fb
	if n == 0 && len(b) > 0 {
		n = copy(b, s.pcm[at:])
	}
	s.read.Add(int64(n))
	return n, nil
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
	out := Convert(pcm[from*int64(channels):], rate, channels, o.rate, o.channels)
	b := make([]byte, 2*len(out))
	for i, v := range out {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
	}
	src := &source{pcm: b, start: from, ratio: float64(rate) / float64(o.rate), fb: 2 * o.channels}
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
	consumed := s.read.Load() - int64(p.BufferedSize())
	consumed = max(consumed, 0) / int64(s.fb)
	return s.start + int64(float64(consumed)*s.ratio), p.IsPlaying(), nil
}

// Stop stops the audio playing.
func (o *Out) Stop() {
	o.mu.Lock()
	p := o.player
	o.player, o.src = nil, nil
	o.mu.Unlock()
	if p != nil {
		p.Pause()
		_ = p.Close()
	}
}

// Convert resamples interleaved pcm from rate and channels to the output's (linear
// interpolation; a dictation needs no better), mixing or copying channels.
func Convert(pcm []int16, rate, channels, toRate, toChannels int) []int16 {
	if rate == toRate && channels == toChannels {
		return pcm
	}
	frames := len(pcm) / channels
	mono := func(i int) float64 {
		var s float64
		for c := range channels {
			s += float64(pcm[i*channels+c])
		}
		return s / float64(channels)
	}
	sample := func(i, c int) float64 {
		if channels == toChannels {
			return float64(pcm[i*channels+c])
		}
		return mono(i)
	}
	n := int(int64(frames) * int64(toRate) / int64(rate))
	out := make([]int16, n*toChannels)
	for j := range n {
		x := float64(j) * float64(rate) / float64(toRate)
		i := int(x)
		f := x - float64(i)
		for c := range toChannels {
			a := sample(min(i, frames-1), c)
			b := sample(min(i+1, frames-1), c)
			out[j*toChannels+c] = int16(a + (b-a)*f)
		}
	}
	return out
}
