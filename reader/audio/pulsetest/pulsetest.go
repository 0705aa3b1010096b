// Package pulsetest gives each test a PulseAudio server of its own (its own runtime folder and
// socket), with sinks and sources it may remove or make default: the machine's own sound
// server, its default sink and source, are never touched, and the daemon dies with the test.
package pulsetest

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"sightline/internal/childproc"
)

// Server is a private PulseAudio daemon with two null sinks, described "Keep" and "Doomed":
// their monitors are the capture devices "Monitor of Keep" and "Monitor of Doomed".
type Server struct {
	t      testing.TB
	daemon *exec.Cmd
	exited <-chan struct{}

	mu  sync.Mutex
	log []string // the daemon's log lines so far (at most maxLog)
}

// maxLog bounds the log lines kept (a debug log grows by a few lines a second per stream).
const maxLog = 200000

// Debug starts the daemon logging at debug level (the default is info): its stream underruns,
// rewinds and buffer requests are then in Log.
const Debug = "debug"

// Start starts the daemon (its socket and runtime folder in a temporary folder) and points
// PULSE_SERVER and PULSE_RUNTIME_PATH at it for the rest of the test; the daemon is killed when
// the test ends, and by the kernel should the test process die first (childproc). It fails the
// test, naming the Debian package, when pulseaudio or pactl is missing.
func Start(t *testing.T, level ...string) *Server {
	t.Helper()
	logLevel := "info"
	if len(level) > 0 {
		logLevel = level[0]
	}
	for tool, pkg := range map[string]string{"pulseaudio": "pulseaudio", "pactl": "pulseaudio-utils"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: install the Debian package %s (make deps-test)", tool, pkg)
		}
	}
	dir := t.TempDir()
	sock := filepath.Join(dir, "native")
	daemon := exec.Command("pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1",
		"--system=false", "--use-pid-file=no", "--disable-shm", "--log-level="+logLevel, "--log-target=stderr", "--log-time=1",
		"--load=module-native-protocol-unix socket="+sock+" auth-anonymous=1",
		"--load=module-null-sink sink_name=keep rate=48000 channels=1 sink_properties=device.description=Keep",
		"--load=module-null-sink sink_name=doomed rate=48000 channels=1 sink_properties=device.description=Doomed")
	daemon.Env = append(os.Environ(), "HOME="+dir, "XDG_RUNTIME_DIR="+dir, "PULSE_RUNTIME_PATH="+dir)
	stderr, err := daemon.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := childproc.Start(daemon); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	up := make(chan struct{})
	srv := &Server{t: t, daemon: daemon, exited: exited}
	go func() {
		defer close(exited)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "Daemon startup complete") {
				close(up)
			}
			srv.mu.Lock()
			if len(srv.log) < maxLog {
				srv.log = append(srv.log, sc.Text())
			}
			srv.mu.Unlock()
		}
		daemon.Wait()
	}()
	t.Cleanup(func() {
		daemon.Process.Kill()
		<-exited
	})
	select {
	case <-up:
	case <-exited:
		t.Fatal("private PulseAudio daemon exited at start-up")
	case <-time.After(2 * time.Minute): // it says when it is up: a loaded machine may be slow
		t.Fatal("private PulseAudio daemon not up within 2 min")
	}
	t.Setenv("PULSE_SERVER", "unix:"+sock)
	t.Setenv("PULSE_RUNTIME_PATH", dir)
	return srv
}

// Log is the daemon's log so far, from line from on (Lines gives where it stands).
func (s *Server) Log(from int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.log[min(from, len(s.log)):])
}

// Lines is how many log lines the daemon has written so far.
func (s *Server) Lines() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.log)
}

// Kill kills the daemon now, as a crash would, and returns once it has exited.
func (s *Server) Kill() {
	s.t.Helper()
	if err := s.daemon.Process.Kill(); err != nil {
		s.t.Fatal(err)
	}
	<-s.exited
}

// Pactl runs pactl against the server and returns its trimmed output.
func (s *Server) Pactl(args ...string) string {
	s.t.Helper()
	out, err := exec.Command("pactl", args...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("pactl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// AddSink loads one more null sink (48 kHz mono) named name, shown as description; its
// monitor is the capture device "Monitor of <description>". The default sink and source stay.
func (s *Server) AddSink(name, description string) {
	s.t.Helper()
	s.Pactl("load-module", "module-null-sink", "sink_name="+name, "rate=48000", "channels=1",
		"sink_properties=device.description="+description)
	for _, line := range strings.Split(s.Pactl("list", "short", "sinks"), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[1] == name {
			return
		}
	}
	s.t.Fatalf("null sink %s loaded but not listed", name)
}

// RemoveDoomed unloads the "doomed" sink: its monitor source disappears.
func (s *Server) RemoveDoomed() {
	s.t.Helper()
	for _, line := range strings.Split(s.Pactl("list", "short", "modules"), "\n") {
		if f := strings.Fields(line); len(f) > 2 && strings.Contains(line, "sink_name=doomed") {
			s.Pactl("unload-module", f[0])
			return
		}
	}
	s.t.Fatal("no module made the doomed sink")
}

// Witness records a sink's monitor with parec, an independent process, as a test's witness of
// what the sink played: every 16-bit sample (mono, at the sink's 48 kHz, so nothing is
// resampled), and when each part of it arrived.
type Witness struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	pcm  []int16
	odd  []byte // a byte of a sample whose other byte has not come yet
	seen []Arrival
}

// Arrival is the count of monitor frames recorded at a moment (the test's clock).
type Arrival struct {
	At     time.Time
	Frames int64
}

// WitnessRate is the rate the witness records at: the sinks' own.
const WitnessRate = 48000

// Record starts recording sink's monitor ("keep": the default sink's) and returns once the
// recording runs (a null sink's monitor streams silence while nothing plays): what is played
// after it returns is recorded. latency is parec's: a deep one loses nothing on a loaded
// machine, a shallow one delivers in small steps. The recorder stops with the test.
func (s *Server) Record(sink string, latency time.Duration) *Witness {
	s.t.Helper()
	w := &Witness{}
	w.cmd = exec.Command("parec", "-d", sink+".monitor", "--raw", "--format=s16le",
		"--rate="+strconv.Itoa(WitnessRate), "--channels=1", "--latency-msec="+strconv.Itoa(int(latency/time.Millisecond)))
	w.cmd.Stdout = w
	if err := childproc.Start(w.cmd); err != nil {
		s.t.Fatalf("parec (Debian package pulseaudio-utils): %v", err)
	}
	s.t.Cleanup(func() {
		w.cmd.Process.Kill()
		w.cmd.Wait()
	})
	deadline := time.Now().Add(time.Minute)
	for len(w.PCM()) < WitnessRate/10 {
		if time.Now().After(deadline) {
			s.t.Fatalf("parec recorded nothing from %s.monitor in a minute", sink)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return w
}

// Write takes parec's output (on exec's copying goroutine).
func (w *Witness) Write(p []byte) (int, error) {
	now := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	b := append(w.odd, p...)
	for i := 0; i+1 < len(b); i += 2 {
		w.pcm = append(w.pcm, int16(uint16(b[i])|uint16(b[i+1])<<8))
	}
	w.odd = append([]byte(nil), b[len(b)&^1:]...)
	w.seen = append(w.seen, Arrival{At: now, Frames: int64(len(w.pcm))})
	return len(p), nil
}

// PCM is a copy of what was recorded so far.
func (w *Witness) PCM() []int16 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.pcm)
}

// Arrivals are the recording's growth so far.
func (w *Witness) Arrivals() []Arrival {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.seen)
}
