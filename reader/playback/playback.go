// Package playback plays a case's dictation (audio.wav) through miniaudio (malgo: PulseAudio,
// else ALSA) and says which frame is being heard, so that the replay's picture can follow the
// audio clock.
//
// The device asks for samples as it plays them (a callback each period), so the frames given
// to it, less what its buffer holds ahead of the speaker, are the frames heard: a clock that
// runs at the sink's rate, whatever the machine's load. oto, used before, fed PulseAudio
// through ALSA's pulse plugin with a 50 ms buffer and no latency request: on a sink that
// nothing held at a low latency (a null sink) its stream ran dry, and the replay ran at a tenth
// to a half of real time with the sound stalling for seconds (TestRealTimeMeasure).
//
// One output per process, at one rate: Open makes it once, and audio of another rate, channel
// count or speed is converted to it as it plays.
package playback

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/gen2brain/malgo"

	"sightline/reader/alsamsg"
)

// Period and Periods are the device's buffer as asked. miniaudio asks PulseAudio for a target
// buffer (tlength) of one period, which the server trims by the sink's share (log: "Final
// latency"), and calls for a period's samples at a time: 50 ms × 10, asked before, was granted
// 37.5 ms, and its stream ran dry whenever the Go callback was late by more (the server's own
// "Implicit underrun of 'Sightline review'", 10–137 ms of silence at load 8–12). 100 ms × 3 is
// granted 70 ms plus the sink's 30 ms and is called every 60–120 ms; 200 ms × 3 called only every
// 150–250 ms. What the buffer holds is dropped (flushed) at a pause or a seek, so it is not
// heard after them (TestReplayAtRealTime, "pause and seek cut the sound").
const (
	Period  = 100 * time.Millisecond
	Periods = 3
)

// StreamName is the output's name on the sound server (PulseAudio's logs and lists).
const StreamName = "Sightline review"

// Out is the process's sound output: a playback device that runs from Open on, playing silence
// while nothing plays (a device stopped and started again would first play what it held).
type Out struct {
	mctx           *malgo.AllocatedContext
	dev            *malgo.Device
	rate, channels int
	backend        string
	// latency is the frames between a callback and the speaker: the device's buffer as the
	// server granted it (its tlength), which the callback has just filled.
	latency int64
	now     func() time.Time

	// stream is the device's PulseAudio stream, to flush (nil: another backend, or it could
	// not be had: what the buffer holds is then heard after a pause or a seek).
	stream unsafe.Pointer

	mu   sync.Mutex
	src  *source   // nil: silence
	cbAt time.Time // the device's last callback
	cbs  int       // callbacks so far
	err  error
	// flush: drop what the device holds at its next callback (a pause, a seek, a new play);
	// flushes counts the flushes done.
	flush   bool
	flushes int
}

// Stalled is how long a device may go without asking for samples before Heard reports it as
// failed: a server that went away without saying so stops the callbacks, and the clock with
// them (the replay then runs on the wall clock, silently, instead of standing still).
const Stalled = 3 * time.Second

var (
	once    sync.Once
	theOut  *Out
	openErr error
)

// Open opens the sound output (PulseAudio's default sink, else ALSA's default device) at rate
// Hz and channels (1 or 2), or returns the one already open (whatever its format). It fails
// when no output opens within timeout.
func Open(rate, channels int, timeout time.Duration) (*Out, error) {
	once.Do(func() {
		type opened struct {
			o   *Out
			err error
		}
		ch := make(chan opened, 1)
		go func() {
			o, err := open(rate, channels, timeout)
			ch <- opened{o, err}
		}()
		select {
		case r := <-ch:
			theOut, openErr = r.o, r.err
		case <-time.After(timeout):
			openErr = fmt.Errorf("sound output: not ready within %v", timeout)
		}
	})
	return theOut, openErr
}

func open(rate, channels int, timeout time.Duration) (*Out, error) {
	var reasons []string
	for _, b := range []struct {
		name    string
		backend malgo.Backend
	}{{"pulse", malgo.BackendPulseaudio}, {"alsa", malgo.BackendAlsa}} {
		alsamsg.Catch() // libasound's errors kept, not printed under the window
		alsamsg.Take()
		o, err := openOn(b.name, b.backend, rate, channels, timeout)
		if m := alsamsg.Take(); err != nil && m != "" {
			err = fmt.Errorf("%w (ALSA: %s)", err, m)
		}
		if err == nil {
			return o, nil
		}
		reasons = append(reasons, b.name+": "+err.Error())
	}
	return nil, fmt.Errorf("sound output: %s", strings.Join(reasons, "; "))
}

