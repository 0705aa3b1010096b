//go:build e2e

package app

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"sightline/internal/childproc"
	"sightline/internal/notrun"
	"sightline/reader/audio/pulsetest"
	"sightline/reader/transcribe"
)

// childrenNamed are the processes whose parent is pid and whose command starts with name,
// with their nice values.
func childrenNamed(pid int, name string) map[int]int {
	out := map[int]int{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid … ; comm may hold spaces: split after its closing bracket.
		s := string(b)
		open, shut := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || shut < open {
			continue
		}
		f := strings.Fields(s[shut+1:])
		// The kernel keeps the first 15 bytes of a command's name.
		if comm := s[open+1 : shut]; len(f) < 17 || comm == "" || !strings.HasPrefix(name, comm) {
			continue
		}
		if ppid, _ := strconv.Atoi(f[1]); ppid != pid {
			continue
		}
		nice, _ := strconv.Atoi(f[16]) // field 19 of stat: nice
		out[child] = nice
	}
	return out
}

// TestE2EBackgroundDrafts reads the demo with dictation (espeak-ng played into a private
// PulseAudio null sink whose monitor the station records): each case's draft is made while
// the session runs, by a recogniser at nice 19, as `sightline transcribe` writes it. A SIGTERM
// while a draft is being made writes nothing half, leaves the recording whole, and the batch
// command finishes what is missing.
func TestE2EBackgroundDrafts(t *testing.T) {
	for _, p := range []string{transcribe.SphinxBin, "espeak-ng", "paplay"} {
		if _, err := exec.LookPath(p); err != nil {
			notrun.Skip(t, p+" is not installed (scripts/deps.sh test installs it)")
		}
	}
	pulsetest.Start(t).AddSink("sightline_test", "Sightline_test")
	bin := binary(t)
	disp := startX(t)
	studyDir := t.TempDir()
	speech := func(text string) string {
		p := filepath.Join(t.TempDir(), "speech.wav")
		if out, err := exec.Command("espeak-ng", "-v", "en-us", "-s", "170", "-w", p, text).CombinedOutput(); err != nil {
			t.Fatalf("espeak-ng: %v %s", err, out)
		}
		return p
	}
	short := speech("there is a small left pleural effusion. the heart is normal in size.")
	long := speech(strings.Repeat("no focal consolidation. the cardiomediastinal silhouette is within normal limits. ", 6))
	say := func(wav string) {
		if out, err := exec.Command("paplay", "--device=sightline_test", wav).CombinedOutput(); err != nil {
			t.Fatalf("paplay: %v %s", err, out)
		}
	}
	env := append(os.Environ(), "DISPLAY="+disp, "LANG=en_US.UTF-8", "FYNE_SCALE=1")
	cmd := exec.Command(bin, "demo", "--study", studyDir, "--tracker", "mouse", "--operator", "none",
		"--audio", "Sightline_test", "--seed", "3")
	cmd.Env = env
	cmd.Dir = studyDir // not beside a FyneApp.toml (see station)
	logf, _ := os.Create(filepath.Join(t.TempDir(), "station.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := childproc.Start(cmd); err != nil {
		t.Fatalf("start station: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-exited
		checkStationLog(t, logf.Name())
	})
	key := func(k string) {
		c := exec.Command("xdotool", "key", k)
		c.Env = env
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("xdotool key %s: %v: %s", k, err, out)
		}
	}
	sess := sessionDir(t, studyDir)
	waitFor(t, "the first case", 60*time.Second, func() bool { return len(screenDirs(t, sess)) >= 1 })
	first := screenDirs(t, sess)[0]
	waitFor(t, "the first case's audio", 60*time.Second, func() bool { return wavHeaderSeconds(filepath.Join(first, "audio.wav")) > 0.2 })
	say(short)
	key("space")
	waitFor(t, "the second case", 30*time.Second, func() bool { return len(screenDirs(t, sess)) >= 2 })
	raw := filepath.Join(first, transcribe.RawFile)
	// Both of the draft's files: transcript_raw.json is written first, transcript.json after it
	// (a loaded machine showed the second missing when the first appeared).
	waitFor(t, "the first case's draft, made while the session runs", 120*time.Second, func() bool {
		r, err := transcribe.ReadRaw(first)
		_, terr := os.Stat(filepath.Join(first, transcribe.TranscriptFile))
		return err == nil && len(r.Words) > 0 && terr == nil
	})
	r, _ := transcribe.ReadRaw(first)
	if r.Engine != "pocketsphinx" || len(r.Words) < 5 {
		t.Errorf("the first draft: %s, %d words (%s)", r.Engine, len(r.Words), raw)
	}
	firstDraft, err := os.ReadFile(filepath.Join(first, transcribe.TranscriptFile))
	if err != nil || len(firstDraft) == 0 {
		t.Fatalf("the first draft's transcript.json: %v (%d bytes)", err, len(firstDraft))
	}

	// A long dictation: its draft takes long enough to be caught being made.
	var drafting map[int]int
	var cut string
	for n := 2; n <= 5 && drafting == nil; n++ {
		on := screenDirs(t, sess)[n-1]
		if strings.Contains(filepath.Base(on), "calibration") {
			key("space")
			waitFor(t, "the next screen", 30*time.Second, func() bool { return len(screenDirs(t, sess)) > n })
			continue
		}
		waitFor(t, "the case's audio", 60*time.Second, func() bool { return wavHeaderSeconds(filepath.Join(on, "audio.wav")) > 0.2 })
		say(long)
		key("space")
		waitFor(t, "the next case", 30*time.Second, func() bool { return len(screenDirs(t, sess)) > n })
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			if m := childrenNamed(cmd.Process.Pid, transcribe.SphinxBin); len(m) > 0 {
				drafting, cut = m, on
				break
			}
			if _, err := os.Stat(filepath.Join(on, transcribe.RawFile)); err == nil {
				break // drafted before it was seen: the next case tries again
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	if drafting == nil {
		t.Fatal("no draft was seen being made")
	}
	for pid, nice := range drafting {
		if nice != 19 {
			t.Errorf("the recogniser (pid %d) runs at nice %d, want 19", pid, nice)
		}
	}
	wavBefore := wavHeaderSeconds(filepath.Join(cut, "audio.wav"))
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
		exited <- nil // for the cleanup
	case <-time.After(60 * time.Second):
		t.Fatal("the station did not exit on SIGTERM")
	}
	for pid := range drafting {
		waitFor(t, "the recogniser killed with the station", 10*time.Second, func() bool {
			b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
			return err != nil || bytes.Contains(b, []byte(") Z "))
		})
	}
	for _, d := range screenDirs(t, sess) {
		ents, _ := os.ReadDir(d)
		for _, e := range ents {
			if strings.HasSuffix(e.Name(), ".tmp") {
				t.Errorf("%s: a half-written file left: %s", filepath.Base(d), e.Name())
			}
		}
	}
	if _, err := os.Stat(filepath.Join(cut, transcribe.TranscriptFile)); err == nil {
		t.Errorf("%s: the draft cut off by SIGTERM was written", filepath.Base(cut))
	}
	if got := wavHeaderSeconds(filepath.Join(cut, "audio.wav")); got < wavBefore || got < 10 {
		t.Errorf("%s: audio.wav holds %.1f s after the SIGTERM (%.1f s before)", filepath.Base(cut), got, wavBefore)
	}

	// The batch command finishes what is missing, and writes the first case as it was drafted.
	out, err := exec.Command(bin, "transcribe", studyDir).CombinedOutput()
	if err != nil {
		t.Fatalf("sightline transcribe: %v\n%s", err, out)
	}
	if r, err := transcribe.ReadRaw(cut); err != nil || len(r.Words) < 10 {
		t.Errorf("%s after sightline transcribe: %v, %+v", filepath.Base(cut), err, r)
	}
	if again, _ := os.ReadFile(filepath.Join(first, transcribe.TranscriptFile)); !bytes.Equal(again, firstDraft) {
		t.Errorf("the batch command's transcript.json of the first case differs from the background draft:\n%s\nwant\n%s", again, firstDraft)
	}
}
