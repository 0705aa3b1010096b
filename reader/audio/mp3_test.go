package audio

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// mp3Info is what walking an MP3's frame headers found.
type mp3Info struct {
	Frames, Kbps, Rate, Channels int
}

// mp3Rates are the sample rates by version bits (3 MPEG-1, 2 MPEG-2, 0 MPEG-2.5) and index.
var mp3Rates = map[int][3]int{3: {44100, 48000, 32000}, 2: {22050, 24000, 16000}, 0: {11025, 12000, 8000}}

// walkMP3 checks that b is a sequence of MPEG layer III frames, of one bit rate, sample rate and
// channel mode, end to end.
func walkMP3(b []byte) (mp3Info, error) {
	var info mp3Info
	for off := 0; off < len(b); {
		if len(b)-off < 4 {
			return info, fmt.Errorf("%d stray bytes at the end", len(b)-off)
		}
		h := uint32(b[off])<<24 | uint32(b[off+1])<<16 | uint32(b[off+2])<<8 | uint32(b[off+3])
		if h>>21 != 0x7FF {
			return info, fmt.Errorf("frame %d at byte %d: no sync word (%08x)", info.Frames, off, h)
		}
		version, layer := int(h>>19&3), int(h>>17&3)
		if version == 1 || layer != 1 {
			return info, fmt.Errorf("frame %d: not layer III (version %d, layer %d)", info.Frames, version, layer)
		}
		bi, ri, pad := int(h>>12&15), int(h>>10&3), int(h>>9&1)
		if bi == 0 || bi == 15 || ri == 3 {
			return info, fmt.Errorf("frame %d: bad bit rate or sample rate index", info.Frames)
		}
		kbps := mpeg1Kbps[bi-1]
		mult := 144
		if version != 3 {
			kbps, mult = mpeg2Kbps[bi-1], 72
		}
		rate := mp3Rates[version][ri]
		ch := 2
		if h>>6&3 == 3 {
			ch = 1
		}
		if info.Frames == 0 {
			info.Kbps, info.Rate, info.Channels = kbps, rate, ch
		} else if kbps != info.Kbps || rate != info.Rate || ch != info.Channels {
			return info, fmt.Errorf("frame %d: %d kbit/s %d Hz %d ch after %+v", info.Frames, kbps, rate, ch, info)
		}
		off += mult*kbps*1000/rate + pad
		info.Frames++
	}
	return info, nil
}

func TestEncodeMP3(t *testing.T) {
	cases := []struct {
		name           string
		rate, channels int
		frames         int64
		want           mp3Info
	}{
		// 1152 samples per MPEG-1 frame, 576 per MPEG-2 frame; one frame of silence flushes.
		{"48k mono 3 s", 48000, 1, 144000, mp3Info{125 + 1, 64, 48000, 1}},
		{"44.1k stereo, partial last frame", 44100, 2, 44100, mp3Info{39 + 1, 128, 44100, 2}},
		{"16k mono (MPEG-2)", 16000, 1, 16000, mp3Info{28 + 1, 64, 16000, 1}},
		{"one frame of audio", 32000, 1, 1, mp3Info{1 + 1, 64, 32000, 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			wavPath, mp3Path := filepath.Join(dir, "a.wav"), filepath.Join(dir, "a.mp3")
			w, err := Create(wavPath, c.rate, c.channels)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write(sine(0, c.frames, c.channels, c.rate, 440, 0.5)); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if err := EncodeMP3(wavPath, mp3Path); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(mp3Path)
			if err != nil {
				t.Fatal(err)
			}
			got, err := walkMP3(b)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("MP3 %+v, want %+v", got, c.want)
			}
			if _, err := os.Stat(mp3Path + ".part"); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("temporary file left behind: %v", err)
			}
		})
	}
}

func TestEncodeMP3Refuses(t *testing.T) {
	dir := t.TempDir()
	for _, f := range [][2]int{{96000, 1}, {48000, 3}, {7000, 1}} {
		path := filepath.Join(dir, fmt.Sprintf("%d-%d.wav", f[0], f[1]))
		w, err := Create(path, f[0], f[1])
		if err != nil {
			t.Fatal(err)
		}
		w.Write(make([]int16, 1000*f[1]))
		w.Close()
		mp3Path := filepath.Join(dir, "x.mp3")
		if err := EncodeMP3(path, mp3Path); !errors.Is(err, ErrMP3Format) {
			t.Errorf("%d Hz × %d: %v, want ErrMP3Format", f[0], f[1], err)
		}
		if _, err := os.Stat(mp3Path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%d Hz × %d: an MP3 was left: %v", f[0], f[1], err)
		}
	}
	if err := EncodeMP3(filepath.Join(dir, "missing.wav"), filepath.Join(dir, "x.mp3")); err == nil {
		t.Error("EncodeMP3 of a missing file succeeded")
	}
}

// speech60 makes 60 s of synthetic dictation at 48 kHz mono with espeak-ng and sox, once per
// benchmark run.
func speech60(b *testing.B) string {
	b.Helper()
	needTool(b, "espeak-ng", "espeak-ng")
	needTool(b, "sox", "sox")
	dir := b.TempDir()
	raw, out := filepath.Join(dir, "speech.wav"), filepath.Join(dir, "speech48k.wav")
	text := strings.Repeat("Frontal chest radiograph. The heart size is at the upper limit of normal. "+
		"There is mild pulmonary vascular congestion with small bilateral pleural effusions. "+
		"No focal consolidation. No pneumothorax. Degenerative changes of the thoracic spine. "+
		"Impression: findings suggest mild congestive heart failure; recommend clinical correlation. ", 4)
	if out, err := exec.Command("espeak-ng", "-w", raw, text).CombinedOutput(); err != nil {
		b.Fatalf("espeak-ng: %v\n%s", err, out)
	}
	if out, err := exec.Command("sox", "-R", raw, "-r", "48000", "-c", "1", "-b", "16", out, "pad", "0", "60", "trim", "0", "60").CombinedOutput(); err != nil {
		b.Fatalf("sox: %v\n%s", err, out)
	}
	return out
}

// BenchmarkEncodeMP3 encodes 60 s of speech (48 kHz mono) as CaseAudio does at case close.
func BenchmarkEncodeMP3(b *testing.B) {
	_, pcm, err := ReadWAV(speech60(b))
	if err != nil {
		b.Fatal(err)
	}
	if len(pcm) != 60*48000 {
		b.Fatalf("speech is %d samples", len(pcm))
	}
	var size int
	start := time.Now()
	for b.Loop() {
		enc, err := newMP3Encoder(48000, 1, MP3Kbps)
		if err != nil {
			b.Fatal(err)
		}
		var out bytes.Buffer
		if err := encodeStream(enc, &sliceSource{pcm: pcm}, &out); err != nil {
			b.Fatal(err)
		}
		size = out.Len()
	}
	per := time.Since(start) / time.Duration(b.N)
	b.ReportMetric(float64(size), "mp3-bytes")
	b.ReportMetric(60/per.Seconds(), "x-realtime")
	b.SetBytes(int64(2 * len(pcm)))
}
