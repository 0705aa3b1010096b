package audio

import (
	"testing"
	"time"
)

// A case paused mid-dictation: the frames of the pause are left out of its WAV (not filled with
// silence), the segment is recorded, and HostAt/FrameAt map across it.
func TestCaseAudioSkipsThePause(t *testing.T) {
	const rate, per = 48000, 4800 // 0.1 s blocks
	dir := t.TempDir()
	ca, err := NewCase(dir, rate, 1, "mic", "null")
	if err != nil {
		t.Fatal(err)
	}
	add := func(frame int64) {
		t.Helper()
		host := time.Second + time.Duration(frame)*time.Second/rate
		if err := ca.Add(Block{Host: host, Frame: frame, PCM: make([]int16, per)}); err != nil {
			t.Fatal(err)
		}
	}
	for k := int64(0); k < 10; k++ { // 1 s read
		add(k * per)
	}
	ca.Skip()                         // 5 s paused: those frames went elsewhere
	for k := int64(60); k < 70; k++ { // 1 s read again
		add(k * per)
	}
	if err := ca.Close(); err != nil {
		t.Fatal(err)
	}
	defer ca.Wait() // the MP3, before the folder goes
	m := ca.Meta()
	if m.Frames != 20*per || m.GapFrames != 0 || m.Overruns != 0 || len(m.Segments) != 1 {
		t.Fatalf("meta %+v: want 2 s of reading, no silence filled, one segment", m)
	}
	if s := m.Segments[0]; s.Frame != 10*per || s.Skipped != 50*per || s.HostNS != int64(7*time.Second) {
		t.Fatalf("segment %+v", s)
	}
	if got := declaredFrames(t, dir+"/"+WAVFile); got != 20*per {
		t.Fatalf("WAV holds %d frames, want %d", got, 20*per)
	}
	// The first frame after the pause was captured 7 s into the session clock, not 2 s.
	if h, ok := m.HostAt(10 * per); !ok || (h-7*time.Second).Abs() > time.Millisecond {
		t.Errorf("HostAt(first frame after the pause) = %v, %v; want 7 s", h, ok)
	}
	if f, ok := m.FrameAt(7*time.Second + 500*time.Millisecond); !ok || (f-15*per) > 10 || (15*per-f) > 10 {
		t.Errorf("FrameAt(7.5 s) = %d, %v; want %d", f, ok, 15*per)
	}
	if f, _ := m.FrameAt(4 * time.Second); f != 10*per {
		t.Errorf("FrameAt(during the pause) = %d, want %d (where the sound goes on)", f, 10*per)
	}
}
