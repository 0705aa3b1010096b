package audio

import (
	"context"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"sightline/reader/audio/pulsetest"
)

// testSink is the null sink the test's private server gets; its monitor is the source we record.
const testSink = "sightline_test"

// ensurePulse starts a PulseAudio server of the test's own (pulsetest: its own runtime folder,
// stopped with the test) with the null sink testSink, and checks paplay is there to play into it.
func ensurePulse(t *testing.T) {
	t.Helper()
	needTool(t, "paplay", "pulseaudio-utils")
	pulsetest.Start(t).AddSink(testSink, "Sightline_test")
}

// toneWindows splits pcm (mono) into 100 ms windows and reports, for each, whether it holds a
// clear hz tone: the Goertzel power at hz ≥ 100× that at its neighbours, and louder than −30 dBFS.
func toneWindows(pcm []int16, rate int, hz float64) []bool {
	w := rate / 10
	var out []bool
	for i := 0; i+w <= len(pcm); i += w {
		win := pcm[i : i+w]
		var ss float64
		for _, s := range win {
			ss += float64(s) * float64(s)
		}
		loud := dbfs(math.Sqrt(ss/float64(len(win)))) > -30
		out = append(out, loud && toneRatio(win, 1, rate, hz) >= 100)
	}
	return out
}

