//go:build e2e

package app

// The real binary in a real window: Xvfb, a screenshot, xdotool. Run by `make e2e` (part of
// `make test`), which installs Xvfb, xdotool and ImageMagick first.

import (
	"bufio"
	"bytes"
	"debug/buildinfo"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"sightline/internal/childproc"
	"sightline/reader/audio/pulsetest"
	"sightline/reader/egd"
	"sightline/reader/session"
	"sightline/reader/study"
	"sightline/reader/wav"
)

// waitFor polls cond until it holds or the deadline passes. Polling a condition (not sleeping
// a fixed time) keeps the test correct on a slow machine and quick on a fast one. d is what an
// idle machine needs with room to spare; the deadline is patience × d, for a machine loaded
// with other builds and tests (the station renders on the CPU).
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	d *= patience
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// patience stretches every deadline of waitFor: none is what is tested.
const patience = 4

// binary is the station under test: $SIGHTLINE_BIN (make e2e builds it), or built here. It is
// built without migrated_fynedo, so that Fyne's thread checker is on in it (checkStationLog).
func binary(t *testing.T) string {
	b := os.Getenv("SIGHTLINE_BIN")
	if b == "" {
		b = filepath.Join(t.TempDir(), "sightline")
		cmd := exec.Command("go", "build", "-o", b, "..")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("build: %v", err)
		}
	}
	info, err := buildinfo.ReadFile(b)
	if err != nil {
		t.Fatalf("the station binary: %v", err)
	}
	for _, s := range info.Settings {
		if s.Key == "-tags" && slices.Contains(strings.Split(s.Value, ","), "migrated_fynedo") {
			t.Fatalf("%s is built with migrated_fynedo, which turns Fyne's thread checker off: build the e2e binary without it (make e2e)", b)
		}
	}
	return b
}

// startX starts Xvfb on a display number it picks itself (-displayfd: no race with other
// servers starting on this machine) and returns its DISPLAY value once it takes connections.
func startX(t *testing.T) string {
	for _, tool := range []string{"Xvfb", "xdotool", "import"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed (make test installs it via scripts/deps.sh test): %v", tool, err)
		}
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	// -noreset: the server stays as it is when its last client (a killed station) goes.
	x := exec.Command("Xvfb", "-displayfd", "3", "-noreset", "-screen", "0", "1920x1080x24", "-nolisten", "tcp")
	x.ExtraFiles = []*os.File{w} // fd 3
	// childproc: it dies with the test, should the test process be killed.
	if err := childproc.Start(x); err != nil {
		t.Fatalf("start Xvfb: %v", err)
	}
	w.Close()
	exited := make(chan struct{})
	go func() { _ = x.Wait(); close(exited) }()
	got := make(chan string, 1)
	go func() {
		// Read on until the server exits, so that it never writes into a closed pipe.
		br := bufio.NewReader(r)
		line, _ := br.ReadString('\n')
		got <- strings.TrimSpace(line)
		_, _ = io.Copy(io.Discard, br)
		r.Close()
	}()
	t.Cleanup(func() {
		// SIGTERM: Xvfb removes its lock file and socket (/tmp/.X<n>-lock, /tmp/.X11-unix/X<n>)
		// as it goes; a SIGKILL would leave them behind.
		_ = x.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(time.Minute):
			_ = x.Process.Kill()
			<-exited
		}
	})
	select {
	case n := <-got:
		if n == "" {
			t.Fatal("Xvfb exited without taking a display")
		}
		return ":" + n
	case <-time.After(30 * time.Second):
		t.Fatal("Xvfb did not take a display within 30 s")
	}
	return ""
}

type layoutFile struct {
	W, H                     int
	Top, Bottom, Left, Right int
}

func screenDirs(t *testing.T, session string) []string {
	m, _ := filepath.Glob(filepath.Join(session, "cases", "*"))
	return m
}

func shot(t *testing.T, env []string, path string) image.Image {
	t.Helper()
	cmd := exec.Command("import", "-window", "root", path)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("screenshot: %v: %s", err, out)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("decode screenshot: %v", err)
	}
	return img
}

