package audio

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sightline/reader/session"
	"sightline/reader/stage"
)

// session.Open reads what CaseAudio writes: a closed case's audio whole and placed on the
// session clock by its fit; a copy taken mid-case (a kill) named as cut off, the frames on disk
// beyond the header counted.
func TestOpenReadsCaseAudio(t *testing.T) {
	const rate, per, blocks = 16000, 160, 250 // 2.5 s in 10 ms blocks
	root := t.TempDir()
	dir := filepath.Join(root, "s")
	plan := []session.Screen{{Index: 0, Kind: session.KindCase, DicomID: "a"}}
	r, err := session.Create(dir, session.Meta{SessionID: "s", Plan: plan, Audio: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.BeginScreen(plan[0], stage.Fit(2000, 2500), 0); err != nil {
		t.Fatal(err)
	}
	ca, err := NewCase(r.ScreenDir(), rate, 1, "test", BackendNull)
	if err != nil {
		t.Fatal(err)
	}
	st := stamps(rate, per, blocks, 7*time.Second, 50, 0, nil)
	killed := filepath.Join(root, "killed")
	for i, s := range st {
		if err := ca.Add(Block{Host: s.Host, Frame: s.Frame, PCM: sine(s.Frame, per, 1, rate, 440, 0.3)}); err != nil {
			t.Fatal(err)
		}
		if i == 130 { // 0.3 s after the sync at 1 s: the header is behind the frames on disk
			if err := r.Flush(); err != nil {
				t.Fatal(err)
			}
			copyDir(t, dir, killed)
		}
	}
	if err := ca.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ca.Wait(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(session.StatusComplete); err != nil {
		t.Fatal(err)
	}

	o, err := session.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	c := o.Cases[0]
	if len(c.Problems) > 0 || c.Audio == nil || c.Audio.Meta == nil || c.Audio.MP3 == "" {
		t.Fatalf("closed case: problems %v, audio %+v", c.Problems, c.Audio)
	}
	m := c.Audio.Meta
	if c.Audio.Header.Frames() != blocks*per || m.Frames != blocks*per {
		t.Fatalf("frames: header %d, audio.json %d, want %d", c.Audio.Header.Frames(), m.Frames, blocks*per)
	}
	// 50 ppm slow: the last block's host time is where the fit puts its first frame.
	last := st[len(st)-1]
	if h, ok := m.HostAt(last.Frame); !ok || (h-last.Host).Abs() > 20*time.Microsecond {
		t.Fatalf("HostAt(%d) = %v, the block was stamped %v", last.Frame, h, last.Host)
	}

	k, err := session.Open(killed)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range k.Cases[0].Problems {
		got = append(got, string(p.Kind)+" "+p.File+": "+p.Message)
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{"interrupted cases/00-a: cut off by a crash", "audio cases/00-a/audio.wav: cut off by a kill",
		"audio cases/00-a/audio.json: recording not closed"} {
		if !strings.Contains(all, want) {
			t.Errorf("killed case lacks %q in:\n%s", want, all)
		}
	}
	if a := k.Cases[0].Audio; a == nil || a.Header.OnDisk != 131*per || a.Header.Frames() >= a.Header.OnDisk {
		t.Errorf("killed case's WAV: %+v", a)
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.Walk(from, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		copyFile(t, p, filepath.Join(to, rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
