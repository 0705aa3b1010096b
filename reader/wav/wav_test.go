package wav

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// pcm16 is a canonical 44-byte header declaring declared frames of mono 16 kHz, then body bytes.
func pcm16(declared int, body int) []byte {
	return append(Header(16000, 1, uint32(2*declared)), make([]byte, body)...)
}

func TestInspect(t *testing.T) {
	cases := []struct {
		name                string
		file                []byte
		frames, onDisk      int64
		truncated, unsynced bool
		notWAV              bool
	}{
		{"whole", pcm16(100, 200), 100, 100, false, false, false},
		{"killed before the header caught up", pcm16(10, 200), 10, 100, false, true, false},
		{"half a frame more", pcm16(100, 201), 100, 100, false, false, false},
		{"cut short", pcm16(100, 50), 100, 25, true, false, false},
		{"header only", pcm16(0, 0), 0, 0, false, false, false},
		{"not a WAV", []byte("RIFF\x24\x00\x00\x00WAVEfmt junk"), 0, 0, false, false, true},
		{"empty", nil, 0, 0, false, false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "a.wav")
			if err := os.WriteFile(p, c.file, 0o644); err != nil {
				t.Fatal(err)
			}
			in, err := Inspect(p)
			if c.notWAV {
				if !errors.Is(err, ErrNotWAV) {
					t.Fatalf("err %v, want ErrNotWAV", err)
				}
				return
			}
			if err != nil || in.Frames() != c.frames || in.OnDisk != c.onDisk || in.Truncated() != c.truncated || in.Unsynced() != c.unsynced {
				t.Fatalf("%+v frames %d truncated %v unsynced %v, err %v", in, in.Frames(), in.Truncated(), in.Unsynced(), err)
			}
		})
	}
}

func FuzzParseHeader(f *testing.F) {
	f.Add(pcm16(3, 6))
	f.Add(pcm16(0, 0)[:20])
	f.Add([]byte("RIFF\x24\x00\x00\x00WAVELIST\x04\x00\x00\x00abcdfmt "))
	f.Fuzz(func(t *testing.T, b []byte) {
		fm, err := ParseHeader(bytes.NewReader(b))
		if err != nil {
			if !errors.Is(err, ErrNotWAV) {
				t.Fatalf("error %v does not wrap ErrNotWAV", err)
			}
			return
		}
		if fm.Channels < 1 || fm.Rate < 1 || fm.DataOffset < 44-8 || fm.DataOffset > int64(len(b)) || fm.Frames() < 0 {
			t.Fatalf("accepted %+v from %d bytes", fm, len(b))
		}
	})
}
