package playback

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// TestStreamOffset compiles miniaudio.h, as malgo builds it, to read where ma_device keeps its
// PulseAudio playback stream: the offset flush.go reads it at must be that one (another malgo,
// another layout: the flush would read the wrong pointer; at run time it checks the pointer
// before it and gives up, but the pause would then be heard late again).
func TestStreamOffset(t *testing.T) {
	dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/gen2brain/malgo").Output()
	if err != nil {
		t.Fatalf("find malgo's sources: %v", err)
	}
	tmp := t.TempDir()
	src := filepath.Join(tmp, "off.c")
	prog := `#include <stdio.h>
#include <stddef.h>
#include "miniaudio.h"
int main(void) { printf("%zu\n", offsetof(ma_device, pulse.pStreamPlayback)); return 0; }
`
	if err := os.WriteFile(src, []byte(prog), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(tmp, "off")
	// malgo's own flags (miniaudio.go's cgo lines).
	args := []string{"-std=gnu99", "-I", strings.TrimSpace(string(dir)), "-o", bin, src}
	if runtime.GOARCH == "amd64" || runtime.GOARCH == "386" {
		args = append(args, "-msse2")
	}
	cc := exec.Command("gcc", args...)
	if out, err := cc.CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	out, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	got, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("offset %q: %v", out, err)
	}
	if got != streamOffset {
		t.Fatalf("ma_device.pulse.pStreamPlayback is at %d, flush.go reads %d", got, streamOffset)
	}
}