func lum(img image.Image, x, y int) float64 {
	r, g, b, _ := img.At(x, y).RGBA()
	return (float64(r) + float64(g) + float64(b)) / 3 / 257
}

// regionStats returns the mean, standard deviation and maximum of luminance over r (sampled
// every 4th pixel).
func regionStats(img image.Image, r image.Rectangle) (mean, sd, maxv float64) {
	var n, s, s2 float64
	for y := r.Min.Y; y < r.Max.Y; y += 4 {
		for x := r.Min.X; x < r.Max.X; x += 4 {
			v := lum(img, x, y)
			n, s, s2 = n+1, s+v, s2+v*v
			maxv = math.Max(maxv, v)
		}
	}
	if n == 0 {
		return 0, 0, 0
	}
	mean = s / n
	return mean, math.Sqrt(math.Max(s2/n-mean*mean, 0)), maxv
}

// station runs the built binary under a fresh Xvfb and returns its environment and the
// study folder it records into.
func station(t *testing.T, args ...string) (env []string, studyDir string, exited <-chan error) {
	bin := binary(t)
	disp := startX(t)
	studyDir = t.TempDir()
	env = append(os.Environ(), "DISPLAY="+disp, "LANG=en_US.UTF-8", "FYNE_SCALE=1")
	cmd := exec.Command(bin, append([]string{"demo", "--study", studyDir, "--operator", "none", "--audio", "none"}, args...)...)
	cmd.Env = env
	cmd.Dir = studyDir // not beside a FyneApp.toml: its fyneDo migration would turn the thread checker off
	logf, _ := os.Create(filepath.Join(t.TempDir(), "station.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := childproc.Start(cmd); err != nil {
		t.Fatalf("start station: %v", err)
	}
	ch := make(chan error, 1)
	go func() { ch <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-ch
		checkStationLog(t, logf.Name())
	})
	return env, studyDir, ch
}

// checkStationLog runs once the station is gone: it fails the test on what Fyne's thread
// checker logged (the e2e binary is built without migrated_fynedo, so Fyne reports every widget
// touched off the main goroutine), and prints the log of a failed test.
func checkStationLog(t *testing.T, path string) {
	t.Helper()
	b, _ := os.ReadFile(path)
	if errs := fyneThreadErrors(b); len(errs) > 0 {
		t.Errorf("Fyne's thread checker: the station touched Fyne off the main goroutine (fyne.Do it):\n%s",
			strings.Join(errs, "\n"))
	}
	if t.Failed() {
		t.Logf("station log:\n%s", b)
	}
}

// fyneThreadErrors picks out of a station log each report of Fyne's thread checker with the
// "From:" line that names our code.
func fyneThreadErrors(log []byte) []string {
	var out []string
	lines := strings.Split(string(log), "\n")
	for i, l := range lines {
		if !strings.Contains(l, "Error in Fyne call thread") {
			continue
		}
		r := strings.TrimSpace(l)
		if i+1 < len(lines) && strings.Contains(lines[i+1], "From:") {
			r += " " + strings.TrimSpace(lines[i+1])
		}
		out = append(out, r)
	}
	return out
}

func sessionDir(t *testing.T, studyDir string) string {
	var session string
	waitFor(t, "the session folder", 90*time.Second, func() bool {
		m, _ := filepath.Glob(study.SessionDir(studyDir, "*"))
		if len(m) == 1 {
			session = m[0]
			return true
		}
		return false
	})
	return session
}

