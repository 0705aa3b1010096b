package ui

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
)

func TestDisplayAddr(t *testing.T) {
	for _, tc := range []struct{ d, network, addr, err string }{
		{":0", "unix", "/tmp/.X11-unix/X0", ""},
		{"unix:12.0", "unix", "/tmp/.X11-unix/X12", ""},
		{"localhost:10.0", "tcp", "localhost:6010", ""},
		{"/private/tmp/com.apple.launchd.x/org.xquartz:0", "unix", "/private/tmp/com.apple.launchd.x/org.xquartz:0", ""},
		{"bogus", "", "", "not of the form [host]:number"},
		{":x", "", "", `display number "x" is not a number`},
	} {
		n, a, err := displayAddr(tc.d)
		if n != tc.network || a != tc.addr || (err == nil) != (tc.err == "") || err != nil && err.Error() != tc.err {
			t.Errorf("%q: %q %q %v; want %q %q %q", tc.d, n, a, err, tc.network, tc.addr, tc.err)
		}
	}
}

// Without a display the station says so in one sentence before Fyne starts (GLFW panics).
func TestCheckDisplay(t *testing.T) {
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	err := CheckDisplay()
	if !errors.Is(err, ErrNoDisplay) || !strings.Contains(err.Error(), "DISPLAY is not set") {
		t.Errorf("no DISPLAY: %v", err)
	}
	t.Setenv("WAYLAND_DISPLAY", "wayland-0")
	if err := CheckDisplay(); err == nil || !strings.Contains(err.Error(), "XWayland") {
		t.Errorf("Wayland without XWayland: %v", err)
	}
	free := -1
	for n := 400; n < 500; n++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); errors.Is(err, os.ErrNotExist) {
			free = n
			break
		}
	}
	t.Setenv("DISPLAY", fmt.Sprintf(":%d", free))
	if err := CheckDisplay(); !errors.Is(err, ErrNoDisplay) || !strings.Contains(err.Error(), "no X server answers on DISPLAY=:") {
		t.Errorf("a display with no server: %v", err)
	}
	// Something listening where DISPLAY points passes the check (GLFW then has its say).
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
	port := l.Addr().(*net.TCPAddr).Port
	if port < 6000 {
		t.Skipf("port %d is below the X range", port)
	}
	t.Setenv("DISPLAY", fmt.Sprintf("127.0.0.1:%d", port-6000))
	if err := CheckDisplay(); err != nil {
		t.Errorf("a listening display: %v", err)
	}
}