// attrLine is miniaudio's report of the PulseAudio stream's buffer as granted.
var attrLine = regexp.MustCompile(`Playback actual attr: maxlength=\d+, tlength=(\d+)`)

func openOn(name string, backend malgo.Backend, rate, channels int, timeout time.Duration) (*Out, error) {
	var granted atomic.Int64 // tlength in bytes, from miniaudio's log
	logs := func(msg string) {
		if m := attrLine.FindStringSubmatch(msg); m != nil {
			if n, err := strconv.ParseInt(m[1], 10, 64); err == nil {
				granted.Store(n)
			}
		}
	}
	mctx, err := malgo.InitContext([]malgo.Backend{backend}, malgo.ContextConfig{}, logs)
	if err != nil {
		return nil, fmt.Errorf("init: %w", err)
	}
	o := &Out{mctx: mctx, rate: rate, channels: channels, backend: name, now: time.Now,
		latency: int64(Periods) * int64(Period) * int64(rate) / int64(time.Second)}
	dc := malgo.DefaultDeviceConfig(malgo.Playback)
	dc.Playback.Format = malgo.FormatS16
	dc.Playback.Channels = uint32(channels)
	dc.SampleRate = uint32(rate)
	dc.PeriodSizeInMilliseconds = uint32(Period / time.Millisecond)
	dc.Periods = uint32(Periods)
	dc.Pulse.StreamNamePlayback = StreamName
	dev, err := malgo.InitDevice(mctx.Context, dc, malgo.DeviceCallbacks{Data: o.onData, Stop: o.onStop})
	if err != nil {
		_ = mctx.Uninit()
		mctx.Free()
		return nil, fmt.Errorf("open the default device: %w", err)
	}
	if got := int(dev.SampleRate()); got != rate {
		dev.Uninit()
		_ = mctx.Uninit()
		mctx.Free()
		return nil, fmt.Errorf("the device runs at %d Hz, not %d", got, rate)
	}
	if n := granted.Load(); n > 0 {
		o.latency = n / int64(2*channels)
	}
	o.dev = dev
	if name == "pulse" {
		o.stream = pulseStream(dev)
	}
	if err := dev.Start(); err != nil {
		dev.Uninit()
		_ = mctx.Uninit()
		mctx.Free()
		return nil, fmt.Errorf("start the device: %w", err)
	}
	// Running once it has asked for a buffer's worth: the first sound played does not fall into
	// the stream's start (a gap of 12 ms in the first play on a loaded machine).
	for deadline := time.Now().Add(timeout); ; time.Sleep(Period / 5) {
		o.mu.Lock()
		n := o.cbs
		o.mu.Unlock()
		if n > Periods {
			return o, nil
		}
		if time.Now().After(deadline) {
			dev.Uninit()
			_ = mctx.Uninit()
			mctx.Free()
			return nil, fmt.Errorf("the device asked for no sound within %v", timeout)
		}
	}
}

// Rate and Channels are the output's format.
func (o *Out) Rate() int     { return o.rate }
func (o *Out) Channels() int { return o.channels }

// Latency is how far the output's buffer runs ahead of the speaker.
func (o *Out) Latency() time.Duration {
	return time.Duration(o.latency) * time.Second / time.Duration(o.rate)
}

// Err is the output's failure since it opened, if any.
func (o *Out) Err() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.err
}

// onData fills the device's buffer: the source's samples, silence after them or without one.
func (o *Out) onData(out, _ []byte, frames uint32) {
	o.mu.Lock()
	defer o.mu.Unlock()
	s := o.src
	n := 0
	o.cbAt = o.now()
	o.cbs++
	if o.flush {
		// Here, on the device's thread: the stream's main loop runs on it. What the callback
		// gives now is written after the flush, and plays at once.
		o.flush = false
		if flushPulse(o.stream) {
			o.flushes++
		}
	}
	if s != nil {
		n = s.fill(out[:int(frames)*s.fb])
		s.cbAt, s.cbGiven = o.cbAt, s.given
	}
	clear(out[n:])
}

// onStop: the device stopped without being asked (its server or card went away).
func (o *Out) onStop() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.err == nil {
		o.err = errors.New("sound output: the device stopped (its sound server or card went away)")
	}
}