func TestE2EReadingUnderXvfb(t *testing.T) {
	// Seed 3 gives a case first (checked below from the plan, so a change of plan fails loudly).
	env, studyDir, exited := station(t, "--seed", "3", "--tracker", "mouse")

	session := sessionDir(t, studyDir)
	waitFor(t, "the first screen", 60*time.Second, func() bool { return len(screenDirs(t, session)) >= 1 })
	first := screenDirs(t, session)[0]
	if strings.Contains(filepath.Base(first), "calibration") {
		t.Fatalf("seed 3 should open on a case, got %s", first)
	}
	// The case folder comes first, its layout.json right after.
	var lay layoutFile
	waitFor(t, "the first screen's layout.json", 30*time.Second, func() bool {
		b, err := os.ReadFile(filepath.Join(first, "layout.json"))
		return err == nil && json.Unmarshal(b, &lay) == nil
	})
	inner := image.Rect(lay.Left, lay.Top, 1920-lay.Right, 1080-lay.Bottom)

	// The window needs a few frames to appear: wait until the image region is drawn.
	var img image.Image
	shotPath := filepath.Join(t.TempDir(), "shot.png")
	waitFor(t, "the first image on screen", 60*time.Second, func() bool {
		img = shot(t, env, shotPath)
		_, sd, _ := regionStats(img, inner.Inset(40))
		return sd > 8
	})
	if out := os.Getenv("SIGHTLINE_SHOT"); out != "" {
		data, _ := os.ReadFile(shotPath)
		_ = os.WriteFile(out, data, 0o644)
	}
	mean, sd, _ := regionStats(img, inner.Inset(40))
	t.Logf("image region %v: mean %.1f, sd %.1f", inner, mean, sd)
	if sd < 8 {
		t.Errorf("image region looks uniform (sd %.1f): no image drawn", sd)
	}
	// Padding: black, both sides (portrait images pad left and right, landscape top and bottom).
	pads := []image.Rectangle{}
	if lay.Left > 4 {
		pads = append(pads, image.Rect(0, 0, lay.Left-2, 1080), image.Rect(1920-lay.Right+2, 0, 1920, 1080))
	}
	if lay.Top > 4 {
		pads = append(pads, image.Rect(0, 0, 1920, lay.Top-2), image.Rect(0, 1080-lay.Bottom+2, 1920, 1080))
	}
	if len(pads) == 0 {
		t.Fatalf("first image fills the stage; pick a seed whose first case is padded: %+v", lay)
	}
	for _, p := range pads {
		if _, _, mx := regionStats(img, p); mx > 2 {
			t.Errorf("padding %v is not black (max %.0f)", p, mx)
		}
	}

	// Gaze: move the pointer over the image, then space to the next case.
	xdo := func(args ...string) {
		c := exec.Command("xdotool", args...)
		c.Env = env
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("xdotool %v: %v: %s", args, err, out)
		}
	}
	cx, cy := (inner.Min.X+inner.Max.X)/2, (inner.Min.Y+inner.Max.Y)/2
	for i := 0; i < 5; i++ {
		xdo("mousemove", fmt.Sprint(cx+i*20), fmt.Sprint(cy))
	}
	gazeFile := filepath.Join(first, "eye_gaze.csv")
	waitFor(t, "gaze rows on the first case", 30*time.Second, func() bool {
		return countValidRows(gazeFile) >= 10
	})
	xdo("key", "space")
	waitFor(t, "the second screen's folder", 30*time.Second, func() bool {
		return len(screenDirs(t, session)) >= 2
	})
	if n := countValidRows(gazeFile); n < 10 {
		t.Errorf("first case has %d gaze rows mapped onto the image, want ≥ 10", n)
	}
	select {
	case err := <-exited:
		t.Fatalf("station exited early: %v", err)
	default:
	}
}

// countValidRows counts eye_gaze.csv rows whose X_ORIGINAL (the 36th column) is a pixel.
func countValidRows(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		cols := strings.Split(sc.Text(), ",")
		if len(cols) == 37 && cols[35] != "-1" {
			n++
		}
	}
	return n
}

