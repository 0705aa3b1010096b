package audio

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"sightline/reader/wav"
)

var wavFormats = []struct {
	name           string
	rate, channels int
}{
	{"mono 48k", 48000, 1},
	{"stereo 44.1k", 44100, 2},
	{"mono 16k", 16000, 1},
}

// TestWAVKilled writes as the recorder does (10 ms blocks, Sync every second), "kills" the
// writer at several points by copying the file without Close, and checks that Python's wave and
// sox open each copy and find every frame up to the last Sync, at most a second short; then
// that Recover gives back every frame written.
func TestWAVKilled(t *testing.T) {
	for _, f := range wavFormats {
		t.Run(f.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "audio.wav")
			w, err := Create(path, f.rate, f.channels)
			if err != nil {
				t.Fatal(err)
			}
			block := int64(f.rate / 100)
			var written, synced int64
			type kill struct {
				block           int
				written, synced int64
				path, recovered string
			}
			var kills []kill
			for i := range 300 { // 3 s
				if i == 0 || i == 37 || i == 150 || i == 299 {
					k := kill{block: i, written: written, synced: synced,
						path:      filepath.Join(dir, fmt.Sprintf("killed-%d.wav", i)),
						recovered: filepath.Join(dir, fmt.Sprintf("recovered-%d.wav", i))}
					copyFile(t, path, k.path)
					copyFile(t, path, k.recovered)
					if err := Recover(k.recovered); err != nil {
						t.Fatal(err)
					}
					kills = append(kills, k)
				}
				if err := w.Write(sine(written, block, f.channels, f.rate, 440, 0.5)); err != nil {
					t.Fatal(err)
				}
				written += block
				if written-synced >= int64(f.rate) {
					if err := w.Sync(); err != nil {
						t.Fatal(err)
					}
					synced = written
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}

			var paths []string
			for _, k := range kills {
				paths = append(paths, k.path, k.recovered)
			}
			paths = append(paths, path)
			for who, infos := range map[string][]waveInfo{"python wave": pythonWave(t, paths...), "sox": soxInfo(t, paths...)} {
				for i, k := range kills {
					killed, recovered := infos[2*i], infos[2*i+1]
					if killed != (waveInfo{k.synced, f.rate, k.synced}) {
						t.Errorf("%s, killed at block %d: %+v, want %d frames at %d Hz", who, k.block, killed, k.synced, f.rate)
					}
					if k.written-killed.Read > int64(f.rate) {
						t.Errorf("%s, killed at block %d: lost %d frames, more than a second", who, k.block, k.written-killed.Read)
					}
					if recovered != (waveInfo{k.written, f.rate, k.written}) {
						t.Errorf("%s, recovered at block %d: %+v, want %d frames", who, k.block, recovered, k.written)
					}
				}
				if closed := infos[len(infos)-1]; closed != (waveInfo{written, f.rate, written}) {
					t.Errorf("%s, closed file: %+v, want %d frames", who, closed, written)
				}
			}

			fm, pcm, err := ReadWAV(path)
			if err != nil {
				t.Fatal(err)
			}
			if fm.Rate != f.rate || fm.Channels != f.channels || int64(len(pcm)) != written*int64(f.channels) {
				t.Errorf("ReadWAV: %+v with %d samples, want %d Hz × %d, %d frames", fm, len(pcm), f.rate, f.channels, written)
			}
			if !bytes.Equal(i16bytes(pcm), i16bytes(sine(0, written, f.channels, f.rate, 440, 0.5))) {
				t.Error("ReadWAV: samples differ from those written")
			}
			if err := w.Write([]int16{1}); !errors.Is(err, os.ErrClosed) {
				t.Errorf("Write after Close: %v, want os.ErrClosed", err)
			}
		})
	}
}

func i16bytes(p []int16) []byte {
	b := make([]byte, 2*len(p))
	for i, v := range p {
		b[2*i], b[2*i+1] = byte(v), byte(v>>8)
	}
	return b
}

