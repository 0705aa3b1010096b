package audio

import (
	"context"
	"os"
	"testing"

	"sightline/internal/testkit"
)

// The capture side of playback's TestNoSoundCardSaysWhyQuietly: ALSA with no usable device
// fails with libasound's reason in the error and nothing printed to stderr.
func TestCaptureWithoutCardSaysWhyQuietly(t *testing.T) {
	if testkit.ALSAChild() {
		if c, err := Start(context.Background(), Config{Backend: BackendALSA}, nil, nil); err != nil {
			os.Stdout.WriteString("ERR " + err.Error() + "\n")
		} else {
			_ = c.Stop()
			os.Stdout.WriteString("STARTED\n")
		}
		return
	}
	testkit.QuietALSAFailure(t, "TestCaptureWithoutCardSaysWhyQuietly", "start capture:")
}
