package audio

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gen2brain/malgo"

	"sightline/reader/alsamsg"
)

// Errors callers branch on.
var (
	// ErrNoDevice means no capture device could be opened; the wrapping error says why. The
	// station offers to go on gaze-only.
	ErrNoDevice = errors.New("no audio capture device")
	// ErrDisabled is returned by Start for Config.Device "none". It wraps ErrNoDevice.
	ErrDisabled = fmt.Errorf("%w: disabled by configuration", ErrNoDevice)
	// ErrDeviceLost is reported (OnError, Err) when a running device stops on its own or stops
	// delivering audio.
	ErrDeviceLost = errors.New("audio capture device lost")
	// ErrDeviceChanged is reported (OnError) when the default capture device changes under a
	// capture of the default device: what follows may come from another microphone.
	ErrDeviceChanged = errors.New("audio capture device changed")
)

// Backend names of Config.Backend.
const (
	BackendAuto  = ""      // PulseAudio, then ALSA
	BackendPulse = "pulse" // PulseAudio (or PipeWire's pulse server)
	BackendALSA  = "alsa"
	BackendNull  = "null" // miniaudio's null device: silence at the exact nominal rate
)

// DeviceNone as Config.Device disables capture.
const DeviceNone = "none"

// Defaults of Config.
const (
	DefaultRate     = 48000
	DefaultChannels = 1
)

// MinDB is the floor of Level's figures: digital silence reads MinDB rather than −Inf.
const MinDB = -120.0

// period is the device callback period asked for: one Block per period.
const period = 10 * time.Millisecond

// ringSeconds of audio fit between the callback and a delivery goroutine that fell behind
// (a slow fsync, say) before frames are dropped.
const ringSeconds = 4

// stallTimeout is how long a started device may go without a callback before it is reported
// lost. PulseAudio can take ~2 s to deliver the first frames.
const stallTimeout = 5 * time.Second

// watchEvery is how often a PulseAudio capture checks that its source is still listed and,
// for the default source, still the default. A source removed under a running stream stops
// it without a word from miniaudio: only the stall timeout would tell, seconds later.
const watchEvery = time.Second

// releaseTimeout bounds how long Stop waits for the backend to let go of the device.
const releaseTimeout = 3 * time.Second

// Config chooses the capture device and format.
type Config struct {
	// Device is "" for the backend's default capture device, "none" to disable capture, or
	// else a (case-insensitive) substring of the device name, as Devices lists them.
	Device string
	// Rate in Hz and Channels (interleaved), 48000 and 1 when zero. miniaudio converts from
	// whatever the device offers.
	Rate, Channels int
	// Backend is "" (auto: PulseAudio, then ALSA), "pulse", "alsa" or "null".
	Backend string
	// OnError, if set, is called when the running device is lost: once when it stops or
	// disappears (capture is over: Over), and each time it stalls for stallTimeout (delivery
	// resumes should it come back); the error wraps ErrDeviceLost. It is called too, with an
	// error wrapping ErrDeviceChanged, when the default device changes under a capture of the
	// default device. It runs on the delivery goroutine or the device watcher: it must not
	// block or call Stop.
	OnError func(error)
}

func (c Config) withDefaults() Config {
	if c.Rate == 0 {
		c.Rate = DefaultRate
	}
	if c.Channels == 0 {
		c.Channels = DefaultChannels
	}
	return c
}

// DeviceInfo is one capture device, for a picker.
type DeviceInfo struct {
	Name    string // pass (a unique part of) it as Config.Device
	Default bool   // the backend's default capture device
	Backend string // the backend that lists it
	Monitor bool   // it records an output (a loopback), not a microphone
}

// isMonitor tells a source that records an output (PulseAudio's "<sink>.monitor", ALSA's
// Loopback card) from a microphone.
func isMonitor(backend string, id malgo.DeviceID, name string) bool {
	switch backend {
	case BackendPulse:
		return strings.HasSuffix(deviceID(id), ".monitor")
	case BackendALSA:
		return strings.Contains(strings.ToLower(name), "loopback")
	}
	return false
}

