package app

import (
	"io"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// find walks o (containers and widget renderers) depth first and returns the first object
// match accepts.
func find(o fyne.CanvasObject, match func(fyne.CanvasObject) bool) fyne.CanvasObject {
	if o == nil {
		return nil
	}
	if match(o) {
		return o
	}
	var kids []fyne.CanvasObject
	switch x := o.(type) {
	case *fyne.Container:
		kids = x.Objects
	case fyne.Widget:
		kids = test.WidgetRenderer(x).Objects()
	}
	for _, k := range kids {
		if f := find(k, match); f != nil {
			return f
		}
	}
	return nil
}

// findOnCanvas searches the window's overlays (dialogs), topmost first, then its content.
func findOnCanvas(w fyne.Window, match func(fyne.CanvasObject) bool) fyne.CanvasObject {
	ov := w.Canvas().Overlays().List()
	for i := len(ov) - 1; i >= 0; i-- {
		if f := find(ov[i], match); f != nil {
			return f
		}
	}
	return find(w.Content(), match)
}

func button(text string) func(fyne.CanvasObject) bool {
	return func(o fyne.CanvasObject) bool {
		b, ok := o.(*widget.Button)
		return ok && b.Text == text && b.Visible()
	}
}

func labelContaining(s string) func(fyne.CanvasObject) bool {
	return func(o fyne.CanvasObject) bool {
		l, ok := o.(*widget.Label)
		return ok && strings.Contains(l.Text, s)
	}
}

// guiOptions are the station's options for a test: the mouse as gaze, no operator window.
func guiOptions() *Options {
	return &Options{Reader: "reader1", TrackerSpec: "mouse", Rate: 60, CalibEvery: 20, RecalEvery: 25,
		Operator: "none", Resume: "no", audioSet: true, Out: io.Discard, Err: io.Discard}
}

// TestNoMicrophoneNoGoesBackToStart: a microphone that cannot be opened brings up one
// sentence with the details behind a Details control; "No" leads back to the start screen
// rather than leaving the window empty.
func TestNoMicrophoneNoGoesBackToStart(t *testing.T) {
	dir := demoStudy(t)
	a := test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	o := guiOptions()
	o.Audio, o.AudioBackend = "no-such-microphone", "null"
	if err := openStation(a, w, o, dir); err != nil {
		t.Fatalf("openStation: %v", err)
	}
	if findOnCanvas(w, labelContaining(`The microphone "no-such-microphone" could not be opened.`)) == nil {
		t.Fatal("no one-sentence no-microphone dialog")
	}
	// The error chain and the device list are there, behind Details.
	if findOnCanvas(w, labelContaining("Capture devices:")) == nil ||
		findOnCanvas(w, labelContaining(`no capture device matching "no-such-microphone"`)) == nil {
		t.Error("the dialog's details lack the error or the device list")
	}
	acc := findOnCanvas(w, func(o fyne.CanvasObject) bool { _, ok := o.(*widget.Accordion); return ok })
	if acc == nil || acc.(*widget.Accordion).Items[0].Title != "Details" || acc.(*widget.Accordion).Items[0].Open {
		t.Error("the details are not behind a closed Details control")
	}
	no := findOnCanvas(w, button("No"))
	if no == nil {
		t.Fatal("the dialog has no No button")
	}
	test.Tap(no.(*widget.Button))
	if find(w.Content(), button("Read the demo study")) == nil {
		t.Fatal("after No the window does not show the start screen")
	}
}
