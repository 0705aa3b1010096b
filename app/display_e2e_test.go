//go:build e2e

package app

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The real binary without a usable display: one sentence on stderr and exit status 1, never
// GLFW's panic. Three ways: DISPLAY unset, DISPLAY naming a display with no server, and a
// "server" that accepts the connection and hangs up (GLFW itself fails: the recovered path).
func TestE2ENoDisplay(t *testing.T) {
	bin := binary(t)
	free := -1
	for n := 300; n < 400; n++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); errors.Is(err, os.ErrNotExist) {
			free = n
			break
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	hangup := fmt.Sprintf("127.0.0.1:%d", l.Addr().(*net.TCPAddr).Port-6000)
	home := t.TempDir()
	for _, tc := range []struct {
		display string // "": unset
		args    []string
		want    string
	}{
		{"", []string{"demo", "--audio", "none"}, "DISPLAY is not set"},
		{fmt.Sprintf(":%d", free), []string{"demo", "--audio", "none"}, "no X server answers"},
		{hangup, []string{"--audio", "none"}, "the window cannot open on DISPLAY=" + hangup + " (X11: Failed to open display"},
	} {
		cmd := exec.Command(bin, tc.args...)
		// C.UTF-8, many containers' locale, under which Fyne's init complains about "locale C"
		// (app/earlylog keeps that off the terminal).
		cmd.Env = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "LANG=C.UTF-8"}
		if tc.display != "" {
			cmd.Env = append(cmd.Env, "DISPLAY="+tc.display)
		}
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 {
			t.Errorf("DISPLAY=%q: %v, want exit status 1", tc.display, err)
		}
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		if len(lines) != 1 || !strings.HasPrefix(lines[0], "sightline: no display: ") || !strings.Contains(lines[0], tc.want) {
			t.Errorf("DISPLAY=%q: stderr\n%s\nwant one line saying %q", tc.display, stderr.String(), tc.want)
		}
	}
	if _, err := os.Stat(home + "/.local/share/sightline/demo"); err == nil {
		t.Error("the demo study was written although the station could not open")
	}
}
