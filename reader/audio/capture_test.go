package audio

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// collector gathers delivered blocks and signals when it has frames frames.
type collector struct {
	mu       sync.Mutex
	blocks   []Block
	frames   int64
	want     int64
	channels int
	enough   chan struct{}
	once     sync.Once
}

func newCollector(want int64, channels int) *collector {
	return &collector{want: want, channels: channels, enough: make(chan struct{})}
}

func (c *collector) add(b Block) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frames >= c.want {
		return
	}
	c.blocks = append(c.blocks, b)
	c.frames += int64(b.Frames(c.channels))
	if c.frames >= c.want {
		c.once.Do(func() { close(c.enough) })
	}
}

// wait waits until the collector has its frames; limit is generous (a loaded machine may be
// slow), never part of what is tested.
func (c *collector) wait(t *testing.T, limit time.Duration) {
	t.Helper()
	select {
	case <-c.enough:
	case <-time.After(limit):
		c.mu.Lock()
		defer c.mu.Unlock()
		t.Fatalf("only %d of %d frames delivered within %v", c.frames, c.want, limit)
	}
}

// TestNullCapture captures one second through miniaudio's null backend, which produces silence
// at exactly the nominal rate in 10 ms periods: the frame counts are exact.
func TestNullCapture(t *testing.T) {
	for _, f := range []struct {
		name           string
		rate, channels int
	}{
		{"48k mono", 48000, 1},
		{"16k stereo", 16000, 2},
	} {
		t.Run(f.name, func(t *testing.T) {
			col := newCollector(int64(f.rate), f.channels)
			c, err := Start(context.Background(), Config{Backend: BackendNull, Rate: f.rate, Channels: f.channels}, nil, col.add)
			if err != nil {
				t.Fatal(err)
			}
			col.wait(t, time.Minute)
			if err := c.Stop(); err != nil {
				t.Fatalf("Stop: %v", err)
			}
			if c.Backend() != BackendNull || c.Rate() != f.rate || c.Channels() != f.channels {
				t.Errorf("capture runs %s at %d Hz × %d", c.Backend(), c.Rate(), c.Channels())
			}
			per := f.rate / 100
			if len(col.blocks) != 100 {
				t.Errorf("%d blocks for %d frames, want 100 blocks of %d", len(col.blocks), col.frames, per)
			}
			var next int64
			for i, b := range col.blocks {
				if b.Frame != next {
					t.Fatalf("block %d starts at frame %d, want %d (continuity)", i, b.Frame, next)
				}
				if b.Frames(f.channels) != per || len(b.PCM)%f.channels != 0 {
					t.Errorf("block %d has %d samples, want %d frames × %d", i, len(b.PCM), per, f.channels)
				}
				if i > 0 && b.Host < col.blocks[i-1].Host {
					t.Errorf("block %d host time %v before the previous block's %v", i, b.Host, col.blocks[i-1].Host)
				}
				for _, s := range b.PCM {
					if s != 0 {
						t.Fatalf("block %d: null device gave a non-zero sample %d", i, s)
					}
				}
				next += int64(b.Frames(f.channels))
			}
			if c.Frames() < int64(f.rate) {
				t.Errorf("device frame counter %d, want at least %d", c.Frames(), f.rate)
			}
			if c.Overruns() != 0 || c.DroppedFrames() != 0 {
				t.Errorf("%d overruns (%d frames) on an idle machine", c.Overruns(), c.DroppedFrames())
			}
			if lv := c.Level(); lv.RMS != MinDB || lv.Peak != MinDB {
				t.Errorf("level of silence %+v, want %v", lv, MinDB)
			}
		})
	}
}