// TestE2ESimulatorCalibrationThenReading runs the demo on the Gazepoint simulator over
// loopback: the 9-point calibration and the validation run first, Enter accepts the report,
// and the first case then records the simulated reader's gaze, mapped onto the image.
func TestE2ESimulatorCalibrationThenReading(t *testing.T) {
	env, studyDir, exited := station(t, "--seed", "3", "--tracker", "sim")
	session := sessionDir(t, studyDir)
	checks := filepath.Join(session, "calibrations.jsonl")
	waitFor(t, "the calibration report", 120*time.Second, func() bool {
		b, err := os.ReadFile(checks)
		return err == nil && len(b) > 0
	})
	var rep struct {
		Round       int
		Calibration *struct {
			Points      []json.RawMessage
			ValidPoints int `json:"valid_points"`
		}
		Validation struct {
			AccuracyDeg float64 `json:"accuracy_deg"`
			Verdict     string
		}
	}
	b, _ := os.ReadFile(checks)
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("calibrations.jsonl: %v: %s", err, b)
	}
	if rep.Calibration == nil || len(rep.Calibration.Points) != 9 || rep.Calibration.ValidPoints != 9 {
		t.Errorf("calibration report: %s", b)
	}
	// The simulator looks at the validation targets it is told about: a small error.
	if rep.Validation.AccuracyDeg < 0 || rep.Validation.AccuracyDeg > 2 {
		t.Errorf("validation accuracy %.2f°, want ≤ 2° from the simulator: %s", rep.Validation.AccuracyDeg, b)
	}
	if len(screenDirs(t, session)) != 0 {
		t.Fatal("a case started before the calibration was accepted")
	}
	// The report is saved before its card is drawn (queued for the UI goroutine): a Return that
	// comes first finds no card and does nothing, as it should. Press again if the first had
	// no effect (a loaded machine: the journal ended at "calibrated" with no accept at all).
	started := func() bool { return len(screenDirs(t, session)) >= 1 }
	for try := 1; ; try++ {
		c := exec.Command("xdotool", "key", "Return")
		c.Env = env
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("xdotool: %v: %s", err, out)
		}
		if try == 3 {
			waitFor(t, "the first screen after accepting", 30*time.Second, started)
			break
		}
		if eventually(10*time.Second, started) {
			break
		}
		t.Logf("Return %d: no effect within 10 s, pressed again", try)
	}
	gaze := filepath.Join(screenDirs(t, session)[0], "eye_gaze.csv")
	waitFor(t, "simulated gaze on the first case", 30*time.Second, func() bool { return countValidRows(gaze) >= 30 })
	select {
	case err := <-exited:
		t.Fatalf("station exited early: %v", err)
	default:
	}
}

