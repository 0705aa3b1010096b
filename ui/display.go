package ui

import (
	"bytes"
	"errors"
	"fmt"
	"log"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
)

// ErrNoDisplay is why a window cannot open: no X display, or one that refuses us.
var ErrNoDisplay = errors.New("no display")

// CheckDisplay says, before Fyne is started, whether an X display is there to open the window
// on: GLFW (built for X11; Wayland sessions provide XWayland) panics at init without one.
// DISPLAY is checked by connecting to its socket; a display that accepts the connection but
// still cannot be used is caught by OpenWindow.
func CheckDisplay() error {
	if runtime.GOOS != "linux" && runtime.GOOS != "freebsd" && runtime.GOOS != "openbsd" && runtime.GOOS != "netbsd" {
		return nil
	}
	d := os.Getenv("DISPLAY")
	if d == "" {
		why := "DISPLAY is not set"
		if os.Getenv("WAYLAND_DISPLAY") != "" {
			why = "WAYLAND_DISPLAY is set but DISPLAY is not (the station draws through X11: XWayland)"
		}
		return fmt.Errorf("%w: the station needs a graphical session and %s", ErrNoDisplay, why)
	}
	network, addr, err := displayAddr(d)
	if err != nil {
		return fmt.Errorf("%w: DISPLAY=%s: %v", ErrNoDisplay, d, err)
	}
	c, err := net.DialTimeout(network, addr, 3*time.Second)
	if err != nil && network == "unix" {
		// Some X servers listen on the abstract socket only.
		c, err = net.DialTimeout(network, "@"+addr, 3*time.Second)
	}
	if err != nil {
		return fmt.Errorf("%w: no X server answers on DISPLAY=%s", ErrNoDisplay, d)
	}
	c.Close()
	return nil
}

// displayAddr is where an X display listens: [host]:number[.screen]; no host or "unix" is the
// local socket /tmp/.X11-unix/X<number>, a path host (launchd) is that socket, any other host
// is TCP port 6000+number.
func displayAddr(d string) (network, addr string, err error) {
	i := strings.LastIndexByte(d, ':')
	if i < 0 {
		return "", "", errors.New("not of the form [host]:number")
	}
	host, num := d[:i], d[i+1:]
	if j := strings.IndexByte(num, '.'); j >= 0 {
		num = num[:j]
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 {
		return "", "", fmt.Errorf("display number %q is not a number", num)
	}
	switch {
	case host == "" || host == "unix":
		return "unix", "/tmp/.X11-unix/X" + strconv.Itoa(n), nil
	case strings.HasPrefix(host, "/"):
		return "unix", d, nil
	}
	return "tcp", net.JoinHostPort(strings.TrimPrefix(host, "tcp/"), strconv.Itoa(6000+n)), nil
}

// OpenWindow starts Fyne (the app id: its preferences; "" none) and opens a window. GLFW failing to initialise (a display
// that refuses us) panics inside Fyne; that comes back as an error, not a stack trace, with
// GLFW's own complaint (which Fyne logs) as the reason.
func OpenWindow(id, title string) (a fyne.App, w fyne.Window, err error) {
	if err := CheckDisplay(); err != nil {
		return nil, nil, err
	}
	var logged bytes.Buffer
	log.SetOutput(&logged)
	defer func() {
		log.SetOutput(os.Stderr)
		r := recover()
		if r == nil {
			os.Stderr.Write(logged.Bytes()) // warnings of a window that did open
			return
		}
		why := fmt.Sprint(r)
		for _, l := range strings.Split(logged.String(), "\n") {
			if i := strings.Index(l, "PlatformError: "); i >= 0 {
				why = l[i+len("PlatformError: "):]
				break
			}
		}
		a, w = nil, nil
		err = fmt.Errorf("%w: the window cannot open on DISPLAY=%s (%s)", ErrNoDisplay, os.Getenv("DISPLAY"), why)
	}()
	a = fyneapp.NewWithID(id)
	return a, a.NewWindow(title), nil
}
