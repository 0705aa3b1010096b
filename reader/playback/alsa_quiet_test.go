package playback

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A machine without a sound server or a usable ALSA device: opening the output fails with
// libasound's own reason in the error, and libasound prints nothing to stderr (it printed some
// 35 "ALSA lib …" lines under a working review window). The open runs in a child process: the
// output is opened once per process, and libasound's configuration is read once per process.
func TestNoSoundCardSaysWhyQuietly(t *testing.T) {
	if os.Getenv("SIGHTLINE_ALSA_CHILD") == "1" {
		_, err := Open(48000, 2, 20*time.Second)
		if err == nil {
			os.Stdout.WriteString("OPENED\n")
			return
		}
		os.Stdout.WriteString("ERR " + err.Error() + "\n")
		return
	}
	dir := t.TempDir()
	// libasound's whole configuration, replaced: the default PCM is a card that is not there.
	conf := filepath.Join(dir, "asound.conf")
	if err := os.WriteFile(conf, []byte("pcm.!default { type hw card 29 }\nctl.!default { type hw card 29 }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestNoSoundCardSaysWhyQuietly$", "-test.count=1")
	cmd.Env = append(os.Environ(),
		"SIGHTLINE_ALSA_CHILD=1",
		"ALSA_CONFIG_PATH="+conf,
		"PULSE_SERVER=unix:"+filepath.Join(dir, "no-server"), // no PulseAudio, and none spawned
		"PULSE_RUNTIME_PATH="+filepath.Join(dir, "pulse"),
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("child: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	out := stdout.String()
	if !strings.Contains(out, "ERR sound output:") {
		t.Fatalf("the output opened (or the child said nothing) with no server and no card:\n%s", out)
	}
	if !strings.Contains(out, "(ALSA: ") {
		t.Errorf("the error does not carry libasound's reason:\n%s", out)
	}
	if strings.Contains(stderr.String(), "ALSA lib") {
		t.Errorf("libasound printed to stderr:\n%s", stderr.String())
	}
	t.Logf("child said: %s", strings.TrimSpace(out))
}