// TestE2EKillAndResume kills the station mid-case (SIGKILL: no chance to flush or close), checks
// that what was recorded up to a second before the kill is on disk and whole, then resumes the
// session, reads it to the end and checks that it is complete and consistent.
func TestE2EKillAndResume(t *testing.T) {
	// A real audio path: a PulseAudio server of the test's own (the machine's default sink and
	// source untouched) with a null sink; the station records its monitor, named.
	pulsetest.Start(t).AddSink("sightline_test", "Sightline_test")
	bin := binary(t)
	disp := startX(t)
	studyDir := t.TempDir()
	env := append(os.Environ(), "DISPLAY="+disp, "LANG=en_US.UTF-8", "FYNE_SCALE=1")
	run := func(args ...string) (*exec.Cmd, <-chan struct{}) {
		// The test sink's monitor by name: taken by default, a monitor source is asked about.
		cmd := exec.Command(bin, append([]string{"demo", "--study", studyDir, "--tracker", "sim", "--operator", "none",
			"--audio", "Sightline_test"}, args...)...)
		cmd.Env = env
		cmd.Dir = studyDir // not beside a FyneApp.toml (see station)
		logf, _ := os.Create(filepath.Join(t.TempDir(), "station.log"))
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := childproc.Start(cmd); err != nil {
			t.Fatalf("start station: %v", err)
		}
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		t.Cleanup(func() {
			_ = cmd.Process.Signal(syscall.SIGKILL)
			<-done
			checkStationLog(t, logf.Name())
		})
		return cmd, done
	}
	key := func(k string) {
		c := exec.Command("xdotool", "key", k)
		c.Env = env
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("xdotool key %s: %v: %s", k, err, out)
		}
	}
	acceptCalibration := func(sess string, round int) {
		waitFor(t, "calibration report", 120*time.Second, func() bool {
			b, _ := os.ReadFile(filepath.Join(sess, "calibrations.jsonl"))
			return strings.Count(string(b), "\n") >= round
		})
		key("Return")
	}

	cmd, dead := run("--seed", "3")
	sess := sessionDir(t, studyDir)
	acceptCalibration(sess, 1)
	waitFor(t, "first case", 30*time.Second, func() bool { return len(screenDirs(t, sess)) >= 1 })
	for n := 2; n <= 3; n++ {
		// Read the screen a little: half a second of gaze on disk, then space.
		on := screenDirs(t, sess)[n-2]
		waitFor(t, fmt.Sprintf("gaze on screen %d", n-1), 30*time.Second, func() bool {
			return countRows(filepath.Join(on, "eye_gaze.csv")) >= 30
		})
		key("space")
		waitFor(t, fmt.Sprintf("screen %d", n), 30*time.Second, func() bool { return len(screenDirs(t, sess)) >= n })
	}
	third := screenDirs(t, sess)[2]
	gaze3, wav := filepath.Join(third, "eye_gaze.csv"), filepath.Join(third, "audio.wav")
	waitFor(t, "gaze on the third screen", 30*time.Second, func() bool { return countRows(gaze3) >= 90 })
	// The wall time the screen was shown and its first audio frame was taken: the journal's
	// host clock and audio.json's first-frame host time, both on the session clock.
	var shown, firstFrame time.Time
	waitFor(t, "the third screen in the journal and its audio.json", 30*time.Second, func() bool {
		var ok bool
		if shown, ok = journalShown(sess, 2); !ok {
			return false
		}
		var meta struct {
			FirstFrameHostNS int64 `json:"first_frame_host_ns"`
		}
		b, _ := os.ReadFile(filepath.Join(third, "audio.json"))
		if json.Unmarshal(b, &meta) != nil || meta.FirstFrameHostNS <= 0 {
			return false
		}
		firstFrame = shown.Add(time.Duration(meta.FirstFrameHostNS) - screenShownHost(t, sess, 2))
		return true
	})
	// The station flushes gaze and audio every half second: wait until the disk holds the case
	// up to within a second of now (at once on an idle machine, later on a loaded one), note
	// what it holds, and kill the station right then.
	var gazeBefore, wavBefore float64
	waitFor(t, "the third case on disk to within a second of now", 60*time.Second, func() bool {
		gazeBefore, wavBefore = gazeTimeOnDisk(gaze3), wavHeaderSeconds(wav)
		return gazeBefore >= time.Since(shown).Seconds()-1.2 && wavBefore >= time.Since(firstFrame).Seconds()-1
	})
	killed := time.Now()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-dead // its session lock goes with the process

	// Everything on disk parses: whole rows, whole journal lines.
	for _, d := range screenDirs(t, sess) {
		for _, f := range []string{"eye_gaze.csv", "fixations.csv"} {
			if err := parseGaze(filepath.Join(d, f)); err != nil {
				t.Errorf("after the kill: %v", err)
			}
		}
	}
	// The case's audio: a WAV whose header Python's wave module and sox accept as it was left
	// by the kill, holding all the sound it held before.
	out, err := exec.Command("python3", "-c",
		"import wave,sys; w=wave.open(sys.argv[1]); print(w.getnframes()/w.getframerate())", wav).CombinedOutput()
	if err != nil {
		t.Fatalf("python wave cannot open the killed case's WAV: %v: %s", err, out)
	}
	var wavSecs float64
	fmt.Sscan(strings.TrimSpace(string(out)), &wavSecs)
	if out, err := exec.Command("soxi", "-D", wav).CombinedOutput(); err != nil {
		t.Errorf("sox cannot read the killed case's WAV: %v: %s", err, out)
	}
	// No more sound than time passed from its first frame to the kill, and none lost.
	if want := killed.Sub(firstFrame).Seconds(); wavSecs < wavBefore || wavSecs > want+0.2 {
		t.Errorf("killed case's WAV holds %.2f s (%.2f s before the kill); %.2f s passed from its first frame to the kill",
			wavSecs, wavBefore, want)
	}
	// The case's gaze: every row that was on disk before the kill still is, whole.
	if lastTime := lastGazeTime(t, gaze3); lastTime < gazeBefore {
		t.Errorf("third case's gaze ends at %.2f s after the kill, at %.2f s before it", lastTime, gazeBefore)
	}

	// Resume: the interrupted case is kept aside and read again; read on to the end.
	run("--resume", "yes")
	acceptCalibration(sess, 2)
	waitFor(t, "the interrupted case again", 30*time.Second, func() bool {
		_, err := os.Stat(third)
		return err == nil
	})
	if _, err := os.Stat(third + ".interrupted-1"); err != nil {
		t.Fatalf("the interrupted case was not kept: %v", err)
	}
	var st struct {
		Status      string
		Done        []int
		Interrupted []int
		Plan        []json.RawMessage
	}
	complete := func() bool {
		b, _ := os.ReadFile(filepath.Join(sess, "session.json"))
		_ = json.Unmarshal(b, &st)
		return st.Status == "complete"
	}
	offered := func() bool {
		ev, _ := os.ReadFile(filepath.Join(sess, "events.jsonl"))
		return strings.Contains(string(ev), "reread_offered")
	}
	// Space through the session, each press once the last one has shown on disk: a new case
	// folder, the re-read offer, or the session complete.
	for presses := 0; !complete(); presses++ {
		if offered() {
			key("Escape") // cases this short may fail the quality gate: finish without re-reading
			break
		}
		if presses > 40 {
			t.Fatalf("session not complete after %d spaces", presses)
		}
		n := len(screenDirs(t, sess))
		took := func() bool { return len(screenDirs(t, sess)) > n || offered() || complete() }
		// A space that comes while the report card is still up (its hiding is queued for the
		// UI goroutine when the case's folder appears) is not the reader's and is ignored:
		// press again if the first had no effect.
		for try := 1; ; try++ {
			key("space")
			if try == 3 {
				waitFor(t, fmt.Sprintf("space %d to show", presses+1), 30*time.Second, took)
				break
			}
			if eventually(10*time.Second, took) {
				break
			}
			t.Logf("space %d: no effect within 10 s, pressed again", presses+1)
		}
	}
	waitFor(t, "the sess to complete", 30*time.Second, func() bool {
		b, _ := os.ReadFile(filepath.Join(sess, "session.json"))
		_ = json.Unmarshal(b, &st)
		return st.Status == "complete"
	})
	if len(st.Done) != len(st.Plan) || fmt.Sprint(st.Interrupted) != "[2]" {
		t.Errorf("session.json: %d of %d screens done, interrupted %v", len(st.Done), len(st.Plan), st.Interrupted)
	}
	dirs, _ := filepath.Glob(filepath.Join(sess, "cases", "*"))
	if len(dirs) != len(st.Plan)+1 {
		t.Errorf("%d case folders, want %d screens + 1 interrupted", len(dirs), len(st.Plan))
	}
	for _, d := range dirs {
		if err := parseGaze(filepath.Join(d, "eye_gaze.csv")); err != nil {
			t.Error(err)
		}
	}
	f, err := os.Open(filepath.Join(sess, "events.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := session.ReadEvents(f, "events.jsonl", func(int, session.Event) error { return nil }); err != nil {
		t.Errorf("journal: %v", err)
	}
}

