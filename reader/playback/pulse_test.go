package playback

import (
	"bytes"
	"encoding/binary"
	"math"
	"os/exec"
	"sync"
	"testing"
	"time"

	"sightline/reader/audio/pulsetest"
)

// dictation is 3 s at 16 kHz: a quiet tone with loud clicks at known frames.
func dictation() (pcm []int16, clicks []int) {
	const rate = 16000
	pcm = make([]int16, 3*rate)
	for i := range pcm {
		pcm[i] = int16(500 * math.Sin(2*math.Pi*330*float64(i)/rate))
	}
	clicks = []int{8000, 20000, 26400, 40000}
	for _, c := range clicks {
		for i := c; i < c+48; i++ {
			pcm[i] = 28000
		}
	}
	return pcm, clicks
}

// findClicks gives the first frame of each run of loud samples.
func findClicks(pcm []int16) []int {
	var out []int
	last := -1000
	for i, v := range pcm {
		if v > 14000 || v < -14000 {
			if i-last > 800 {
				out = append(out, i)
			}
			last = i
		}
	}
	return out
}

// TestPlaysThroughPulse plays a dictation through oto into a PulseAudio null sink, records the
// sink's monitor, and finds the dictation in the recording: the same clicks, the same distances
// apart (to 20 ms: a recording on a loaded machine may drop a block), a tone that correlates with the original between them; and Heard counts the
// frames to the end. Timing on this loaded machine is not asserted, only what was heard.
func TestPlaysThroughPulse(t *testing.T) {
	pulsetest.Start(t) // a private server: its first null sink ("keep") is the default
	// The witness gets a deep buffer: a recorder starved of CPU on a loaded machine drops whole
	// blocks of the monitor (a run under -race recorded 757 frames fewer between two clicks than
	// were played: fewer, so the recorder lost them; a player that ran dry would add silence).
	rec := exec.Command("parec", "-d", "keep.monitor", "--raw", "--format=s16le", "--rate=16000", "--channels=1", "--latency-msec=500")
	got := &lockedBuffer{}
	rec.Stdout = got
	if err := rec.Start(); err != nil {
		t.Fatalf("parec (Debian package pulseaudio-utils): %v", err)
	}
	defer rec.Process.Kill()
	// parec may take seconds to connect on a loaded machine: play only once the monitor is
	// being recorded (a null sink's monitor streams silence while nothing plays), or the first
	// click falls before the recording starts.
	ready := time.Now().Add(30 * time.Second)
	for len(got.bytes()) < 2*1600 {
		if time.Now().After(ready) {
			t.Fatalf("parec recorded nothing from keep.monitor in 30 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	out, err := Open(16000, 1, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	pcm, clicks := dictation()
	if err := out.Play(pcm, 16000, 1, 0); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	var heard int64
	for {
		f, playing, err := out.Heard()
		if err != nil {
			t.Fatal(err)
		}
		if f < heard {
			t.Fatalf("heard went back from %d to %d", heard, f)
		}
		heard = f
		if !playing {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still playing after 30 s, at frame %d of %d", f, len(pcm))
		}
		time.Sleep(20 * time.Millisecond) // polling the player, as the view does each frame
	}
	if heard < int64(len(pcm))-1600 {
		t.Fatalf("stopped at frame %d of %d", heard, len(pcm))
	}
	// Wait until the recording holds every click (the monitor lags the sink).
	want := len(clicks)
	for {
		b := got.bytes()
		rpcm := make([]int16, len(b)/2)
		for i := range rpcm {
			rpcm[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
		}
		found := findClicks(rpcm)
		if len(found) >= want {
			for i := range clicks {
				d := (found[i] - found[0]) - (clicks[i] - clicks[0])
				if d < -320 || d > 320 { // 20 ms: the monitor may drop a block on a loaded machine
					t.Fatalf("click %d recorded %d frames from the first, played %d apart", i, found[i]-found[0], clicks[i]-clicks[0])
				}
			}
			// The tone between the first two clicks, aligned on the first click.
			off := found[0] - clicks[0]
			var sxy, sxx, syy float64
			for i := clicks[0] + 400; i < clicks[1]-400; i++ {
				x, y := float64(pcm[i]), float64(rpcm[i+off])
				sxy, sxx, syy = sxy+x*y, sxx+x*x, syy+y*y
			}
			if r := sxy / math.Sqrt(sxx*syy); !(r > 0.9) {
				t.Fatalf("recorded tone correlates %.3f with the played one", r)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d clicks recorded (%d bytes), want %d", len(found), len(got.bytes()), want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// lockedBuffer takes parec's output on exec's copying goroutine while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.b.Bytes())
}

func TestConvert(t *testing.T) {
	for _, tc := range []struct {
		name                   string
		in                     []int16
		rate, ch, toRate, toCh int
		want                   []int16
	}{
		{"same", []int16{1, 2, 3}, 8000, 1, 8000, 1, []int16{1, 2, 3}},
		{"mono to stereo", []int16{1, 2}, 8000, 1, 8000, 2, []int16{1, 1, 2, 2}},
		{"stereo to mono", []int16{2, 4, -2, -4}, 8000, 2, 8000, 1, []int16{3, -3}},
		{"double rate", []int16{0, 10}, 8000, 1, 16000, 1, []int16{0, 5, 10, 10}},
		{"half rate", []int16{0, 10, 20, 30}, 16000, 1, 8000, 1, []int16{0, 20}},
	} {
		got := Convert(tc.in, tc.rate, tc.ch, tc.toRate, tc.toCh)
		if !slicesEqual(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func slicesEqual(a, b []int16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A source started at a frame gives the samples from it, converted as the player reads, and
// counts the frames it gave (Heard's measure).
func TestSourceFrom(t *testing.T) {
	pcm := []int16{0, 10, 20, 30, 40, 50, 60, 70}
	s := &source{pcm: pcm, rate: 8000, ch: 1, toRate: 16000, toCh: 2, from: 4, ratio: 0.5, frames: 8, fb: 4}
	b := make([]byte, 3*4) // three output frames: a short read, as a player's may be
	n, err := s.Read(b)
	if err != nil || n != 12 {
		t.Fatalf("read %d, %v", n, err)
	}
	var got []int16
	for i := 0; i < n; i += 2 {
		got = append(got, int16(uint16(b[i])|uint16(b[i+1])<<8))
	}
	if want := []int16{40, 40, 45, 45, 50, 50}; !slicesEqual(got, want) {
		t.Fatalf("samples %v, want %v", got, want)
	}
	if s.given.Load() != 3 {
		t.Fatalf("%d output frames counted, want 3", s.given.Load())
	}
}
