package playback

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os/exec"
	"strings"
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

// TestPlaysThroughPulse plays a dictation through the sound output into a PulseAudio null sink,
// records the sink's monitor, and finds the dictation in the recording: the same clicks, in
// order, none twice, about as far apart as played; after each click the dictation's 330 Hz tone
// (which only a player at the right rate gives); and Heard counts the frames to the end. Timing
// on this loaded machine is not asserted, only what was heard.
//
// How far apart is "about": the real audio chain loses or pads whole buffers when a starved
// process misses its turn (a stream that runs dry plays silence, a restarted one drops what it
// held, a recorder's block can be dropped), and nothing in it tells the test how much. With the
// output this package had before (oto, 50 ms buffers through ALSA's pulse plugin), runs under
// -race on a loaded machine recorded two clicks 11,243 frames apart that were played 12,000
// apart, another 7,034 frames more (silence), another lost a click. So the padding (silence
// inside the dictation, which never has any) is counted and taken out, a click may be missing
// only where the chain ran dry, the distances are held to a quarter of what was played below
// (losses: not countable) and 20 ms above, and the tone is checked window by window, three
// windows in four, whatever its phase. That still fails a player that skips or repeats
// stretches or plays at another rate (TestCheckRecording).
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
	ready := time.Now().Add(2 * time.Minute)
	for len(got.bytes()) < 2*1600 {
		if time.Now().After(ready) {
			t.Fatalf("parec recorded nothing from keep.monitor in 2 minutes")
		}
		time.Sleep(20 * time.Millisecond)
	}
	out, err := Open(16000, 1, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	pcm, clicks := dictation()
	if err := out.Play(pcm, 16000, 1, 0, 1); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute) // event waits: a passing run does not wait it out
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
			t.Fatalf("still playing after 2 minutes, at frame %d of %d", f, len(pcm))
		}
		time.Sleep(20 * time.Millisecond) // polling the player, as the view does each frame
	}
	if heard < int64(len(pcm))-1600 {
		t.Fatalf("stopped at frame %d of %d", heard, len(pcm))
	}
	// Wait until the recording holds every click, or 1.5 s more than it held when the player
	// stopped (the monitor lags the sink by parec's 500 ms at most): then what was played is in it.
	atEnd := len(got.bytes())
	for {
		b := got.bytes()
		rpcm := make([]int16, len(b)/2)
		for i := range rpcm {
			rpcm[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
		}
		found := findClicks(rpcm)
		if len(found) >= len(clicks) || len(b) >= atEnd+2*24000 {
			checkRecording(t, clicks, rpcm, found)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d clicks recorded (%d bytes), want %d", len(found), len(got.bytes()), len(clicks))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkRecording compares the clicks found in the recording rec with those played at clicks
// (see TestPlaysThroughPulse for the bounds).
func checkRecording(t fataler, clicks []int, rec []int16, found []int) {
	t.Helper()
	silent := silence(rec)
	// The dictation spans from the first sound to the last (the monitor records digital silence
	// before and after): the padding is the silence inside.
	first, last := 0, len(rec)
	for first < last && rec[first] > -30 && rec[first] < 30 {
		first++
	}
	for last > first && rec[last-1] > -30 && rec[last-1] < 30 {
		last--
	}
	padded := silent(first, last)
	t.Logf("clicks recorded at %v, played at %v; %d frames of padding", found, clicks, padded)
	switch {
	case len(found) > len(clicks):
		t.Fatalf("%d clicks recorded, %d played: a stretch played twice?", len(found), len(clicks))
	case len(found) < 2:
		t.Fatalf("%d of the %d clicks recorded", len(found), len(clicks))
	case len(found) < len(clicks) && padded == 0:
		t.Fatalf("%d of the %d clicks recorded, and the chain never ran dry (no padding): the player lost them", len(found), len(clicks))
	}
	// Which played click is each recorded one? Every order-keeping choice is tried; one must put
	// each recorded click, padding taken out, where its played one is from the first.
	var match []int
	for _, m := range choices(len(clicks), len(found)) {
		ok := true
		for k := 1; k < len(found) && ok; k++ {
			got := found[k] - found[0] - silent(found[0], found[k])
			played := clicks[m[k]] - clicks[m[0]]
			ok = got-played >= -played/4 && got-played <= 320
		}
		if ok {
			match = m
			break
		}
	}
	if match == nil {
		t.Fatalf("the recorded clicks at %v (%d frames of padding) are not the played ones at %v, in order", found, padded, clicks)
	}
	// The tone after each click: 50 ms windows from 25 ms after it, up to 25 ms before the next
	// click or 400 ms. Windows the chain padded are passed over; of the others, three in four
	// must hold a 330 Hz tone (one that holds a lost buffer holds the tone with a jump of phase).
	// 50 ms tell 330 Hz from 3% off.
	held, windows := 0, 0
	for k, i := range match {
		c := clicks[i]
		end := c + 400 + 8*800
		if i+1 < len(clicks) {
			end = min(end, clicks[i+1]-400)
		}
		for w := c + 400; w+800 <= end; w += 800 {
			from := w + found[k] - c
			if from+800 > len(rec) || silent(from, from+800) > 0 {
				continue
			}
			windows++
			if toneIn(rec[from:from+800], 330, 16000) > 0.9 {
				held++
			}
		}
	}
	if windows < 4 || 4*held < 3*windows {
		t.Fatalf("%d of %d windows after the clicks hold the dictation's 330 Hz tone", held, windows)
	}
}

// fataler is the part of testing.T that checkRecording uses (TestCheckRecording gives it one
// that records the failure).
type fataler interface {
	Helper()
	Logf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// A recording as the chain may give it under load passes; one a faulty player gives fails.
func TestCheckRecording(t *testing.T) {
	pcm, clicks := dictation()
	lead := make([]int16, 8000) // the monitor's silence before the player starts
	cat := func(parts ...[]int16) []int16 {
		var out []int16
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	resampled := func(p []int16, f float64) []int16 { // played f times too fast
		out := make([]int16, int(float64(len(p))/f))
		for i := range out {
			out[i] = p[int(float64(i)*f)]
		}
		return out
	}
	for _, tc := range []struct {
		name string
		rec  []int16
		fail string
	}{
		{"as played", cat(lead, pcm, lead), ""},
		{"440 ms padded", cat(lead, pcm[:15000], make([]int16, 7040), pcm[15000:], lead), ""},
		{"47 ms lost", cat(lead, pcm[:15000], pcm[15757:], lead), ""},
		{"a click lost where it ran dry", cat(lead, pcm[:19000], make([]int16, 800), pcm[21000:], lead), ""},
		{"a click lost, no padding", cat(lead, pcm[:19000], pcm[21000:], lead), "never ran dry"},
		{"a stretch played twice", cat(lead, pcm[:30000], pcm[18000:], lead), "played twice"},
		{"12.5% fast", cat(lead, resampled(pcm, 1.125), lead), "330 Hz tone"},
		{"45% fast", cat(lead, resampled(pcm, 1.45), lead), "not the played ones"},
		{"60 ms repeated", cat(lead, pcm[:15000], pcm[14040:], lead), "not the played ones"},
		{"silence", cat(lead, lead), "0 of the 4 clicks"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &recorder{}
			func() {
				defer func() {
					if p := recover(); p != nil && p != r {
						panic(p)
					}
				}()
				checkRecording(r, clicks, tc.rec, findClicks(tc.rec))
			}()
			if tc.fail == "" && r.failed != "" {
				t.Errorf("failed: %s", r.failed)
			}
			if tc.fail != "" && !strings.Contains(r.failed, tc.fail) {
				t.Errorf("failure %q, want one saying %q", r.failed, tc.fail)
			}
		})
	}
}

type recorder struct{ failed string }

func (r *recorder) Helper()                      {}
func (r *recorder) Logf(string, ...any)          {}
func (r *recorder) Fatalf(f string, args ...any) { r.failed = fmt.Sprintf(f, args...); panic(r) }

// choices are the ways to pick k of 0..n-1 in order.
func choices(n, k int) [][]int {
	if k == 0 {
		return [][]int{nil}
	}
	var out [][]int
	for last := k - 1; last < n; last++ {
		for _, c := range choices(last, k-1) {
			out = append(out, append(c, last))
		}
	}
	return out
}

// silence marks the padding in a recording of the dictation: runs of 8 or more samples within
// ±30 of zero, which its tone (amplitude 500, 48 samples a period) never has. It returns how
// many frames of [from, to) are padding.
func silence(rec []int16) func(from, to int) int {
	mark := make([]int, len(rec)+1) // mark[i]: padding frames before i
	run := 0
	for i, v := range rec {
		mark[i+1] = mark[i]
		if v > -30 && v < 30 {
			run++
			if run == 8 {
				mark[i+1] += 8
			} else if run > 8 {
				mark[i+1]++
			}
		} else {
			run = 0
		}
	}
	return func(from, to int) int {
		from, to = max(from, 0), min(to, len(rec))
		if from >= to {
			return 0
		}
		return mark[to] - mark[from]
	}
}

// toneIn is the share of w's amplitude that is a tone of hz at rate (1 for a pure tone, of
// whatever phase; near 0 for another frequency or noise; NaN for silence).
func toneIn(w []int16, hz, rate float64) float64 {
	var c, s, e float64
	for n, v := range w {
		ph := 2 * math.Pi * hz * float64(n) / rate
		c += float64(v) * math.Cos(ph)
		s += float64(v) * math.Sin(ph)
		e += float64(v) * float64(v)
	}
	return math.Sqrt((c*c + s*s) / (e * float64(len(w)) / 2))
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
	if s.given != 3 {
		t.Fatalf("%d output frames counted, want 3", s.given)
	}
}