// eventually polls cond until it holds (true) or d has passed (false).
func eventually(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}

// journalShown is the wall time the journal gives for screen index being shown, if it does yet.
func journalShown(sessionDir string, index int) (time.Time, bool) {
	f, err := os.Open(filepath.Join(sessionDir, "events.jsonl"))
	if err != nil {
		return time.Time{}, false
	}
	defer f.Close()
	var at time.Time
	_ = session.ReadEvents(f, "events.jsonl", func(_ int, e session.Event) error {
		if e.Kind == session.EventScreenShown && e.Screen == index {
			at = e.Wall
		}
		return nil
	})
	return at, !at.IsZero()
}

// gazeTimeOnDisk is the Time of the last whole row of an eye_gaze.csv being written (-1 if none).
func gazeTimeOnDisk(path string) float64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return -1
	}
	last := -1.0
	_ = egd.ReadGaze(bytes.NewReader(b[:bytes.LastIndexByte(b, '\n')+1]), path, func(_ int, r egd.GazeRecord) error {
		last = r.Time
		return nil
	})
	return last
}

// wavHeaderSeconds is the sound a WAV's header declares, in seconds (what a reader of the file
// sees); 0 if it has no header yet.
func wavHeaderSeconds(path string) float64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	fm, err := wav.ParseHeader(f)
	if err != nil || fm.Rate == 0 {
		return 0
	}
	return float64(fm.Frames()) / float64(fm.Rate)
}

