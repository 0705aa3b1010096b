package audio

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"sightline/reader/wav"
)

// declaredFrames reads how many frames the WAV header on disk declares right now.
func declaredFrames(t *testing.T, path string) int64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fm, err := wav.ParseHeader(f)
	if err != nil {
		t.Fatal(err)
	}
	return fm.Frames()
}

// TestCaseAudio feeds a case the blocks a capture would deliver: a 440 Hz tone from a device
// already 12345 frames into its run, 30 ppm slow against the host, with two blocks lost to an
// overrun; a copy of the folder taken mid-case stands for a crash.
func TestCaseAudio(t *testing.T) {
	const rate, per, blocks = 48000, 480, 300
	dir := t.TempDir()
	ca, err := NewCase(dir, rate, 1, "Monitor of Sightline_test", BackendPulse)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := ReadMeta(dir); err != nil || m.FirstFrameHostNS != -1 || m.Complete {
		t.Fatalf("audio.json before any audio: %+v, %v", m, err)
	}
	const devStart = 12345
	st := stamps(rate, per, blocks, 42*time.Second, -30, 100*time.Microsecond, nil)
	crash := t.TempDir()
	var crashFrames int64
	for i, s := range st {
		if i == 100 || i == 101 {
			continue // dropped by the capture: a gap of 960 frames
		}
		b := Block{Host: s.Host, Frame: devStart + s.Frame, PCM: sine(devStart+s.Frame, per, 1, rate, 440, 0.5)}
		if err := ca.Add(b); err != nil {
			t.Fatalf("block %d: %v", i, err)
		}
		if i == 0 {
			if m, err := ReadMeta(dir); err != nil || m.FirstFrameHostNS != int64(st[0].Host) {
				t.Fatalf("audio.json after the first block: %+v, %v; want first_frame_host_ns %d", m, err, st[0].Host)
			}
		}
		// Principle 1: the header on disk is never more than SyncEvery behind.
		if lag := ca.Frames() - declaredFrames(t, filepath.Join(dir, WAVFile)); lag > rate {
			t.Fatalf("block %d: header on disk %d frames behind", i, lag)
		}
		if i == 200 {
			for _, f := range []string{WAVFile, MetaFile} {
				copyFile(t, filepath.Join(dir, f), filepath.Join(crash, f))
			}
			crashFrames = ca.Frames()
		}
	}
	if err := ca.Add(Block{Host: time.Hour, Frame: devStart, PCM: make([]int16, per)}); err == nil {
		t.Error("a block overlapping written frames was accepted")
	}
	if err := ca.Add(Block{Host: st[blocks-1].Host + 10*time.Millisecond, Frame: devStart + blocks*per, PCM: make([]int16, 3)}); err != nil {
		t.Errorf("mono block of 3 frames: %v", err)
	}
	if err := ca.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ca.Wait(); err != nil {
		t.Fatal(err)
	}
	if err := ca.Add(Block{}); !errors.Is(err, ErrCaseClosed) {
		t.Errorf("Add after Close: %v", err)
	}

	const total = blocks*per + 3
	m, err := ReadMeta(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := Meta{Rate: rate, Channels: 1, FirstFrameHostNS: int64(st[0].Host), Frames: total,
		Overruns: 1, GapFrames: 2 * per, Device: "Monitor of Sightline_test", Backend: BackendPulse, Complete: true}
	got := m
	got.FitOffsetNS, got.DriftNS, got.DriftPPM, got.JitterNS, got.EnvelopeOffsetNS, got.EnvelopeDriftNS = 0, 0, 0, 0, 0, 0
	got.EnvelopePPM = 0
	if !reflect.DeepEqual(got, want) {
		t.Errorf("audio.json\n got %+v\nwant %+v", got, want)
	}
	// The device runs 30 ppm slow: the envelope's slope says so through the jitter.
	if m.EnvelopePPM < 25 || m.EnvelopePPM > 35 {
		t.Errorf("envelope_ppm %v, want ≈ 30", m.EnvelopePPM)
	}
	// 30 ppm slow over 3 s: 90 µs of drift; 0.1 ms of uniform jitter: about 29 µs RMS.
	if d := time.Duration(m.DriftNS); d < 70*time.Microsecond || d > 110*time.Microsecond {
		t.Errorf("drift %v, want ≈ 90 µs", d)
	}
	if j := time.Duration(m.JitterNS); j < 20*time.Microsecond || j > 40*time.Microsecond {
		t.Errorf("jitter %v, want ≈ 29 µs", j)
	}
	if off := time.Duration(m.FitOffsetNS) - 42*time.Second; off < 0 || off > 100*time.Microsecond {
		t.Errorf("fitted origin %v after 42 s, want within the jitter", off)
	}
	if off := time.Duration(m.EnvelopeOffsetNS) - 42*time.Second; off < 0 || off > 20*time.Microsecond {
		t.Errorf("envelope origin %v after 42 s, want the earliest stamps'", off)
	}
	if d := time.Duration(m.EnvelopeDriftNS); d < 50*time.Microsecond || d > 130*time.Microsecond {
		t.Errorf("envelope drift %v, want ≈ 90 µs", d)
	}

	fm, pcm, err := ReadWAV(filepath.Join(dir, WAVFile))
	if err != nil {
		t.Fatal(err)
	}
	if fm.Frames() != total {
		t.Fatalf("WAV holds %d frames, want %d", fm.Frames(), total)
	}
	ref := sine(devStart, blocks*per, 1, rate, 440, 0.5)
	for i := range blocks * per {
		inGap := i >= 100*per && i < 102*per
		if (inGap && pcm[i] != 0) || (!inGap && pcm[i] != ref[i]) {
			t.Fatalf("WAV frame %d = %d, want %d (gap %v): the time line is off", i, pcm[i], ref[i], inGap)
		}
	}
	if got := pythonWave(t, filepath.Join(dir, WAVFile))[0]; got != (waveInfo{total, rate, total}) {
		t.Errorf("python wave: %+v", got)
	}

	b, err := os.ReadFile(filepath.Join(dir, MP3File))
	if err != nil {
		t.Fatal(err)
	}
	info, err := walkMP3(b)
	if err != nil {
		t.Fatal(err)
	}
	if wantMP3 := (mp3Info{(total+1151)/1152 + 1, MP3Kbps, rate, 1}); info != wantMP3 {
		t.Errorf("audio.mp3 %+v, want %+v", info, wantMP3)
	}

	// The crash copy: the header is up to a second behind and audio.json incomplete;
	// RecoverCase restores every frame that reached the disk.
	rm, err := RecoverCase(crash)
	if err != nil {
		t.Fatal(err)
	}
	if rm.Frames != crashFrames || !rm.Recovered || rm.Complete || rm.FirstFrameHostNS != int64(st[0].Host) {
		t.Errorf("recovered audio.json %+v, want %d frames", rm, crashFrames)
	}
	if got := pythonWave(t, filepath.Join(crash, WAVFile))[0]; got.Frames != crashFrames {
		t.Errorf("recovered WAV: python wave reads %+v, want %d frames", got, crashFrames)
	}
	if again, err := RecoverCase(dir); err != nil || !reflect.DeepEqual(again, m) {
		t.Errorf("RecoverCase of a complete case changed it: %+v, %v", again, err)
	}
}

// TestCaseAudioSilent: a case with no audio gets an empty WAV, a record that says so, no MP3.
func TestCaseAudioSilent(t *testing.T) {
	dir := t.TempDir()
	ca, err := NewCase(dir, 48000, 1, "default", BackendALSA)
	if err != nil {
		t.Fatal(err)
	}
	if err := ca.Wait(); err != nil {
		t.Errorf("Wait before Close: %v", err)
	}
	if err := ca.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ca.Wait(); err != nil {
		t.Fatal(err)
	}
	if err := ca.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	m, err := ReadMeta(dir)
	if err != nil || m.Frames != 0 || m.FirstFrameHostNS != -1 || !m.Complete {
		t.Errorf("audio.json %+v, %v", m, err)
	}
	if _, err := os.Stat(filepath.Join(dir, MP3File)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an MP3 for a silent case: %v", err)
	}
	if got := pythonWave(t, filepath.Join(dir, WAVFile))[0]; got != (waveInfo{0, 48000, 0}) {
		t.Errorf("python wave: %+v", got)
	}
}

func TestCaseAudioRefuses(t *testing.T) {
	if _, err := NewCase(filepath.Join(t.TempDir(), "missing"), 48000, 1, "", ""); err == nil {
		t.Error("NewCase in a missing folder succeeded")
	}
	ca, err := NewCase(t.TempDir(), 48000, 2, "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer ca.Close()
	if err := ca.Add(Block{PCM: make([]int16, 3)}); err == nil {
		t.Error("a stereo block of 3 samples was accepted")
	}
	if _, err := RecoverCase(t.TempDir()); err == nil {
		t.Error("RecoverCase of a folder without audio succeeded")
	}
}