// source feeds the device, converting the case's samples to the output's format as the device
// asks for them (a seek starts at once, whatever the recording's length), and counts the
// frames it gave, silence after the end included.
type source struct {
	pcm          []int16
	rate, ch     int
	toRate, toCh int
	from         int64   // the source frame of output frame 0
	ratio        float64 // source frames per output frame
	frames       int64   // output frames in all
	given        int64   // output frames given, silence after the end included
	fb           int     // bytes per output frame
	// The device's last callback, and the frames given by then; the last frame Heard said.
	// Guarded by Out.mu.
	cbAt    time.Time
	cbGiven int64
	heard   int64
	playAt  time.Time // when Play set it
}

// Read gives the next output frames into b (whole frames), io.EOF after the last.
func (s *source) Read(b []byte) (int, error) {
	at := s.given
	n := min(int64(len(b)/s.fb), s.frames-at)
	if n <= 0 {
		return 0, io.EOF
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
	s.given += n
	return int(n) * s.fb, nil
}

// fill gives a device buffer its frames (Read), counting the silence after the end as given
// too: the device plays it, and the last frames are heard only once it has.
func (s *source) fill(b []byte) int {
	n, _ := s.Read(b)
	s.given += int64((len(b) - n) / s.fb)
	return n
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
// from at speed (1: as recorded; 2: twice as fast, an octave higher, as a tape played fast),
// in place of what played before.
func (o *Out) Play(pcm []int16, rate, channels int, from int64, speed float64) error {
	if err := o.Err(); err != nil {
		return err
	}
	if rate <= 0 || channels <= 0 {
		return errors.New("play: no audio format")
	}
	if !(speed > 0) {
		return fmt.Errorf("play: speed %g", speed)
	}
	frames := int64(len(pcm) / channels)
	from = min(max(from, 0), frames)
	ratio := float64(rate) / float64(o.rate) * speed
	src := &source{pcm: pcm, rate: rate, ch: channels, toRate: o.rate, toCh: o.channels, from: from,
		ratio: ratio, frames: int64(float64(frames-from) / ratio), fb: 2 * o.channels}
	o.mu.Lock()
	src.playAt = o.now()
	o.src = src
	o.flush = o.stream != nil
	o.mu.Unlock()
	return nil
}

// Heard is the frame of the audio last given to Play (in its own frames) being heard now: the
// frames the device has asked for, less its buffer (which it has just filled), plus the time
// since it asked, at most a period's worth (the device asks again by then; a stalled device
// stops the clock). playing is false once the last frame has been heard, or after Stop; err is
// the output's failure.
func (o *Out) Heard() (frame int64, playing bool, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	s := o.src
	if o.err != nil {
		return 0, false, o.err
	}
	if s == nil {
		return 0, false, nil
	}
	if now := o.now(); now.Sub(o.cbAt) > Stalled && now.Sub(s.playAt) > Stalled {
		o.err = fmt.Errorf("sound output: the device has asked for no sound for %v", now.Sub(o.cbAt).Round(time.Second))
		return 0, false, o.err
	}
	if !s.cbAt.IsZero() {
		since := int64(o.now().Sub(s.cbAt)) * int64(o.rate) / int64(time.Second)
		period := int64(Period) * int64(o.rate) / int64(time.Second)
		// Never back: a callback that asks for less than the time since the last one.
		s.heard = max(s.heard, s.cbGiven-o.latency+min(max(since, 0), period))
	}
	if s.heard >= s.frames {
		return s.from + int64(float64(s.frames)*s.ratio), false, nil
	}
	return s.from + int64(float64(max(s.heard, 0))*s.ratio), true, nil
}

// Stop stops the audio playing. On PulseAudio what the device holds is dropped at its next
// callback (within a period); elsewhere it is still heard, up to the buffer (Cuts says which).
func (o *Out) Stop() {
	o.mu.Lock()
	o.src = nil
	o.flush = o.stream != nil
	o.mu.Unlock()
}

// Cuts reports whether Stop and Play drop what the device holds (PulseAudio), so that a pause
// or a seek is heard at once, not a buffer later.
func (o *Out) Cuts() bool { return o.stream != nil }

// Flushes counts the times the device's buffer was dropped (Stop, Play).
func (o *Out) Flushes() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.flushes
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
