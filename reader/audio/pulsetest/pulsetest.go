// Package pulsetest gives each test a PulseAudio server of its own (its own runtime folder and
// socket), with sinks and sources it may remove or make default: the machine's own sound
// server, its default sink and source, are never touched, and the daemon dies with the test.
package pulsetest

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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
}

// Start starts the daemon (its socket and runtime folder in a temporary folder) and points
// PULSE_SERVER and PULSE_RUNTIME_PATH at it for the rest of the test; the daemon is killed when
// the test ends, and by the kernel should the test process die first (childproc). It fails the
// test, naming the Debian package, when pulseaudio or pactl is missing.
func Start(t *testing.T) *Server {
	t.Helper()
	for tool, pkg := range map[string]string{"pulseaudio": "pulseaudio", "pactl": "pulseaudio-utils"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: install the Debian package %s (make deps-test)", tool, pkg)
		}
	}
	dir := t.TempDir()
	sock := filepath.Join(dir, "native")
	daemon := exec.Command("pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1",
		"--system=false", "--use-pid-file=no", "--disable-shm", "--log-level=info", "--log-target=stderr",
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
	go func() {
		defer close(exited)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "Daemon startup complete") {
				close(up)
			}
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
	return &Server{t: t, daemon: daemon, exited: exited}
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
