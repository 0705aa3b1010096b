package audio

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// stamped is a block whose every sample is its device frame's index (mod 32000), so that a
// WAV says which device frame each of its frames came from.
func stamped(frame int64, n int, host time.Duration) Block {
	pcm := make([]int16, n)
	for i := range pcm {
		pcm[i] = int16((frame + int64(i)) % 32000)
	}
	return Block{Host: host, Frame: frame, PCM: pcm}
}

func wavSamples(t *testing.T, path string) []int16 {
	t.Helper()
	r, err := OpenWAV(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	out := make([]int16, r.Frames())
	if _, err := r.Read(out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRouterSplitsExactly records a case with a pause and the start of the next case from a
// capture delivered in bursts (fragments of 50 ms handed over late), the switches decided up to
// 90 ms after their instants, and one block lost by the capture's ring. Every device frame ends
// in exactly one place: the case, its pause, the next case, or (before the first onset) none;
// each WAV's frame 0 is its onset, and the lost block is counted.
func TestRouterSplitsExactly(t *testing.T) {
	const rate, per = 48000, 480
	origin := 700 * time.Millisecond // host time of device frame 0
	hostOf := func(f int64) time.Duration { return origin + time.Duration(f)*time.Second/rate }
	r := NewRouter(rate, 1)
	dirs := map[string]string{}
	open := func(name string) *CaseAudio {
		d := filepath.Join(t.TempDir(), name)
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		c, err := NewCase(d, rate, 1, "test", BackendNull)
		if err != nil {
			t.Fatal(err)
		}
		dirs[name] = d
		return c
	}
	caseA, pause, caseB := open("a"), open("paused-1"), open("b")
	onsetA, pauseAt, resumeAt, onsetB := 1003700*time.Microsecond, 3013*time.Millisecond, 5527*time.Millisecond, 8041*time.Millisecond
	type decision struct {
		at, decided time.Duration
		sw          Switch
	}
	var closed []string
	decisions := []decision{
		{onsetA, onsetA + 60*time.Millisecond, Switch{To: caseA}},
		{pauseAt, pauseAt + 90*time.Millisecond, Switch{To: pause}},
		{resumeAt, resumeAt + 30*time.Millisecond, Switch{To: caseA, Resume: true, Passed: func() { closed = append(closed, "pause") }}},
		{onsetB, onsetB + 80*time.Millisecond, Switch{}},
		{onsetB, onsetB + 85*time.Millisecond, Switch{To: caseB}},
	}
	const lost = 600 // the block at this index never reaches the router (a ring overrun)
	var pending []Block
	total := int64(10 * rate)
	for f := int64(0); f < total; f += per {
		b := stamped(f, per, 0)
		// Handed over in fragments of five blocks, 0–9 ms after the fragment's last frame.
		frag := f / (5 * per)
		b.Host = hostOf((frag+1)*5*per) + time.Duration(frag%10)*time.Millisecond - time.Duration(per)*time.Second/rate
		if f/per != lost {
			pending = append(pending, b)
		}
		if (f/per)%5 != 4 {
			continue
		}
		now := b.Host
		for len(decisions) > 0 && decisions[0].decided <= now {
			d := decisions[0]
			decisions = decisions[1:]
			r.SwitchAt(d.at, d.sw)
		}
		for _, p := range pending {
			if err := r.Add(p); err != nil {
				t.Fatal(err)
			}
		}
		pending = pending[:0]
	}
	if err := r.Flush(-1); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*CaseAudio{caseA, pause, caseB} {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	frameOf := func(h time.Duration) int64 { return int64((h - origin) * rate / time.Second) }
	// Where each WAV starts, on the device's frames, and that its frames run on from there.
	check := func(name string, from int64) (frames int64) {
		s := wavSamples(t, filepath.Join(dirs[name], WAVFile))
		m, err := ReadMeta(dirs[name])
		if err != nil {
			t.Fatal(err)
		}
		if !m.Anchored || m.StartHostNS < int64(hostOf(from)-time.Second/rate) || m.StartHostNS > int64(hostOf(from)+time.Second/rate) {
			t.Errorf("%s: starts at %v (anchored %v), want its onset %v", name, time.Duration(m.StartHostNS), m.Anchored, hostOf(from))
		}
		if got := int64(s[0]); got != from%32000 && got != (from+1)%32000 && got != (from-1+32000)%32000 {
			t.Errorf("%s: first frame is device frame %d, want %d ± 1", name, got, from)
		}
		return int64(len(s))
	}
	a := check("a", frameOf(onsetA))
	p := check("paused-1", frameOf(pauseAt))
	b := check("b", frameOf(onsetB))
	mA, _ := ReadMeta(dirs["a"])
	mP, _ := ReadMeta(dirs["paused-1"])
	if len(mA.Segments) != 1 || mA.Segments[0].Skipped != p {
		t.Errorf("case a's pause: segments %+v, want one skipping the pause's %d frames", mA.Segments, p)
	}
	// Every frame from the first onset on is in exactly one WAV (the lost block as silence).
	if a+p+b != total-frameOf(onsetA) {
		t.Errorf("a %d + pause %d + b %d = %d frames, want the %d from the first onset on", a, p, b, a+p+b, total-frameOf(onsetA))
	}
	if got := mA.GapFrames + mP.GapFrames; got != per {
		t.Errorf("gap frames %d, want the lost block's %d", got, per)
	}
	if r.Unrouted() != frameOf(onsetA) && r.Unrouted() != frameOf(onsetA)+1 {
		t.Errorf("%d frames routed nowhere, want the %d before the first onset", r.Unrouted(), frameOf(onsetA))
	}
	if len(closed) != 1 {
		t.Errorf("the pause's switch back passed %d times", len(closed))
	}
}