// deviceID is a device's id as text: the pulse backend's id is the source's name
// ("keep.monitor", "alsa_input.usb-…"), which pactl lists beside the description.
func deviceID(id malgo.DeviceID) string {
	n := string(id[:])
	if i := strings.IndexByte(n, 0); i >= 0 {
		n = n[:i]
	}
	return n
}

// Block is one device callback's audio.
type Block struct {
	// Host is the host monotonic time (the clock passed to Start) at the callback, minus the
	// block's duration: the time of its first frame.
	Host time.Duration
	// Frame is the index of its first frame since the capture started. Frames dropped on an
	// overrun leave a gap in the sequence.
	Frame int64
	// PCM holds the block's interleaved 16-bit samples; the receiver owns it.
	PCM []int16
	// Upstream is how many frames the sound server lost just before this block, before the
	// capture saw them (found from the blocks' stamps: upstream.go); Frame leaves a gap of
	// them after the block before.
	Upstream int64
}

// Frames is the number of frames in the block for channels channels.
func (b Block) Frames(channels int) int { return len(b.PCM) / channels }

// Level is the audio level of the last ~100 ms, in dBFS (a full-scale square wave reads 0 for
// both; a full-scale sine −3 dB RMS, 0 dB peak), at least MinDB.
type Level struct {
	RMS, Peak float64
}

// Capture is a running capture device. Blocks are delivered, in order, on one goroutine that
// the Capture owns.
type Capture struct {
	cfg      Config
	backend  string
	device   string
	clock    func() time.Duration
	onBlock  func(Block)
	ring     *ring
	next     atomic.Int64 // next frame index (callback side)
	lastCB   atomic.Int64 // host ns of the last callback
	notify   chan struct{}
	stopping atomic.Bool
	lostCB   atomic.Bool // the device stopped without Stop
	gone     atomic.Bool // the device is no longer listed
	id       malgo.DeviceID
	monitor  bool // the device records an output (a loopback), not a microphone

	mctx *malgo.AllocatedContext
	dev  *malgo.Device

	up      upstream // the delivery goroutine's
	upLost  atomic.Int64
	upSteps atomic.Int64

	stopOnce sync.Once
	quit     chan struct{}
	done     chan struct{}
	unwatch  func() bool

	mu      sync.Mutex
	err     error
	level   Level
	levelAt time.Duration // host time of the block the level is of; -1: none yet
}

// backendOrder maps Config.Backend to the backends tried, in order.
func backendOrder(name string) ([]string, error) {
	switch name {
	case BackendAuto:
		return []string{BackendPulse, BackendALSA}, nil
	case BackendPulse, BackendALSA, BackendNull:
		return []string{name}, nil
	}
	return nil, fmt.Errorf("unknown audio backend %q (want \"\", %q, %q or %q)",
		name, BackendPulse, BackendALSA, BackendNull)
}

func malgoBackend(name string) malgo.Backend {
	switch name {
	case BackendPulse:
		return malgo.BackendPulseaudio
	case BackendALSA:
		return malgo.BackendAlsa
	}
	// malgo v0.11.24's BackendNull is miniaudio's "custom" backend: null is the next one.
	return malgo.Backend(malgo.BackendNull + 1)
}

// logTail keeps miniaudio's last few error messages, to explain a failure.
type logTail struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logTail) add(msg string) {
	msg = strings.TrimSpace(msg)
	// miniaudio logs at every level through one callback: keep what explains a failure.
	low := strings.ToLower(msg)
	if !strings.Contains(low, "fail") && !strings.Contains(low, "error") && !strings.Contains(low, "unable") {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.msgs) == 2 {
		l.msgs = l.msgs[1:]
	}
	l.msgs = append(l.msgs, msg)
}

func (l *logTail) wrap(err error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.msgs) == 0 {
		return err
	}
	return fmt.Errorf("%w (%s)", err, strings.Join(l.msgs, "; "))
}

func initContext(backend string, logs *logTail) (*malgo.AllocatedContext, error) {
	alsamsg.Catch() // libasound's errors kept, not printed under the window
	var proc malgo.LogProc
	if logs != nil {
		proc = logs.add
	}
	mctx, err := malgo.InitContext([]malgo.Backend{malgoBackend(backend)}, malgo.ContextConfig{}, proc)
	if err != nil {
		if logs != nil {
			err = logs.wrap(err)
		}
		return nil, fmt.Errorf("%s: init context: %w", backend, err)
	}
	return mctx, nil
}