// TestNullCaptureToCase routes a null-device capture through CaseAudio as the station does, up
// to exactly one second, and checks the files.
func TestNullCaptureToCase(t *testing.T) {
	dir := t.TempDir()
	ca, err := NewCase(dir, 48000, 1, "NULL", BackendNull)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var addErr error
	c, err := Start(context.Background(), Config{Backend: BackendNull}, nil, func(b Block) {
		if ca.Frames() >= 48000 || addErr != nil {
			return
		}
		if addErr = ca.Add(b); addErr != nil || ca.Frames() >= 48000 {
			close(done)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("one second of null audio did not arrive within a minute")
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if addErr != nil {
		t.Fatal(addErr)
	}
	if err := ca.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ca.Wait(); err != nil {
		t.Fatal(err)
	}
	if got := pythonWave(t, filepath.Join(dir, WAVFile))[0]; got != (waveInfo{48000, 48000, 48000}) {
		t.Errorf("python wave: %+v, want 48000 frames at 48 kHz", got)
	}
	m, err := ReadMeta(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.Frames != 48000 || m.Overruns != 0 || !m.Complete || m.FirstFrameHostNS < 0 || m.Device != "NULL" {
		t.Errorf("audio.json %+v", m)
	}
	// The clock figures are the fit of the stamps the case recorded: one per block, frames
	// contiguous from 0, host times in order. How close the stamps sit to a line depends on
	// the machine's load; that the record describes them does not.
	st := ca.Stamps()
	if len(st) != 100 {
		t.Fatalf("%d stamps for one second of 10 ms blocks, want 100", len(st))
	}
	for i, s := range st {
		if s.Frame != int64(i)*480 || i > 0 && s.Host < st[i-1].Host {
			t.Fatalf("stamp %d: %+v after %+v", i, s, st[max(i-1, 0)])
		}
	}
	fit := FitClock(st, 48000)
	if m.FitOffsetNS != int64(fit.Offset) || m.DriftNS != int64(fit.Drift) || m.JitterNS != int64(fit.Jitter) ||
		m.EnvelopeDriftNS != int64(fit.EnvelopeDrift) || m.JitterNS < 0 {
		t.Errorf("audio.json clock %+v, want the fit of its stamps %+v", m, fit)
	}
	t.Logf("null device clock: jitter %v, drift %v", time.Duration(m.JitterNS), time.Duration(m.DriftNS))
}

func TestStartRefuses(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		name     string
		ctx      context.Context
		cfg      Config
		noDevice bool   // the error wraps ErrNoDevice
		says     string // and names this
	}{
		{"disabled", context.Background(), Config{Device: DeviceNone}, true, "disabled"},
		{"no such device", context.Background(), Config{Backend: BackendNull, Device: "Zoom H5 USB"}, true, "Zoom H5 USB"},
		{"unknown backend", context.Background(), Config{Backend: "jack"}, false, "jack"},
		{"bad rate", context.Background(), Config{Backend: BackendNull, Rate: 100}, false, "100 Hz"},
		{"bad channels", context.Background(), Config{Backend: BackendNull, Channels: 99}, false, "99 channels"},
		{"cancelled", cancelled, Config{Backend: BackendNull}, false, "canceled"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cp, err := Start(c.ctx, c.cfg, nil, nil)
			if err == nil {
				cp.Stop()
				t.Fatal("Start succeeded")
			}
			if errors.Is(err, ErrNoDevice) != c.noDevice {
				t.Errorf("Start: %v; wraps ErrNoDevice = %v, want %v", err, errors.Is(err, ErrNoDevice), c.noDevice)
			}
			if !strings.Contains(err.Error(), c.says) {
				t.Errorf("Start: %q does not say %q", err, c.says)
			}
		})
	}
	if _, err := Start(context.Background(), Config{Device: DeviceNone}, nil, nil); !errors.Is(err, ErrDisabled) {
		t.Errorf("Device none: %v, want ErrDisabled", err)
	}
}

func TestDevicesNull(t *testing.T) {
	devs, err := Devices(BackendNull)
	if err != nil {
		t.Fatal(err)
	}
	if len(devs) == 0 || devs[0].Backend != BackendNull || devs[0].Name == "" {
		t.Fatalf("null backend lists %+v", devs)
	}
	if _, err := Devices("jack"); err == nil {
		t.Error("Devices of an unknown backend succeeded")
	}
}

// TestCaptureStopsWithContext: cancelling Start's context stops the capture.
func TestCaptureStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	col := newCollector(4800, 1)
	c, err := Start(ctx, Config{Backend: BackendNull}, nil, col.add)
	if err != nil {
		t.Fatal(err)
	}
	col.wait(t, time.Minute)
	cancel()
	select {
	case <-c.done:
	case <-time.After(time.Minute):
		t.Fatal("capture still delivering a minute after its context was cancelled")
	}
	if err := c.Stop(); err != nil {
		t.Errorf("Stop after cancel: %v", err)
	}
}

// TestDeviceStops: a device that stops by itself (unplugged) is reported once, through OnError
// and Err, wrapping ErrDeviceLost.
func TestDeviceStops(t *testing.T) {
	errs := make(chan error, 4)
	col := newCollector(4800, 1)
	c, err := Start(context.Background(), Config{Backend: BackendNull, OnError: func(err error) { errs <- err }}, nil, col.add)
	if err != nil {
		t.Fatal(err)
	}
	col.wait(t, time.Minute)
	// What miniaudio does when the backend reports the device gone: stop it, calling onStop.
	if err := c.dev.Stop(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errs:
		if !errors.Is(err, ErrDeviceLost) {
			t.Errorf("OnError got %v, want ErrDeviceLost", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("OnError not called within a minute of the device stopping")
	}
	if !errors.Is(c.Err(), ErrDeviceLost) {
		t.Errorf("Err() = %v", c.Err())
	}
	if err := c.Stop(); !errors.Is(err, ErrDeviceLost) {
		t.Errorf("Stop() = %v, want the loss", err)
	}
	if len(errs) != 0 {
		t.Errorf("OnError called %d more times", len(errs))
	}
}

func TestRing(t *testing.T) {
	r := newRing(10, 2, 4) // 32 samples (16 frames), 4 stamps
	le := func(frames int, v int16) []byte {
		b := make([]byte, frames*2*2)
		for i := 0; i < frames*2; i++ {
			b[2*i], b[2*i+1] = byte(v), byte(uint16(v)>>8)
		}
		return b
	}
	frame := int64(0)
	push := func(frames int, v int16) bool {
		ok := r.push(frame, time.Duration(frame)*time.Millisecond, le(frames, v))
		frame += int64(frames)
		return ok
	}
	if !push(6, 1) || !push(6, -2) {
		t.Fatal("push into an empty ring failed")
	}
	if push(6, 3) { // 36 samples > 32
		t.Fatal("push past the ring's samples succeeded")
	}
	b, ok := r.pop()
	if !ok || b.Frame != 0 || len(b.PCM) != 12 || b.PCM[0] != 1 || b.PCM[11] != 1 {
		t.Fatalf("pop 1: %+v %v", b, ok)
	}
	if !push(6, 4) { // wraps around the end of the sample buffer
		t.Fatal("push after pop failed")
	}
	b, _ = r.pop()
	if b.Frame != 6 || b.PCM[0] != -2 {
		t.Fatalf("pop 2: %+v", b)
	}
	b, _ = r.pop()
	if b.Frame != 18 || len(b.PCM) != 12 || b.Host != 18*time.Millisecond {
		t.Fatalf("pop 3 (after the dropped block, frames 12–17 are a gap): %+v", b)
	}
	for i, s := range b.PCM {
		if s != 4 {
			t.Fatalf("pop 3 sample %d = %d across the wrap, want 4", i, s)
		}
	}
	if _, ok := r.pop(); ok {
		t.Fatal("pop from an empty ring succeeded")
	}
	for i := range 4 {
		if !push(1, int16(i)) {
			t.Fatalf("stamp %d refused", i)
		}
	}
	if push(1, 9) {
		t.Fatal("push past the ring's stamps succeeded")
	}
	if r.overruns.Load() != 2 || r.dropped.Load() != 7 {
		t.Errorf("overruns %d (%d frames), want 2 (7)", r.overruns.Load(), r.dropped.Load())
	}
}

func TestMeter(t *testing.T) {
	square := make([]int16, 480)
	for i := range square {
		square[i] = 32767
		if i%2 == 1 {
			square[i] = -32768
		}
	}
	cases := []struct {
		name      string
		pcm       []int16
		rms, peak float64
	}{
		{"silence", make([]int16, 480), MinDB, MinDB},
		{"full-scale square", square, 0, 0},
		{"half-scale sine", sine(0, 4800, 1, 48000, 1000, 0.5), -6.02 - 3.01, -6.02},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := meter{window: 4800}
			lv, _ := m.add(c.pcm, 1)
			if math.Abs(lv.RMS-c.rms) > 0.05 || math.Abs(lv.Peak-c.peak) > 0.05 {
				t.Errorf("level %+v, want RMS %.2f, peak %.2f", lv, c.rms, c.peak)
			}
		})
	}
	// The window forgets: loud, then 100 ms of silence, reads silent.
	m := meter{window: 4800}
	m.add(square, 1)
	for range 10 {
		m.add(make([]int16, 480), 1)
	}
	if lv, _ := m.add(make([]int16, 480), 1); lv.Peak != MinDB {
		t.Errorf("100 ms after a loud block the peak still reads %v", lv.Peak)
	}
}

// BenchmarkRing measures the audio thread's share of a 10 ms block (push: stamp and copy into
// the ring) with the delivery side's pop, for 48 kHz mono.
func BenchmarkRing(b *testing.B) {
	r := newRing(4*48000, 1, 4096)
	le := make([]byte, 480*2)
	var frame int64
	b.SetBytes(int64(len(le)))
	for b.Loop() {
		if !r.push(frame, 0, le) {
			b.Fatal("overrun")
		}
		frame += 480
		if _, ok := r.pop(); !ok {
			b.Fatal("empty")
		}
	}
}