// TestRecover covers files a killed writer leaves: cut mid-frame, with a header never synced,
// and already consistent ones.
func TestRecover(t *testing.T) {
	cases := []struct {
		name       string
		channels   int
		frames     int64 // written
		syncAt     int64 // frames when Sync ran (−1: never)
		extraBytes int   // partial frame appended after the whole frames
		want       int64
	}{
		{"stereo cut mid-frame", 2, 1000, 500, 3, 1000},
		{"mono cut mid-sample", 1, 777, 100, 1, 777},
		{"never synced", 2, 4800, -1, 0, 4800},
		{"consistent", 1, 480, 480, 0, 480},
		{"header only", 1, 0, -1, 0, 0},
		{"header and half a sample", 1, 0, -1, 1, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "a.wav")
			w, err := Create(path, 48000, c.channels)
			if err != nil {
				t.Fatal(err)
			}
			for i := range c.frames {
				if err := w.Write(sine(i, 1, c.channels, 48000, 1000, 0.3)); err != nil {
					t.Fatal(err)
				}
				if i+1 == c.syncAt {
					if err := w.Sync(); err != nil {
						t.Fatal(err)
					}
				}
			}
			if c.extraBytes > 0 {
				if _, err := w.f.Write(make([]byte, c.extraBytes)); err != nil {
					t.Fatal(err)
				}
			}
			// The process dies here: no Close. The kernel still has the bytes.
			if err := Recover(path); err != nil {
				t.Fatal(err)
			}
			if got, want := fileSize(t, path), int64(headerSize)+c.want*int64(2*c.channels); got != want {
				t.Errorf("size after Recover %d, want %d (partial frame dropped)", got, want)
			}
			want := waveInfo{c.want, 48000, c.want}
			if got := pythonWave(t, path)[0]; got != want {
				t.Errorf("python wave: %+v, want %+v", got, want)
			}
			if got := soxInfo(t, path)[0]; got != want {
				t.Errorf("sox: %+v, want %+v", got, want)
			}
			before, _ := os.ReadFile(path)
			if err := Recover(path); err != nil {
				t.Fatal(err)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Error("second Recover changed the file")
			}
			w.f.Close()
		})
	}
}

// TestRecoverForeignChunks recovers a WAV with a LIST chunk before its data, as other writers
// make them.
func TestRecoverForeignChunks(t *testing.T) {
	h := header(8000, 1, 0)
	list := append([]byte("LIST\x05\x00\x00\x00INFOx\x00"), nil...) // odd size: padded
	var b []byte
	b = append(b, h[:36]...)
	b = append(b, list...)
	b = append(b, h[36:]...)
	b = append(b, make([]byte, 801)...) // 400 frames and half of one
	path := filepath.Join(t.TempDir(), "list.wav")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Recover(path); err != nil {
		t.Fatal(err)
	}
	if got := pythonWave(t, path)[0]; got != (waveInfo{400, 8000, 400}) {
		t.Errorf("python wave: %+v, want 400 frames at 8000 Hz", got)
	}
}

func TestRecoverRefuses(t *testing.T) {
	cases := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"text", []byte("this is not audio at all, not even close")},
		{"8-bit", func() []byte {
			h := header(8000, 1, 0)
			h[34] = 8
			return h
		}()},
		{"float", func() []byte {
			h := header(8000, 1, 0)
			h[20] = 3
			return h
		}()},
		{"no data chunk", header(8000, 1, 0)[:36]},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.wav")
			if err := os.WriteFile(path, c.data, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := Recover(path); !errors.Is(err, ErrNotWAV) {
				t.Errorf("Recover: %v, want ErrNotWAV", err)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(after, c.data) {
				t.Error("Recover changed a file it refused")
			}
		})
	}
	if err := Recover(filepath.Join(t.TempDir(), "missing.wav")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Recover of a missing file: %v", err)
	}
}

func TestCreateRefuses(t *testing.T) {
	for _, f := range [][2]int{{0, 1}, {48000, 0}, {-1, 2}} {
		if _, err := Create(filepath.Join(t.TempDir(), "x.wav"), f[0], f[1]); err == nil {
			t.Errorf("Create(%d Hz, %d ch) succeeded", f[0], f[1])
		}
	}
}

// FuzzRecover feeds arbitrary bytes to the header parser and to Recover: no panic, and a file
// Recover accepts is one the parser then reads as consistent.
func FuzzRecover(f *testing.F) {
	f.Add(header(48000, 1, 0))
	f.Add(append(header(44100, 2, 8), 1, 2, 3, 4, 5, 6, 7, 8, 9))
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVEfmt \x10\x00\x00\x00"))
	f.Add([]byte("RIFF\xff\xff\xff\xffWAVEdata\xff\xff\xff\xff"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "fuzz.wav")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := Recover(path); err != nil {
			if !errors.Is(err, ErrNotWAV) {
				t.Fatalf("Recover: %v, want ErrNotWAV", err)
			}
			return
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		fm, err := wav.ParseHeader(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("parse after Recover: %v", err)
		}
		if fm.DataOffset+fm.DataSize != int64(len(b)) || fm.DataSize%int64(2*fm.Channels) != 0 {
			t.Fatalf("after Recover: data %d+%d in a file of %d", fm.DataOffset, fm.DataSize, len(b))
		}
	})
}