func closeContext(mctx *malgo.AllocatedContext) {
	_ = mctx.Uninit()
	mctx.Free()
}

// Devices lists the capture devices of backend ("" lists those of every backend that answers).
// An error means no backend answered.
func Devices(backend string) ([]DeviceInfo, error) {
	order, err := backendOrder(backend)
	if err != nil {
		return nil, err
	}
	var out []DeviceInfo
	var reasons []string
	answered := false
	for _, b := range order {
		mctx, err := initContext(b, nil)
		if err != nil {
			reasons = append(reasons, err.Error())
			continue
		}
		devs, err := mctx.Devices(malgo.Capture)
		closeContext(mctx)
		if err != nil {
			reasons = append(reasons, fmt.Sprintf("%s: list devices: %v", b, err))
			continue
		}
		answered = true
		for _, d := range devs {
			out = append(out, DeviceInfo{Name: d.Name(), Default: d.IsDefault != 0, Backend: b,
				Monitor: isMonitor(b, d.ID, d.Name())})
		}
	}
	if !answered {
		return nil, fmt.Errorf("list capture devices: %w: %s", ErrNoDevice, strings.Join(reasons, "; "))
	}
	return out, nil
}

// Start opens the capture device cfg describes and starts delivering blocks to onBlock, on a
// goroutine the Capture owns, until Stop or until ctx is done. clock gives host monotonic time
// (the session clock); it is called from the audio thread and the delivery goroutine, so it
// must be safe for concurrent use and quick. nil means time since Start. With Backend "" it tries
// PulseAudio, then ALSA, as miniaudio does not fall back by itself when a capture device fails
// to open. Failing every backend gives an error wrapping ErrNoDevice with each reason.
//
// onBlock must keep up with the device on average; a burst of up to four seconds is buffered.
func Start(ctx context.Context, cfg Config, clock func() time.Duration, onBlock func(Block)) (*Capture, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("start capture: %w", err)
	}
	if cfg.Device == DeviceNone {
		return nil, ErrDisabled
	}
	cfg = cfg.withDefaults()
	if cfg.Rate < 8000 || cfg.Rate > 384000 || cfg.Channels < 1 || cfg.Channels > 8 {
		return nil, fmt.Errorf("start capture: bad format %d Hz × %d channels", cfg.Rate, cfg.Channels)
	}
	order, err := backendOrder(cfg.Backend)
	if err != nil {
		return nil, fmt.Errorf("start capture: %w", err)
	}
	if clock == nil {
		t0 := time.Now()
		clock = func() time.Duration { return time.Since(t0) }
	}
	if onBlock == nil {
		onBlock = func(Block) {}
	}
	var reasons []string
	for _, b := range order {
		alsamsg.Take() // what an earlier backend or probe left is not this open's reason
		c, err := open(b, cfg, clock, onBlock)
		if m := alsamsg.Take(); err != nil && m != "" {
			err = fmt.Errorf("%w (ALSA: %s)", err, m)
		}
		if err == nil {
			unwatch := context.AfterFunc(ctx, func() { _ = c.Stop() })
			c.mu.Lock()
			c.unwatch = unwatch
			c.mu.Unlock()
			return c, nil
		}
		reasons = append(reasons, err.Error())
	}
	return nil, fmt.Errorf("start capture: %w: %s", ErrNoDevice, strings.Join(reasons, "; "))
}

