// Package testkit holds the helpers that tests of several packages share (a CSV file read
// whole, a real DICOM file), so that each is written once. It imports nothing of Sightline, so
// that any package's tests may use it.
package testkit

import (
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// ReadCSV reads the whole CSV file at path; a file that does not read or parse fails the test,
// naming the file.
func ReadCSV(tb testing.TB, path string) [][]string {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	return rows
}

// RealDICOM is a real DICOM file: testdata/1.dcm of the DICOM module the build uses, read from
// the module cache.
func RealDICOM(tb testing.TB) []byte {
	tb.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/suyashkumar/dicom").Output()
	if err != nil {
		tb.Fatalf("locate the dicom module: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "testdata", "1.dcm"))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// ALSAChild reports whether this test binary runs as QuietALSAFailure's child: the test then
// opens its device once, prints "ERR " and the error (or anything else on success) and returns.
func ALSAChild() bool { return os.Getenv("SIGHTLINE_ALSA_CHILD") == "1" }

// QuietALSAFailure runs the test named test again in a child process whose libasound has a
// configuration with no usable card (its default PCM is card 29) and no PulseAudio server to
// reach, and checks what a machine without a sound card must see: the open fails with an error
// starting with wantErr that carries libasound's own reason ("(ALSA: "), and libasound printed
// nothing to stderr. A child process, because libasound reads its configuration, and the
// packages open their device, once per process.
func QuietALSAFailure(t *testing.T, test, wantErr string) {
	t.Helper()
	dir := t.TempDir()
	conf := filepath.Join(dir, "asound.conf")
	if err := os.WriteFile(conf, []byte("pcm.!default { type hw card 29 }\nctl.!default { type hw card 29 }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1")
	cmd.Env = append(os.Environ(),
		"SIGHTLINE_ALSA_CHILD=1",
		"ALSA_CONFIG_PATH="+conf,
		"PULSE_SERVER=unix:"+filepath.Join(dir, "no-server"), // no PulseAudio, and none spawned
		"PULSE_RUNTIME_PATH="+filepath.Join(dir, "pulse"),
	)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("child: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	out := stdout.String()
	if !strings.Contains(out, "ERR "+wantErr) {
		t.Fatalf("the device opened (or the child said nothing) with no server and no card:\n%s", out)
	}
	if !strings.Contains(out, "(ALSA: ") {
		t.Errorf("the error does not carry libasound's reason:\n%s", out)
	}
	if strings.Contains(stderr.String(), "ALSA lib") {
		t.Errorf("libasound printed to stderr:\n%s", stderr.String())
	}
	t.Logf("child said: %s", strings.TrimSpace(out))
}