// countRows counts a CSV's data rows (lines after the header).
func countRows(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return max(0, strings.Count(string(b), "\n")-1)
}

// parseGaze reads a 37-column file with the strict reader: every row whole and well formed.
func parseGaze(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return egd.ReadGaze(f, path, func(int, egd.GazeRecord) error { return nil })
}

func lastGazeTime(t *testing.T, path string) float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	last := -1.0
	if err := egd.ReadGaze(f, path, func(_ int, r egd.GazeRecord) error { last = r.Time; return nil }); err != nil {
		t.Fatal(err)
	}
	return last
}

// screenShownHost is the host time the journal gives for screen index being shown.
func screenShownHost(t *testing.T, sessionDir string, index int) time.Duration {
	t.Helper()
	f, err := os.Open(filepath.Join(sessionDir, "events.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var at time.Duration = -1
	_ = session.ReadEvents(f, "events.jsonl", func(_ int, e session.Event) error {
		if e.Kind == session.EventScreenShown && e.Screen == index {
			at = time.Duration(e.HostNS)
		}
		return nil
	})
	if at < 0 {
		t.Fatalf("screen %d shown: not in the journal", index)
	}
	return at
}

// TestE2ESignalEndsAndReaderContinues sends SIGTERM to the real binary mid-case: the session
// must end cleanly (status "ended" with the signal as its reason, the open case closed with its
// quality record, the lock free), and the reader's next start must continue that session at the
// next case, showing no case twice. SIGINT then ends the continued session the same way.
func TestE2ESignalEndsAndReaderContinues(t *testing.T) {
	bin := binary(t)
	disp := startX(t)
	studyDir := t.TempDir()
	env := append(os.Environ(), "DISPLAY="+disp, "LANG=en_US.UTF-8", "FYNE_SCALE=1")
	run := func() (*exec.Cmd, <-chan error) {
		cmd := exec.Command(bin, "demo", "--study", studyDir, "--tracker", "mouse", "--operator", "none",
			"--audio", "none", "--seed", "3")
		cmd.Env = env
		cmd.Dir = studyDir // not beside a FyneApp.toml (see station)
		logf, _ := os.Create(filepath.Join(t.TempDir(), "station.log"))
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := childproc.Start(cmd); err != nil {
			t.Fatalf("start station: %v", err)
		}
		ch := make(chan error, 1)
		done := make(chan struct{})
		go func() { ch <- cmd.Wait(); close(done) }()
		t.Cleanup(func() {
			_ = cmd.Process.Signal(syscall.SIGKILL)
			<-done
			checkStationLog(t, logf.Name())
		})
		return cmd, ch
	}
	xdo := func(args ...string) {
		c := exec.Command("xdotool", args...)
		c.Env = env
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("xdotool %v: %v: %s", args, err, out)
		}
	}
	var st session.State
	readState := func(sess string) session.State {
		s, err := session.ReadState(sess)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	stop := func(cmd *exec.Cmd, exited <-chan error, sig syscall.Signal, sess string) {
		sent := time.Now()
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-exited:
			t.Logf("%v: the station exited %v after the signal (%v)", sig, time.Since(sent).Round(time.Millisecond), err)
		case <-time.After(60 * time.Second):
			t.Fatalf("%v: the station has not exited", sig)
		}
		st = readState(sess)
		if st.Status != session.StatusEnded || st.EndReason != map[syscall.Signal]string{syscall.SIGTERM: "SIGTERM", syscall.SIGINT: "SIGINT"}[sig] {
			t.Fatalf("after %v: status %q, reason %q; want ended by the signal", sig, st.Status, st.EndReason)
		}
		lk, err := os.OpenFile(filepath.Join(sess, session.LockFile), os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer lk.Close()
		if err := syscall.Flock(int(lk.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			t.Errorf("after %v: the session lock is still held: %v", sig, err)
		}
		if cut, _ := study.Interrupted(filepath.Dir(filepath.Dir(sess))); len(cut) != 0 {
			t.Errorf("after %v: the session counts as interrupted", sig)
		}
	}
	// read moves the pointer over the case so gaze is recorded, and waits for its rows.
	read := func(dir string) {
		for i := 0; i < 5; i++ {
			xdo("mousemove", fmt.Sprint(800+i*40), "540")
		}
		waitFor(t, "gaze rows in "+filepath.Base(dir), 30*time.Second, func() bool {
			return countRows(filepath.Join(dir, "eye_gaze.csv")) >= 3
		})
	}

	// drawn waits until the window shows an image (keys sent before it has appeared are lost).
	drawn := func() {
		path := filepath.Join(t.TempDir(), "shot.png")
		waitFor(t, "the case on screen", 60*time.Second, func() bool {
			_, sd, _ := regionStats(shot(t, env, path), image.Rect(760, 340, 1160, 740))
			return sd > 8
		})
	}
	cmd, exited := run()
	sess := sessionDir(t, studyDir)
	waitFor(t, "the first case", 60*time.Second, func() bool { return len(screenDirs(t, sess)) >= 1 })
	drawn()
	read(screenDirs(t, sess)[0])
	xdo("key", "space")
	waitFor(t, "the second case", 30*time.Second, func() bool { return len(screenDirs(t, sess)) >= 2 })
	second := screenDirs(t, sess)[1]
	read(second)
	stop(cmd, exited, syscall.SIGTERM, sess)
	if len(st.Done) != 2 || st.Done[1] != 1 {
		t.Errorf("done %v: the open case (screen 1) was not closed", st.Done)
	}
	if _, err := os.Stat(filepath.Join(second, session.QualityFile)); err != nil {
		t.Errorf("the open case has no quality record: %v", err)
	}
	if err := parseGaze(filepath.Join(second, "eye_gaze.csv")); err != nil {
		t.Error(err)
	}

	// The same reader starts again: the session continues at screen 2.
	cmd, exited = run()
	waitFor(t, "the third case", 60*time.Second, func() bool { return len(screenDirs(t, sess)) >= 3 })
	if m, _ := filepath.Glob(study.SessionDir(studyDir, "*")); len(m) != 1 {
		t.Fatalf("sessions %v: the reader's ended session was not continued", m)
	}
	third := screenDirs(t, sess)[2]
	drawn()
	if !strings.HasPrefix(filepath.Base(third), "02-") {
		t.Fatalf("continued at %s, want screen 2", filepath.Base(third))
	}
	if st := readState(sess); st.Status != session.StatusRecording || st.Resumed != 1 {
		t.Fatalf("continued session: status %q, resumed %d", st.Status, st.Resumed)
	}
	read(third)
	stop(cmd, exited, syscall.SIGINT, sess)
	if len(screenDirs(t, sess)) != 3 || len(st.Done) != 3 {
		t.Errorf("after the second sitting: %d case folders, done %v; want 3 screens, none twice", len(screenDirs(t, sess)), st.Done)
	}
	var resumed []session.Event
	f, err := os.Open(filepath.Join(sess, "events.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_ = session.ReadEvents(f, "events.jsonl", func(_ int, e session.Event) error {
		if e.Kind == session.EventResumed {
			resumed = append(resumed, e)
		}
		return nil
	})
	if len(resumed) != 1 || resumed[0].HostNS <= 0 || resumed[0].Attrs["after"] != "ended: SIGTERM" {
		t.Errorf("session_resumed events %+v: want one, on the session clock, after the SIGTERM", resumed)
	}
}