func open(backend string, cfg Config, clock func() time.Duration, onBlock func(Block)) (*Capture, error) {
	logs := &logTail{}
	mctx, err := initContext(backend, logs)
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			closeContext(mctx)
		}
	}()

	var id *malgo.DeviceID
	var opened malgo.DeviceID // the device's id as listed, to watch it
	name := ""
	devs, lerr := mctx.Devices(malgo.Capture)
	if cfg.Device != "" {
		if lerr != nil {
			return nil, fmt.Errorf("%s: list devices: %w", backend, logs.wrap(lerr))
		}
		want := strings.ToLower(cfg.Device)
		var names []string
		for i := range devs {
			names = append(names, fmt.Sprintf("%q", devs[i].Name()))
			// A part of the description ("Zoom H5") or, on PulseAudio, of the source's name as
			// pactl lists it ("alsa_input.usb-zoom").
			matches := strings.Contains(strings.ToLower(devs[i].Name()), want) ||
				(backend == BackendPulse && strings.Contains(strings.ToLower(deviceID(devs[i].ID)), want))
			if id == nil && matches {
				id, name, opened = &devs[i].ID, devs[i].Name(), devs[i].ID
			}
		}
		if id == nil {
			return nil, fmt.Errorf("%s: no capture device matching %q (have %s)",
				backend, cfg.Device, strings.Join(names, ", "))
		}
	} else {
		for i := range devs {
			if devs[i].IsDefault != 0 {
				name, opened = devs[i].Name(), devs[i].ID
			}
		}
		if name == "" {
			name = "default"
		}
	}

	c := &Capture{
		cfg:     cfg,
		backend: backend,
		device:  name,
		clock:   clock,
		onBlock: onBlock,
		ring:    newRing(ringSeconds*cfg.Rate, cfg.Channels, 4096),
		up:      upstream{rate: cfg.Rate},
		notify:  make(chan struct{}, 1),
		id:      opened,
		monitor: name != "default" && isMonitor(backend, opened, name),
		levelAt: -1,
		quit:    make(chan struct{}),
		done:    make(chan struct{}),
	}

	dc := malgo.DefaultDeviceConfig(malgo.Capture)
	dc.Capture.Format = malgo.FormatS16
	dc.Capture.Channels = uint32(cfg.Channels)
	dc.SampleRate = uint32(cfg.Rate)
	dc.PeriodSizeInMilliseconds = uint32(period / time.Millisecond)
	dc.Pulse.StreamNameCapture = "Sightline dictation"
	if id != nil {
		p := id.Pointer() // C memory; miniaudio copies the id during init
		defer cfree(p)
		dc.Capture.DeviceID = p
	}
	dev, err := malgo.InitDevice(mctx.Context, dc, malgo.DeviceCallbacks{Data: c.onData, Stop: c.onStop})
	if err != nil {
		return nil, fmt.Errorf("%s: open capture device %q: %w", backend, name, logs.wrap(err))
	}
	if got := int(dev.SampleRate()); got != cfg.Rate {
		dev.Uninit()
		return nil, fmt.Errorf("%s: device %q runs at %d Hz, not %d", backend, name, got, cfg.Rate)
	}
	c.lastCB.Store(int64(clock()))
	if err := dev.Start(); err != nil {
		dev.Uninit()
		return nil, fmt.Errorf("%s: start capture device %q: %w", backend, name, logs.wrap(err))
	}
	c.mctx, c.dev = mctx, dev
	ok = true
	go c.deliver()
	if backend == BackendPulse && lerr == nil && name != "default" {
		go c.watch()
	}
	return c, nil
}

// watch checks every watchEvery that the device is still listed (a named device) or still the
// default (the default device), until Stop. It lists the devices on a context of its own: the
// capture's is not to be used from two goroutines, and a server that hangs leaves only this
// goroutine waiting.
func (c *Capture) watch() {
	t := time.NewTicker(watchEvery)
	defer t.Stop()
	for {
		select {
		case <-c.quit:
			return
		case <-t.C:
		}
		mctx, err := initContext(c.backend, nil)
		if err != nil {
			continue // the server is gone: the device stops, or stalls, and says so
		}
		devs, err := mctx.Devices(malgo.Capture)
		closeContext(mctx)
		if err != nil || c.stopping.Load() {
			continue
		}
		listed, def := false, -1
		for i := range devs {
			listed = listed || devs[i].ID == c.id
			if devs[i].IsDefault != 0 {
				def = i
			}
		}
		if c.cfg.Device != "" {
			if !listed {
				c.gone.Store(true)
				c.fail(fmt.Errorf("%w: %s device %q was removed", ErrDeviceLost, c.backend, c.Device()))
				return
			}
			continue
		}
		if def >= 0 && devs[def].ID != c.id {
			was := c.Device()
			c.mu.Lock()
			c.id, c.device = devs[def].ID, devs[def].Name()
			c.monitor = isMonitor(c.backend, c.id, c.device)
			c.mu.Unlock()
			c.fail(fmt.Errorf("%w: the default %s device changed from %q to %q", ErrDeviceChanged, c.backend, was, devs[def].Name()))
		}
	}
}

