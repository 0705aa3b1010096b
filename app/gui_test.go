package app

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"sightline/internal/testkit"
	"sightline/reader/audio/pulsetest"
	studyprep "sightline/reader/prepare"
	"sightline/reader/session"
	"sightline/reader/study"
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
	dir := writeStudy(t, map[string][]byte{"files/one.dcm": testkit.RealDICOM(t)})
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

// prepared captures the session the station would start reading, in place of the run (see
// runSession), and closes it when the test ends.
func capturePrepared(t *testing.T) *[]*prepared {
	t.Helper()
	var got []*prepared
	was := runSession
	runSession = func(_ fyne.Window, _ *Options, p *prepared) error {
		got = append(got, p)
		return nil
	}
	t.Cleanup(func() {
		runSession = was
		for _, p := range got {
			_ = p.rec.Close("ended early")
			p.close()
		}
	})
	return &got
}

// TestOpenStudyChoosesReader: a study prepared for alice and bob asks who reads it, among
// the readers with a plan, and records the session as the one chosen. Before, the station
// always read as reader1 and refused a study prepared for others.
func TestOpenStudyChoosesReader(t *testing.T) {
	root, good, _ := prepareFixture(t)
	dir := filepath.Join(t.TempDir(), "study")
	if _, err := studyprep.Run(context.Background(), studyprep.Options{Worklist: good, DicomRoot: root, Out: dir,
		Seed: 1, Readers: []string{"bob", "alice"}, Jobs: 1}); err != nil {
		t.Fatal(err)
	}
	a := test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	o := guiOptions()
	o.Audio = "none"
	started := capturePrepared(t)
	if err := openStation(a, w, o, dir); err != nil {
		t.Fatalf("openStation: %v", err)
	}
	sel, _ := findOnCanvas(w, func(o fyne.CanvasObject) bool { _, ok := o.(*widget.Select); return ok }).(*widget.Select)
	if sel == nil {
		t.Fatal("no reader chooser")
	}
	if !reflect.DeepEqual(sel.Options, []string{"alice", "bob"}) {
		t.Fatalf("the chooser offers %q, want the study's plans alice and bob", sel.Options)
	}
	sel.SetSelected("alice")
	read := findOnCanvas(w, button("Read"))
	if read == nil {
		t.Fatal("the chooser has no Read button")
	}
	test.Tap(read.(*widget.Button))
	if len(*started) != 1 {
		t.Fatalf("%d sessions started, want one", len(*started))
	}
	st := onlySession(t, dir)
	if st.Reader != "alice" {
		t.Errorf("the session is recorded for reader %q, want alice", st.Reader)
	}
	p, err := studyprep.LoadPlan(dir, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(st.Plan, p.Session(1), func(a, b session.Screen) bool { return a.DicomID == b.DicomID }) {
		t.Error("the session does not read alice's first planned session")
	}
}

// TestNewStudyPartialThenRead: New study… from the start screen, with readers, seed, session
// size and calibration frequency; one case of three cannot be read, and the dialog names it
// and why; Read now asks who reads.
func TestNewStudyPartialThenRead(t *testing.T) {
	root, _, mixed := prepareFixture(t)
	out := filepath.Join(t.TempDir(), "study")
	inLine := background
	background = func(f func()) { f() } // the test's widgets are touched from one goroutine
	t.Cleanup(func() { background = inLine })
	a := test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	w.Resize(fyne.NewSize(1200, 900))
	o := guiOptions()
	if err := openStation(a, w, o, ""); err != nil {
		t.Fatal(err)
	}
	test.Tap(find(w.Content(), button("New study…")).(*widget.Button))
	var entries []*widget.Entry
	for _, ov := range w.Canvas().Overlays().List() {
		find(ov, func(c fyne.CanvasObject) bool {
			if e, ok := c.(*widget.Entry); ok {
				entries = append(entries, e)
			}
			return false
		})
	}
	// Worklist, DICOM folder, study folder, readers, seed, session size, calibration frequency,
	// shared cases (left empty: every reader reads every case, as before the split).
	if len(entries) != 8 {
		t.Fatalf("the New study form has %d fields, want 8", len(entries))
	}
	for i, v := range []string{mixed, root, out, "alice, bob", "7", "12", "5", ""} {
		entries[i].SetText(v)
	}
	test.Tap(findOnCanvas(w, button("Prepare")).(*widget.Button))
	if findOnCanvas(w, labelContaining("2 of 3 cases prepared into "+out)) == nil {
		t.Fatal("no Study ready dialog saying 2 of 3 cases were prepared")
	}
	if findOnCanvas(w, labelContaining("line 5, multi (files/5.dcm): unsupported DICOM image")) == nil {
		t.Error("the Study ready dialog does not list the unreadable case with its reason")
	}
	rec, err := studyprep.ReadRecord(out)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Seed != 7 || rec.SessionSize != 12 || rec.CalibEvery != 5 {
		t.Errorf("prepare.json: seed %d, session size %d, calibration every %d; want 7, 12, 5", rec.Seed, rec.SessionSize, rec.CalibEvery)
	}
	if readers, err := studyprep.Readers(out); err != nil || !reflect.DeepEqual(readers, []string{"alice", "bob"}) {
		t.Errorf("plans for %q (%v), want alice and bob", readers, err)
	}
	test.Tap(findOnCanvas(w, button("Read now")).(*widget.Button))
	sel, _ := findOnCanvas(w, func(o fyne.CanvasObject) bool { _, ok := o.(*widget.Select); return ok }).(*widget.Select)
	if sel == nil || !reflect.DeepEqual(sel.Options, []string{"alice", "bob"}) {
		t.Fatalf("Read now: reader chooser %+v, want alice and bob", sel)
	}
	test.Tap(findOnCanvas(w, button("Cancel")).(*widget.Button))
	if find(w.Content(), button("Read the demo study")) == nil {
		t.Error("cancelling the chooser did not leave the start screen")
	}
}

// TestMonitorSourceAsks: the default sound input is a monitor (it records what the computer
// plays): the station asks before recording from it. No goes back to the start screen; Record
// from it reads, with session.json saying what was recorded.
func TestMonitorSourceAsks(t *testing.T) {
	srv := pulsetest.Start(t)
	srv.Pactl("set-default-source", "doomed.monitor")
	dir := writeStudy(t, map[string][]byte{"files/one.dcm": testkit.RealDICOM(t)})
	a := test.NewTempApp(t)
	o := guiOptions()
	o.Audio, o.AudioBackend = "", "pulse"
	started := capturePrepared(t)
	ask := func(w fyne.Window) {
		t.Helper()
		if err := openStation(a, w, o, dir); err != nil {
			t.Fatalf("openStation: %v", err)
		}
		if findOnCanvas(w, labelContaining(`"Monitor of Doomed", records what this computer plays, not a microphone`)) == nil {
			t.Fatal("no warning that the default source is a monitor")
		}
	}
	w := test.NewTempWindow(t, nil)
	ask(w)
	test.Tap(findOnCanvas(w, button("No")).(*widget.Button))
	if find(w.Content(), button("Read the demo study")) == nil {
		t.Fatal("after No the window does not show the start screen")
	}
	if _, err := os.Stat(study.SessionsRoot(dir)); err == nil {
		t.Error("a session was started though the operator said No")
	}

	w = test.NewTempWindow(t, nil)
	ask(w)
	test.Tap(findOnCanvas(w, button("Record from it")).(*widget.Button))
	if len(*started) != 1 || (*started)[0].audio == nil {
		t.Fatalf("%d sessions started, want one recording audio", len(*started))
	}
	st := onlySession(t, dir)
	if !strings.Contains(st.Audio, "Monitor of Doomed (a monitor: records an output, not a microphone)") {
		t.Errorf("session.json audio %q, want the monitor named as such", st.Audio)
	}
}

// TestDemoMonitorOnlyRecordsGaze: in the demo, when the only sound input is a monitor (a test
// machine's null sink), the station does not stop on the monitor question: it says so on the
// console and records gaze only, session.json saying why. A real study still asks
// (TestMonitorSourceAsks).
func TestDemoMonitorOnlyRecordsGaze(t *testing.T) {
	srv := pulsetest.Start(t)
	srv.Pactl("set-default-source", "doomed.monitor")
	dir := writeStudy(t, map[string][]byte{"files/one.dcm": testkit.RealDICOM(t)})
	a := test.NewTempApp(t)
	o := guiOptions()
	o.Audio, o.AudioBackend, o.demo = "", "", true // the backend as `make run` leaves it: the default order
	var console strings.Builder
	o.Err = &console
	started := capturePrepared(t)
	w := test.NewTempWindow(t, nil)
	if err := openStation(a, w, o, dir); err != nil {
		t.Fatalf("openStation: %v", err)
	}
	if findOnCanvas(w, labelContaining("records what this computer plays")) != nil {
		t.Fatal("the demo stopped on the monitor question")
	}
	if len(*started) != 1 || (*started)[0].audio != nil {
		t.Fatalf("%d sessions started, want one recording gaze only", len(*started))
	}
	if !strings.Contains(console.String(), `"Monitor of Doomed"`) || !strings.Contains(console.String(), "gaze only") {
		t.Errorf("console %q does not say the only input is a monitor and gaze only is recorded", console.String())
	}
	st := onlySession(t, dir)
	if !strings.HasPrefix(st.Audio, "none: ") || !strings.Contains(st.Audio, "monitor") {
		t.Errorf("session.json audio %q, want none with the monitor named as the reason", st.Audio)
	}
}

// onlySession is session.json of the study's one session.
func onlySession(t *testing.T, dir string) session.State {
	t.Helper()
	entries, err := os.ReadDir(study.SessionsRoot(dir))
	if err != nil || len(entries) != 1 {
		t.Fatalf("sessions: %v, %v; want one", entries, err)
	}
	st, err := session.ReadState(study.SessionDir(dir, entries[0].Name()))
	if err != nil {
		t.Fatal(err)
	}
	return st
}
