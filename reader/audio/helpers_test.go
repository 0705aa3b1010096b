package audio

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// needTool fails the test, naming the Debian package, when an external tool is missing: the
// Makefile's test dependencies install them, so a missing one is a broken set-up, not a skip.
func needTool(t testing.TB, tool, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		t.Fatalf("%s not found: install the Debian package %s (make deps-test)", tool, pkg)
	}
	return p
}

// run runs a command and returns its trimmed standard output, failing the test on error.
func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, errb.String())
	}
	return strings.TrimSpace(out.String())
}

// waveInfo is what a reference reader found in a WAV file.
type waveInfo struct {
	Frames int64 // frames the header declares
	Rate   int
	Read   int64 // frames actually read
}

// pythonWave opens each path with Python's wave module and reads every frame.
func pythonWave(t testing.TB, paths ...string) []waveInfo {
	t.Helper()
	needTool(t, "python3", "python3")
	out := run(t, "python3", append([]string{"-c", `import wave,sys
for p in sys.argv[1:]:
    w=wave.open(p); n=w.getnframes()
    print(n, w.getframerate(), len(w.readframes(n))//(w.getsampwidth()*w.getnchannels()))`}, paths...)...)
	return scanInfo(t, "python wave", out, len(paths))
}

// soxInfo asks soxi how many frames each path declares and at what rate, then has sox read
// every sample (Read: the frames sox read).
func soxInfo(t testing.TB, paths ...string) []waveInfo {
	t.Helper()
	needTool(t, "soxi", "sox")
	needTool(t, "sox", "sox")
	var b strings.Builder
	for _, p := range paths {
		var stat bytes.Buffer
		cmd := exec.Command("sox", p, "-n", "stat")
		cmd.Stderr = &stat
		if err := cmd.Run(); err != nil {
			t.Fatalf("sox %s -n stat: %v\n%s", p, err, stat.String())
		}
		var samples int64
		for _, line := range strings.Split(stat.String(), "\n") {
			if v, ok := strings.CutPrefix(line, "Samples read:"); ok {
				fmt.Sscan(v, &samples)
			}
		}
		var ch int64
		fmt.Sscan(run(t, "soxi", "-c", p), &ch)
		fmt.Fprintf(&b, "%s %s %d\n", run(t, "soxi", "-s", p), run(t, "soxi", "-r", p), samples/max(ch, 1))
	}
	return scanInfo(t, "soxi", b.String(), len(paths))
}

func scanInfo(t testing.TB, who, out string, n int) []waveInfo {
	t.Helper()
	var infos []waveInfo
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var w waveInfo
		if _, err := fmt.Sscan(line, &w.Frames, &w.Rate, &w.Read); err != nil {
			t.Fatalf("%s printed %q: %v", who, line, err)
		}
		infos = append(infos, w)
	}
	if len(infos) != n {
		t.Fatalf("%s printed %d lines for %d files:\n%s", who, len(infos), n, out)
	}
	return infos
}

// sine returns frames frames of a sine at hz and amplitude amp (of full scale) on every channel,
// starting at frame start.
func sine(start, frames int64, channels, rate int, hz, amp float64) []int16 {
	pcm := make([]int16, int(frames)*channels)
	for i := range frames {
		v := int16(math.Round(amp * 32767 * math.Sin(2*math.Pi*hz*float64(start+i)/float64(rate))))
		for c := range channels {
			pcm[int(i)*channels+c] = v
		}
	}
	return pcm
}

// goertzel is the power of frequency hz in the first channel of pcm, normalised by length.
func goertzel(pcm []int16, channels, rate int, hz float64) float64 {
	w := 2 * math.Pi * hz / float64(rate)
	coeff := 2 * math.Cos(w)
	var s1, s2 float64
	n := 0
	for i := 0; i < len(pcm); i += channels {
		s0 := float64(pcm[i])/32768 + coeff*s1 - s2
		s2, s1 = s1, s0
		n++
	}
	p := s1*s1 + s2*s2 - coeff*s1*s2
	return p / float64(n*n)
}

// toneRatio is the power at hz over the strongest of its neighbours (hz × 0.7, 0.85, 1.15, 1.3).
func toneRatio(pcm []int16, channels, rate int, hz float64) float64 {
	p := goertzel(pcm, channels, rate, hz)
	var worst float64
	for _, f := range []float64{0.7, 0.85, 1.15, 1.3} {
		worst = max(worst, goertzel(pcm, channels, rate, hz*f))
	}
	if worst == 0 {
		return math.Inf(1)
	}
	return p / worst
}

func fileSize(t testing.TB, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
