package audio

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gen2brain/malgo"

	"sightline/reader/audio/pulsetest"
)

// waitErr waits for an OnError report wrapping want.
func waitErr(t *testing.T, errs <-chan error, want error, limit time.Duration) error {
	t.Helper()
	deadline := time.After(limit)
	for {
		select {
		case err := <-errs:
			if errors.Is(err, want) {
				return err
			}
			t.Logf("OnError: %v", err)
		case <-deadline:
			t.Fatalf("no error wrapping %q reported within %v", want, limit)
			return nil
		}
	}
}

// TestPulseSourceRemoved: the source being recorded is removed (its null sink unloaded). The
// capture says so (ErrDeviceLost) and is over. Before, PulseAudio ended the stream without a
// word to miniaudio and only the 5 s stall timeout could tell.
func TestPulseSourceRemoved(t *testing.T) {
	srv := pulsetest.Start(t)
	errs := make(chan error, 8)
	col := newCollector(4800, 1)
	c, err := Start(context.Background(), Config{Backend: BackendPulse, Device: "Monitor of Doomed",
		OnError: func(err error) { errs <- err }}, nil, col.add)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	col.wait(t, time.Minute)
	if c.Over() {
		t.Fatal("Over before the source was removed")
	}
	srv.RemoveDoomed()
	err = waitErr(t, errs, ErrDeviceLost, stallTimeout+time.Minute)
	if !strings.Contains(err.Error(), "removed") {
		t.Errorf("reported %v, want the device named as removed", err)
	}
	if !c.Over() {
		t.Error("capture not over after its source was removed")
	}
}

// TestPulseDefaultChanged: capturing the default source, the default changes to another
// source. The capture says so (ErrDeviceChanged, naming both) and names the new device.
func TestPulseDefaultChanged(t *testing.T) {
	srv := pulsetest.Start(t)
	srv.Pactl("set-default-source", "doomed.monitor")
	errs := make(chan error, 8)
	col := newCollector(4800, 1)
	c, err := Start(context.Background(), Config{Backend: BackendPulse,
		OnError: func(err error) { errs <- err }}, nil, col.add)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	if c.Device() != "Monitor of Doomed" || !c.Monitor() {
		t.Fatalf("capturing %q (monitor %v), want the default, Monitor of Doomed, a monitor", c.Device(), c.Monitor())
	}
	col.wait(t, time.Minute)
	srv.Pactl("set-default-source", "keep.monitor")
	err = waitErr(t, errs, ErrDeviceChanged, stallTimeout+time.Minute)
	if !strings.Contains(err.Error(), `from "Monitor of Doomed" to "Monitor of Keep"`) {
		t.Errorf("reported %v, want both devices named", err)
	}
	if c.Device() != "Monitor of Keep" || c.Over() {
		t.Errorf("after the change: device %q, over %v", c.Device(), c.Over())
	}
}

// BenchmarkWatchPoll is one round of the PulseAudio source watcher (a context of its own, the
// device list): its cost per second of capture.
func BenchmarkWatchPoll(b *testing.B) {
	for b.Loop() {
		mctx, err := initContext(BackendPulse, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := mctx.Devices(malgo.Capture); err != nil {
			b.Fatal(err)
		}
		closeContext(mctx)
	}
}

// TestPulseDeviceBySourceName: --audio takes a part of the source's name as pactl lists it
// ("doomed.monitor") as well as of its description ("Monitor of Doomed"); the name alone was
// refused as "no capture device matching".
func TestPulseDeviceBySourceName(t *testing.T) {
	pulsetest.Start(t)
	for _, want := range []string{"doomed.monitor", "Monitor of Doomed"} {
		col := newCollector(4800, 1)
		c, err := Start(context.Background(), Config{Backend: BackendPulse, Device: want}, nil, col.add)
		if err != nil {
			t.Fatalf("Device %q: %v", want, err)
		}
		col.wait(t, time.Minute)
		if got := c.Device(); got != "Monitor of Doomed" {
			t.Errorf("Device %q opened %q, want \"Monitor of Doomed\"", want, got)
		}
		c.Stop()
	}
}