// onData runs on miniaudio's device thread: it stamps the callback, copies it into the ring and
// wakes the delivery goroutine. It never blocks.
func (c *Capture) onData(_, in []byte, frames uint32) {
	if d := holdCallback.Load(); d > 0 && holdCallback.CompareAndSwap(d, 0) {
		time.Sleep(time.Duration(d)) // a test's starved audio thread
	}
	host := c.clock()
	n := int64(frames)
	first := c.next.Add(n) - n
	dur := time.Duration(n) * time.Second / time.Duration(c.cfg.Rate)
	c.lastCB.Store(int64(host))
	if want := int(frames) * c.cfg.Channels * 2; len(in) < want {
		return // cannot happen with a capture device; keep the ring consistent if it does
	}
	c.ring.push(first, host-dur, in[:int(frames)*c.cfg.Channels*2])
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

// onStop runs when the device stops, asked or not.
func (c *Capture) onStop() {
	if c.stopping.Load() {
		return
	}
	c.lostCB.Store(true)
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

// deliver is the delivery goroutine: it hands blocks to onBlock, keeps the level meter and
// watches for a lost device.
func (c *Capture) deliver() {
	defer close(c.done)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	var meter meter
	meter.window = c.cfg.Rate / 10
	drain := func() {
		for {
			b, ok := c.ring.pop()
			if !ok {
				return
			}
			if n := c.up.place(&b); n > 0 {
				b.Upstream = n
				c.upLost.Add(n)
				c.upSteps.Add(1)
			}
			if lv, changed := meter.add(b.PCM, c.cfg.Channels); changed {
				c.mu.Lock()
				c.level, c.levelAt = lv, b.Host
				c.mu.Unlock()
			}
			c.onBlock(b)
		}
	}
	stalled := false
	for {
		select {
		case <-c.quit:
			drain()
			return
		case <-c.notify:
		case <-tick.C:
		}
		drain()
		if c.lostCB.Load() {
			c.fail(fmt.Errorf("%w: %s device %q stopped", ErrDeviceLost, c.backend, c.Device()))
			return
		}
		quiet := c.clock() - time.Duration(c.lastCB.Load())
		if !stalled && quiet > stallTimeout && !c.gone.Load() { // a removed device was reported
			// Not fatal: should the device come back, its frames go on being delivered.
			stalled = true
			c.fail(fmt.Errorf("%w: no audio from %s device %q for %v", ErrDeviceLost,
				c.backend, c.Device(), quiet.Round(time.Second)))
		} else if quiet < stallTimeout {
			stalled = false
		}
	}
}

func (c *Capture) fail(err error) {
	c.mu.Lock()
	c.err = err
	c.mu.Unlock()
	if c.cfg.OnError != nil {
		c.cfg.OnError(err)
	}
}

// Stop stops the device, delivers the blocks still buffered and releases the device. It returns
// Err(). It must not be called from onBlock or OnError. Stopping twice is harmless.
func (c *Capture) Stop() error {
	c.stopOnce.Do(func() {
		c.stopping.Store(true)
		c.mu.Lock()
		unwatch := c.unwatch
		c.mu.Unlock()
		if unwatch != nil {
			unwatch()
		}
		released := make(chan struct{})
		go func() {
			defer close(released)
			// Stop first: it wakes the backend's loop, which Uninit alone does not, and
			// miniaudio's PulseAudio loop waits forever on a server that died.
			_ = c.dev.Stop()
			c.dev.Uninit() // waits for the device thread: no callback runs after it
			closeContext(c.mctx)
		}()
		select {
		case <-released:
		case <-time.After(releaseTimeout):
			// The device thread is stuck in the backend: leave it (and this goroutine) behind
			// rather than freeze the station.
			c.mu.Lock()
			if c.err == nil {
				c.err = fmt.Errorf("%w: %s device %q did not close within %v", ErrDeviceLost,
					c.backend, c.device, releaseTimeout)
			}
			c.mu.Unlock()
		}
		close(c.quit)
		<-c.done
	})
	return c.Err()
}

// Err is the error that ended or interrupted capture (wrapping ErrDeviceLost), or nil.
func (c *Capture) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Overruns counts the device callbacks whose audio was dropped because delivery fell behind.
func (c *Capture) Overruns() int64 { return c.ring.overruns.Load() }

// DroppedFrames counts the frames those overruns lost.
func (c *Capture) DroppedFrames() int64 { return c.ring.dropped.Load() }

// UpstreamLost counts the frames the sound server lost before the capture saw them, and
// UpstreamSteps the times it did (Block.Upstream).
func (c *Capture) UpstreamLost() int64  { return c.upLost.Load() }
func (c *Capture) UpstreamSteps() int64 { return c.upSteps.Load() }

// holdCallback, when set, holds the next device callback that long (tests: an audio thread
// that does not run, as on a starved machine), then clears.
var holdCallback atomic.Int64

// Frames counts the frames the device has produced since the start, dropped ones included.
func (c *Capture) Frames() int64 { return c.next.Load() }

// Level is the RMS and peak level of the last ~100 ms delivered, for the operator's meter.
// With nothing delivered for levelStale (none yet, a stalled or lost device) it reads MinDB:
// the meter must not stand still at the last level heard, nor read full scale before any.
func (c *Capture) Level() Level {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.levelAt < 0 || c.clock()-c.levelAt > levelStale {
		return Level{RMS: MinDB, Peak: MinDB}
	}
	return c.level
}

// levelStale is how old the last block may be for Level to still show it: PulseAudio delivers
// in bursts of up to a few hundred milliseconds.
const levelStale = time.Second

// Backend is the backend in use ("pulse", "alsa" or "null").
func (c *Capture) Backend() string { return c.backend }

// Device is the name of the device in use ("default" when the backend does not name it). A
// capture of the default device follows it when it changes.
func (c *Capture) Device() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.device
}

// Monitor reports whether the device records an output (a loopback of the speakers), not a
// microphone.
func (c *Capture) Monitor() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.monitor
}

