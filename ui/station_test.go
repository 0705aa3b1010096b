package ui

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"sightline/reader/session"
)

// stationRig is a station whose commands are recorded: Read answers with the errors queued in
// errs, one per call, then nil.
type stationRig struct {
	w     fyne.Window
	s     *Station
	reads []ReadRequest
	errs  []error
	cut   []session.State
}

func newStationRig(t *testing.T, errs ...error) *stationRig {
	t.Helper()
	test.NewTempApp(t)
	r := &stationRig{errs: errs}
	r.w = test.NewTempWindow(t, widget.NewLabel(""))
	r.w.Resize(fyne.NewSize(1000, 700))
	r.s = NewStation(r.w, nil, StationCommands{
		Readers:  func(string) ([]string, error) { return nil, nil },
		Sessions: func(string) ([]session.State, []session.State, error) { return r.cut, r.cut, nil },
		Read: func(req ReadRequest) error {
			r.reads = append(r.reads, req)
			if len(r.errs) == 0 {
				r.w.SetContent(widget.NewLabel("reading"))
				return nil
			}
			err := r.errs[0]
			r.errs = r.errs[1:]
			return err
		},
	}, StationOptions{Reader: "ana"})
	return r
}

// onStart reports whether the window shows the start screen.
func (r *stationRig) onStart() bool { return buttonsIn(r.w.Content())["Open study folder…"] != nil }

func (r *stationRig) answer(t *testing.T, button string) {
	t.Helper()
	b := overlayButton(r.w, button)
	if b == nil {
		t.Fatalf("no dialog with %q; the dialogs say %q", button, overlayText(r.w))
	}
	test.Tap(b)
}

// Each question the station asks on the way to reading: yes reads again with the answer, no
// goes back to the start screen (never an empty window).
func TestStationAsks(t *testing.T) {
	allRead := fmt.Errorf("reader ana: %w", session.ErrAllRead)
	for _, tc := range []struct {
		name     string
		err      error
		yes, no  string
		answered func(ReadRequest) bool
	}{
		{"no microphone", &NoMicrophoneError{Reason: "no capture device"}, "Gaze only", "No",
			func(r ReadRequest) bool { return r.GazeOnly == "no microphone at start: no capture device" }},
		{"a monitor as the microphone", &MonitorSourceError{Device: "Monitor of Speakers"}, "Record from it", "No",
			func(r ReadRequest) bool { return r.MonitorOK }},
		{"every case read", allRead, "Yes", "No",
			func(r ReadRequest) bool { return r.NewSession }},
	} {
		t.Run(tc.name+", yes", func(t *testing.T) {
			r := newStationRig(t, tc.err)
			if err := r.s.ReadStudy("/study", "sim", true); err != nil {
				t.Fatal(err)
			}
			r.answer(t, tc.yes)
			if len(r.reads) != 2 || !tc.answered(r.reads[1]) || tc.answered(r.reads[0]) {
				t.Fatalf("reads %+v: want a second read with the answer", r.reads)
			}
			if r.reads[1].Dir != "/study" || r.reads[1].Tracker != "sim" || r.reads[1].Reader != "ana" {
				t.Errorf("the second read %+v lost the study, tracker or reader", r.reads[1])
			}
		})
		// Enter does what the highlighted button says (the walk found Enter dead on these).
		t.Run(tc.name+", Enter", func(t *testing.T) {
			r := newStationRig(t, tc.err)
			if err := r.s.ReadStudy("/study", "sim", true); err != nil {
				t.Fatal(err)
			}
			if overlayButton(r.w, tc.yes) == nil {
				t.Fatalf("no dialog with %q", tc.yes)
			}
			r.w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyReturn})
			if len(r.reads) != 2 || !tc.answered(r.reads[1]) {
				t.Fatalf("reads %+v: Enter did not answer %q", r.reads, tc.yes)
			}
		})
		t.Run(tc.name+", no", func(t *testing.T) {
			r := newStationRig(t, tc.err)
			if err := r.s.ReadStudy("/study", "sim", true); err != nil {
				t.Fatal(err)
			}
			r.answer(t, tc.no)
			if len(r.reads) != 1 || !r.onStart() {
				t.Fatalf("%d reads, start screen %v: want one read and the start screen", len(r.reads), r.onStart())
			}
		})
	}
	t.Run("answers add up", func(t *testing.T) {
		r := newStationRig(t, &MonitorSourceError{Device: "m"}, allRead)
		if err := r.s.ReadStudy("/study", "", false); err != nil {
			t.Fatal(err)
		}
		r.answer(t, "Record from it")
		r.answer(t, "Yes")
		if len(r.reads) != 3 || !r.reads[2].MonitorOK || !r.reads[2].NewSession {
			t.Fatalf("reads %+v: want the third with both answers", r.reads)
		}
	})
	t.Run("another error goes back to the caller", func(t *testing.T) {
		r := newStationRig(t, errors.New("disk on fire"))
		if err := r.s.ReadStudy("/study", "", false); err == nil || err.Error() != "disk on fire" {
			t.Fatalf("ReadStudy = %v, want the read's error", err)
		}
	})
}

// An interrupted session of the reader's: the station asks, and reads the answer.
func TestStationAsksToResume(t *testing.T) {
	cut := session.State{Meta: session.Meta{SessionID: "s1", Reader: "ana", StartedWall: time.Now(),
		Plan: []session.Screen{{Index: 0, Kind: session.KindCase, DicomID: "a"}}}, Status: session.StatusRecording}
	for _, tc := range []struct {
		button string
		want   session.StartAction
	}{{"Resume", session.StartResume}, {"Start a new session", session.StartNew}} {
		t.Run(tc.button, func(t *testing.T) {
			r := newStationRig(t)
			r.cut = []session.State{cut}
			if err := r.s.ReadStudy("/study", "", false); err != nil {
				t.Fatal(err)
			}
			if len(r.reads) != 0 {
				t.Fatal("read before the reader answered")
			}
			r.answer(t, tc.button)
			if len(r.reads) != 1 || r.reads[0].Start.Action != tc.want {
				t.Fatalf("reads %+v, want one %s", r.reads, tc.want)
			}
			if tc.want == session.StartResume && r.reads[0].Start.Session.SessionID != "s1" {
				t.Errorf("resumes %q, want s1", r.reads[0].Start.Session.SessionID)
			}
		})
	}
}
