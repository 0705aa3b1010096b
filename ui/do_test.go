package ui

import (
	"testing"

	"fyne.io/fyne/v2/test"
)

// TestDoDropsOnceQuitting: once the station's window is going away, view updates are dropped
// rather than run (Fyne would run them in line, off the main goroutine, its loop ended).
func TestDoDropsOnceQuitting(t *testing.T) {
	test.NewTempApp(t)
	defer quitting.Store(false)
	ran := 0
	Do(func() { ran++ })
	if ran != 1 {
		t.Fatalf("Do ran its function %d times before quitting, want 1", ran)
	}
	Quitting()
	Do(func() { ran++ })
	if ran != 1 {
		t.Fatal("Do ran its function after Quitting")
	}
}