// Over reports whether capture is over without Stop: the device stopped on its own or was
// removed. A stall is not over: delivery resumes should the device come back.
func (c *Capture) Over() bool { return c.lostCB.Load() || c.gone.Load() }

// Rate is the sample rate in Hz.
func (c *Capture) Rate() int { return c.cfg.Rate }

// Channels is the number of interleaved channels.
func (c *Capture) Channels() int { return c.cfg.Channels }

// meter folds blocks into the level of the last window frames.
type meter struct {
	window int
	blocks []blockLevel
	frames int
}

type blockLevel struct {
	sumsq  float64
	peak   int32
	frames int
}

func (m *meter) add(pcm []int16, channels int) (Level, bool) {
	if len(pcm) == 0 {
		return Level{}, false
	}
	var bl blockLevel
	for _, s := range pcm {
		v := int32(s)
		bl.sumsq += float64(v) * float64(v)
		if v < 0 {
			v = -v
		}
		bl.peak = max(bl.peak, v)
	}
	bl.frames = len(pcm) / channels
	m.blocks = append(m.blocks, bl)
	m.frames += bl.frames
	for len(m.blocks) > 1 && m.frames-m.blocks[0].frames >= m.window {
		m.frames -= m.blocks[0].frames
		m.blocks = m.blocks[1:]
	}
	var sumsq float64
	var peak int32
	for _, b := range m.blocks {
		sumsq += b.sumsq
		peak = max(peak, b.peak)
	}
	n := float64(m.frames * channels)
	return Level{RMS: dbfs(math.Sqrt(sumsq / n)), Peak: dbfs(float64(peak))}, true
}

func dbfs(v float64) float64 {
	if v <= 0 {
		return MinDB
	}
	return max(MinDB, 20*math.Log10(v/32768))
}
