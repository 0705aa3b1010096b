package demo

import (
	"fmt"
	"os"
	"path/filepath"
)

// DefaultDir is where `sightline demo` keeps the demo study unless told otherwise:
// $XDG_DATA_HOME/sightline/demo, else ~/.local/share/sightline/demo.
func DefaultDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "sightline", "demo")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "share", "sightline", "demo")
	}
	return filepath.Join(os.TempDir(), "sightline-demo")
}

// Ensure writes the demo study into dir unless it is there already; writing is told first
// (nil: not told).
func Ensure(dir string, writing func()) error {
	if _, err := os.Stat(filepath.Join(dir, "master_sheet.csv")); err == nil {
		return nil
	}
	if writing != nil {
		writing()
	}
	if _, err := Write(dir); err != nil {
		return fmt.Errorf("write demo study into %s: %w", dir, err)
	}
	return nil
}
