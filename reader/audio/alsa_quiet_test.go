package audio

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The capture side of playback's TestNoSoundCardSaysWhyQuietly: ALSA with no usable device
// fails with libasound's reason in the error and nothing printed to stderr. In a child process,
// because libasound reads its configuration once per process.
func TestCaptureWithoutCardSaysWhyQuietly(t *testing.T) {
	if os.Getenv("SIGHTLINE_ALSA_CHILD") == "1" {
		c, err := Start(context.Background(), Config{Backend: BackendALSA}, nil, nil)
		if err == nil {
			_ = c.Stop()
			os.Stdout.WriteString("STARTED\n")
			return
		}
		os.Stdout.WriteString("ERR " + err.Error() + "\n")
		return
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "asound.conf")
	if err := os.WriteFile(conf, []byte("pcm.!default { type hw card 29 }\nctl.!default { type hw card 29 }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestCaptureWithoutCardSaysWhyQuietly$", "-test.count=1")
	cmd.Env = append(os.Environ(), "SIGHTLINE_ALSA_CHILD=1", "ALSA_CONFIG_PATH="+conf)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("child: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	out := stdout.String()
	if !strings.Contains(out, "ERR start capture:") {
		t.Fatalf("capture started (or the child said nothing) with no card:\n%s", out)
	}
	if !strings.Contains(out, "(ALSA: ") {
		t.Errorf("the error does not carry libasound's reason:\n%s", out)
	}
	if strings.Contains(stderr.String(), "ALSA lib") {
		t.Errorf("libasound printed to stderr:\n%s", stderr.String())
	}
	t.Logf("child said: %s", strings.TrimSpace(out))
}