// TestPulseTone plays a 440 Hz tone into the null sink with paplay and records its monitor
// through malgo's PulseAudio backend into a case folder, as the station records dictation. The
// tone must be in audio.wav (found by Goertzel analysis, not by timing); PulseAudio's start-up
// latency varies, so the test waits for the signal rather than counting frames.
func TestPulseTone(t *testing.T) {
	ensurePulse(t)
	const rate, hz = 48000, 440.0
	dir := t.TempDir()
	tone := filepath.Join(dir, "tone.wav")
	w, err := Create(tone, rate, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(sine(0, 3*rate, 1, rate, hz, 0.5)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	devs, err := Devices(BackendPulse)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, d := range devs {
		found = found || strings.Contains(strings.ToLower(d.Name), testSink)
	}
	if !found {
		t.Fatalf("PulseAudio lists no capture device named like %q: %+v", testSink, devs)
	}

	caseDir := filepath.Join(dir, "case")
	if err := os.Mkdir(caseDir, 0o755); err != nil {
		t.Fatal(err)
	}
	var (
		ca        *CaseAudio
		capture   atomic.Pointer[Capture]
		addErr    error
		delivered atomic.Int64
		arrived   = make(chan struct{}, 1)
		heard     = make(chan struct{}) // a second of tone in a row came through
		gone      = make(chan struct{}) // then half a second without it
		heardOnce sync.Once
		goneOnce  sync.Once
		lv        Level // the meter as the tone was heard; written before heard is closed
		window    []int16
		inARow    int
		quiet     int
		lastNext  int64
		gaps      int
		gapFrames int64
		frames    int64 // delivered, gaps not counted
	)
	onBlock := func(b Block) {
		if addErr != nil {
			return
		}
		if ca.Frames() > 0 && b.Frame != lastNext {
			gaps++
			gapFrames += b.Frame - lastNext
		}
		lastNext = b.Frame + int64(len(b.PCM))
		frames += int64(len(b.PCM))
		if addErr = ca.Add(b); addErr != nil {
			return
		}
		delivered.Store(ca.Frames())
		select {
		case arrived <- struct{}{}:
		default:
		}
		// Listen as the samples arrive: a second of tone in a row is enough; the tone has gone
		// once half a second after it holds none.
		window = append(window, b.PCM...)
		for len(window) >= rate/10 {
			tone := toneWindows(window[:rate/10], rate, hz)[0]
			window = window[rate/10:]
			if tone {
				inARow, quiet = inARow+1, 0
			} else {
				inARow, quiet = 0, quiet+1
			}
			select {
			case <-heard:
				if quiet >= 5 {
					goneOnce.Do(func() { close(gone) })
				}
				continue
			default:
			}
			if inARow >= 10 {
				// The meter has taken this block in already (it runs before onBlock).
				if c := capture.Load(); c != nil {
					lv = c.Level()
				}
				heardOnce.Do(func() { close(heard) })
			}
		}
	}
	cfg := Config{Backend: BackendPulse, Device: testSink}
	// The case is opened before the capture starts, so onBlock never sees it nil.
	ca, err = NewCase(caseDir, rate, 1, "", BackendPulse)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Start(context.Background(), cfg, nil, onBlock)
	if err != nil {
		t.Fatalf("Start on PulseAudio: %v", err)
	}
	capture.Store(c) // before paplay: the tone cannot be heard before this
	defer c.Stop()
	// waitFrames waits until n frames have been delivered. Frames delivered before paplay
	// starts were captured before it started: they must be silent.
	waitFrames := func(n int64, limit time.Duration, what string) {
		t.Helper()
		deadline := time.After(limit)
		for delivered.Load() < n {
			select {
			case <-arrived:
			case <-deadline:
				t.Fatalf("%s: %d of %d frames delivered within %v", what, delivered.Load(), n, limit)
			}
		}
	}
	waitFrames(rate/2, time.Minute, "before the tone")
	before := delivered.Load()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	play := exec.CommandContext(ctx, "paplay", "--device="+testSink, tone)
	out, err := play.CombinedOutput()
	if err != nil {
		t.Fatalf("paplay: %v\n%s", err, out)
	}
	select {
	case <-heard:
	case <-ctx.Done():
		t.Fatal("the tone did not come through within 2 min")
	}
	// PulseAudio may hand the monitor's audio over late and in bursts: wait until half a
	// second without the tone has been recorded, however long after paplay that is.
	select {
	case <-gone:
	case <-time.After(2 * time.Minute):
		t.Fatalf("the tone was still coming through 2 min after paplay ended (%d frames delivered)", delivered.Load())
	}
	if err := c.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if addErr != nil {
		t.Fatal(addErr)
	}
	if err := ca.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ca.Wait(); err != nil {
		t.Fatal(err)
	}
	// A loaded machine may overrun the ring; what is dropped must be accounted for: every
	// frame the device gave was delivered or counted dropped, and each gap is silence of its
	// length in audio.wav and counted in audio.json.
	if frames+c.DroppedFrames() != c.Frames() {
		t.Errorf("device gave %d frames: %d delivered + %d dropped", c.Frames(), frames, c.DroppedFrames())
	}
	if gapFrames > c.DroppedFrames() || gaps > 0 && c.Overruns() == 0 {
		t.Errorf("%d gaps (%d frames) in the frame sequence, %d overruns (%d frames)", gaps, gapFrames, c.Overruns(), c.DroppedFrames())
	}
	// The meter was read while the tone played or just after: a half-scale sine reads
	// −9 dBFS RMS, −6 dBFS peak; allow for the 100 ms window catching its end.
	if lv.Peak < -12 {
		t.Errorf("level meter read %+v during the tone", lv)
	}

	fm, pcm, err := ReadWAV(filepath.Join(caseDir, WAVFile))
	if err != nil {
		t.Fatal(err)
	}
	if fm.Rate != rate || fm.Channels != 1 {
		t.Fatalf("audio.wav is %+v", fm)
	}
	wins := toneWindows(pcm, rate, hz)
	tonal := 0
	for _, ok := range wins {
		if ok {
			tonal++
		}
	}
	// 3 s of tone = 30 windows. PulseAudio may drop some of the monitor's audio when the
	// machine is loaded (the clock fit then shows it as drift): a second of tone will do.
	if tonal < 10 || tonal > 31 {
		t.Errorf("%d of %d 100 ms windows of audio.wav hold the 440 Hz tone, want 10 to 30", tonal, len(wins))
	}
	for i := range int(before) / (rate / 10) {
		if wins[i] {
			t.Errorf("the tone is in window %d, delivered before paplay started", i)
		}
	}
	if wins[len(wins)-1] {
		t.Error("the tone is in the last window, half a second after paplay ended")
	}
	m, err := ReadMeta(caseDir)
	if err != nil {
		t.Fatal(err)
	}
	if m.Frames != int64(len(pcm)) || m.FirstFrameHostNS < 0 || !m.Complete {
		t.Errorf("audio.json %+v", m)
	}
	if int64(len(pcm)) != frames+gapFrames || m.GapFrames != gapFrames || m.Overruns != int64(gaps) {
		t.Errorf("audio.wav %d frames, audio.json %d gaps of %d frames; delivered %d frames with %d gaps of %d frames",
			len(pcm), m.Overruns, m.GapFrames, frames, gaps, gapFrames)
	}
	if info, err := os.Stat(filepath.Join(caseDir, MP3File)); err != nil || info.Size() == 0 {
		t.Errorf("audio.mp3: %v", err)
	}
	t.Logf("%s: %d frames (%d overruns), tone in %d windows, level %+v; clock: jitter %v, drift %v (least squares), %v (envelope)",
		c.Device(), len(pcm), c.Overruns(), tonal, lv, time.Duration(m.JitterNS), time.Duration(m.DriftNS), time.Duration(m.EnvelopeDriftNS))
}

// TestPulseServerDies records from a private PulseAudio daemon (its own socket, so the shared
// one is untouched), kills the daemon, and checks that the loss is reported and Stop returns.
func TestPulseServerDies(t *testing.T) {
	srv := pulsetest.Start(t)

	errs := make(chan error, 4)
	col := newCollector(4800, 1)
	c, err := Start(context.Background(), Config{Backend: BackendPulse, Device: "Monitor of Keep", OnError: func(err error) { errs <- err }}, nil, col.add)
	if err != nil {
		t.Fatal(err)
	}
	col.wait(t, time.Minute)
	srv.Kill()
	select {
	case err := <-errs:
		if !errors.Is(err, ErrDeviceLost) {
			t.Errorf("OnError: %v, want ErrDeviceLost", err)
		}
	case <-time.After(stallTimeout + time.Minute):
		t.Fatal("losing the PulseAudio server was not reported")
	}
	stopped := make(chan error, 1)
	go func() { stopped <- c.Stop() }()
	select {
	case err := <-stopped:
		if !errors.Is(err, ErrDeviceLost) {
			t.Errorf("Stop: %v, want ErrDeviceLost", err)
		}
	case <-time.After(releaseTimeout + time.Minute):
		t.Fatal("Stop hung after the PulseAudio server died")
	}
}

// TestNoServer: with no PulseAudio server to talk to, the pulse backend fails at once with
// ErrNoDevice and a reason; auto mode goes on to ALSA and, should that fail too, names both.
func TestNoServer(t *testing.T) {
	t.Setenv("PULSE_SERVER", "unix:"+filepath.Join(t.TempDir(), "no-such-socket"))
	_, err := Start(context.Background(), Config{Backend: BackendPulse}, nil, nil)
	if !errors.Is(err, ErrNoDevice) || !strings.Contains(err.Error(), "pulse:") {
		t.Errorf("pulse without a server: %v, want ErrNoDevice naming pulse", err)
	}
	if _, err := Devices(BackendPulse); !errors.Is(err, ErrNoDevice) {
		t.Errorf("Devices(pulse) without a server: %v", err)
	}
	c, err := Start(context.Background(), Config{}, nil, nil)
	if err == nil {
		t.Logf("auto mode without PulseAudio opened %s device %q", c.Backend(), c.Device())
		c.Stop()
		return
	}
	if !errors.Is(err, ErrNoDevice) || !strings.Contains(err.Error(), "pulse:") || !strings.Contains(err.Error(), "alsa:") {
		t.Errorf("auto without a server: %v, want ErrNoDevice naming pulse and alsa", err)
	}
	t.Log(err)
}
