//go:build e2e

package app

import (
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"sightline/internal/childproc"
	"sightline/reader/demo"
	"sightline/reader/qa/qatest"
	"sightline/reader/stage"
	"sightline/reader/study"
)

// overlayPixels counts the fixation overlay's amber in img.
func overlayPixels(img image.Image) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r>>8 > 200 && g>>8 > 140 && g>>8 < 220 && bl>>8 < 80 {
				n++
			}
		}
	}
	return n
}

// TestE2EReviewReplayFrame opens a recorded case of the demo study in `sightline review` in a
// real window under Xvfb: the case's image is drawn; back on the session list and in again by
// a click on the session's row, seeking 5 s on (→ five times) draws the fixations begun by
// then, more of the amber overlay than at the start. The screenshots
// are kept in SIGHTLINE_SHOTS when set.
func TestE2EReviewReplayFrame(t *testing.T) {
	bin := binary(t)
	disp := startX(t)
	studyDir := t.TempDir()
	cases, err := demo.Write(studyDir)
	if err != nil {
		t.Fatal(err)
	}
	c := cases[0]
	l := stage.Fit(c.Cols, c.Rows)
	qatest.Record(t, study.SessionDir(studyDir, "s1"), qatest.Session{ID: "s1", Reader: "R1", Cases: []qatest.Case{
		{DicomID: c.DicomID, Samples: 600, JumpAt: 300, Layout: &l, Audio: true, Click: 5 * time.Second,
			Phrases: []qatest.Phrase{{Text: "heart size", Begin: 1, End: 2}, {Text: "normal", Begin: 4.5, End: 5.5}}},
	}})
	env := append(os.Environ(), "DISPLAY="+disp, "LANG=en_US.UTF-8", "FYNE_SCALE=1")
	cmd := exec.Command(bin, "review", studyDir, "--reviewer", "qa1", "--session", "s1")
	cmd.Env = env
	logf, _ := os.Create(filepath.Join(t.TempDir(), "review.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := childproc.Start(cmd); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-done
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("review log:\n%s", b)
		}
	})
	dir := os.Getenv("SIGHTLINE_SHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	var first image.Image
	waitFor(t, "the case's image in the window", 60*time.Second, func() bool {
		first = shot(t, env, filepath.Join(dir, "review-start.png"))
		// The X-ray: a large bright area inside the stage, which stands right of the case
		// table (930 px wide at 1920×1080) and above the timeline.
		mean, _, _ := regionStats(first, image.Rect(1100, 250, 1450, 600))
		return mean > 40
	})
	xdo := func(args ...string) {
		t.Helper()
		c := exec.Command("xdotool", args...)
		c.Env = env
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("xdotool %v: %v: %s", args, err, out)
		}
	}
	// Back to the session list ("Sessions", top left) and into the session again by a click
	// on its row, as a reviewer does: the keys below must still reach the replay (the list's
	// table took the keyboard once), and opening it must log nothing.
	xdo("mousemove", "55", "21", "click", "1")
	waitFor(t, "the session list", 30*time.Second, func() bool {
		mean, _, _ := regionStats(shot(t, env, filepath.Join(dir, "review-list.png")), image.Rect(1100, 250, 1450, 600))
		return mean < 35 // the dark theme's background (about 25) where the X-ray stood
	})
	xdo("mousemove", "100", "135", "click", "1")
	waitFor(t, "the case's image again", 30*time.Second, func() bool {
		first = shot(t, env, filepath.Join(dir, "review-start.png"))
		mean, _, _ := regionStats(first, image.Rect(1100, 250, 1450, 600))
		return mean > 40
	})
	start := overlayPixels(first)
	for range 5 {
		xdo("key", "Right")
	}
	var later image.Image
	waitFor(t, "the fixations 5 s in", 30*time.Second, func() bool {
		later = shot(t, env, filepath.Join(dir, "review-5s.png"))
		return overlayPixels(later) > start+500
	})
	if b, _ := os.ReadFile(logf.Name()); strings.Contains(string(b), "Failed to focus") {
		t.Errorf("opening the session from the list logged a focus error:\n%s", b)
	}
}

// cpuTicks is a process's utime+stime in clock ticks (/proc/PID/stat fields 14 and 15).
func cpuTicks(t testing.TB, pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	u, _ := strconv.ParseFloat(f[11], 64)
	k, _ := strconv.ParseFloat(f[12], 64)
	return u + k
}

// BenchmarkE2EReviewCPU is the review's CPU while a 60 s case of the demo study replays at 1×
// in a real window under Xvfb (Mesa's software GL), its dictation playing where a sound output
// answers: utime+stime of the process over 20 s of playing, as % of one core (issue 11: < 30%).
func BenchmarkE2EReviewCPU(b *testing.B) {
	bin := os.Getenv("SIGHTLINE_BIN")
	if bin == "" {
		b.Skip("SIGHTLINE_BIN: the binary to measure")
	}
	disp := os.Getenv("SIGHTLINE_DISPLAY")
	if disp == "" {
		b.Skip("SIGHTLINE_DISPLAY: an Xvfb display to measure on")
	}
	studyDir := b.TempDir()
	cases, err := demo.Write(studyDir)
	if err != nil {
		b.Fatal(err)
	}
	c := cases[0]
	l := stage.Fit(c.Cols, c.Rows)
	qatest.Record(b, study.SessionDir(studyDir, "s1"), qatest.Session{ID: "s1", Reader: "R1", Cases: []qatest.Case{
		{DicomID: c.DicomID, Samples: 60 * 60, JumpAt: 1800, Layout: &l, Audio: true, Click: 30 * time.Second},
	}})
	env := append(os.Environ(), "DISPLAY="+disp, "LANG=en_US.UTF-8", "FYNE_SCALE=1")
	for b.Loop() {
		cmd := exec.Command(bin, "review", studyDir, "--reviewer", "qa1", "--session", "s1")
		cmd.Env = env
		var log strings.Builder
		cmd.Stdout, cmd.Stderr = &log, &log
		if err := childproc.Start(cmd); err != nil {
			b.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		time.Sleep(5 * time.Second) // the window up and the case loaded (a benchmark: not a test's wait)
		key := exec.Command("xdotool", "key", "space")
		key.Env = env
		if out, err := key.CombinedOutput(); err != nil {
			b.Fatalf("xdotool: %v: %s", err, out)
		}
		time.Sleep(2 * time.Second)
		t0, w0 := cpuTicks(b, cmd.Process.Pid), time.Now()
		time.Sleep(20 * time.Second)
		t1, w1 := cpuTicks(b, cmd.Process.Pid), time.Now()
		select {
		case <-exited:
			b.Fatalf("the review exited while measured:\n%s", log.String())
		default:
		}
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-exited
		b.ReportMetric((t1-t0)/100/w1.Sub(w0).Seconds()*100, "cpu%")
	}
}
