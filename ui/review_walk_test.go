package ui

import (
	"errors"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"sightline/reader/qa/qatest"
	"sightline/reader/review"
	"sightline/reader/session"
	"sightline/reader/stage"
	"sightline/reader/study"
)

// pressKey delivers a key as the desktop driver does: to the focused widget when there is one,
// to the canvas's handler otherwise.
func pressKey(w fyne.Window, k fyne.KeyName) {
	ev := &fyne.KeyEvent{Name: k}
	if f := w.Canvas().Focused(); f != nil {
		f.TypedKey(ev)
		return
	}
	w.Canvas().OnTypedKey()(ev)
}

// A sound output that fails with a long error, or a WAV that does not read, leaves one short
// note on the clock line and the window's layout as it was (the whole ALSA error once made the
// window 3,911 px wide).
func TestReviewNoSoundKeepsLayout(t *testing.T) {
	long := errors.New("sound output: " + strings.Repeat("ALSA lib pcm.c:2664:(snd_pcm_open_noupdate) Unknown PCM default ", 40))
	for _, tc := range []struct {
		name  string
		sound func() (Sound, error)
		spoil func(caseDir string)
	}{
		{"no sound output", func() (Sound, error) { return nil, long }, nil},
		{"unreadable WAV", func() (Sound, error) { return &qatest.Sound{}, nil }, func(d string) {
			// the RIFF header gone: the file is noise of the same size
			p := filepath.Join(d, session.AudioFile)
			b, _ := os.ReadFile(p)
			for i := range 44 {
				b[i] = 'x'
			}
			os.WriteFile(p, b, 0o644)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			studyDir := reviewStudy(t)
			if tc.spoil != nil {
				tc.spoil(study.CaseDir(studyDir, "s2", "00-a"))
			}
			r, w, _ := openReview(t, studyDir)
			r.opt.Sound = tc.sound
			if err := r.OpenSession(study.SessionDir(studyDir, "s2")); err != nil {
				t.Fatal(err)
			}
			before := r.Content().MinSize()
			key(w, fyne.KeySpace)
			if !r.Playing() {
				t.Fatal("Space does not play")
			}
			clock := r.ClockText()
			if !strings.Contains(clock, "no sound: playing silently") || strings.Contains(clock, "ALSA") || strings.Contains(clock, "RIFF") {
				t.Fatalf("clock line %q", clock)
			}
			if after := r.Content().MinSize(); after != before {
				t.Fatalf("minimum size %v before playing, %v after", before, after)
			}
		})
	}
}

// Clicking a case row opens it and leaves the replay's keys working (the table took the keys
// and Space, arrows, N and P did nothing until the image was clicked).
func TestReviewKeysAfterRowClick(t *testing.T) {
	studyDir := reviewStudy(t)
	r, w, _ := openReview(t, studyDir)
	if err := r.OpenSession(study.SessionDir(studyDir, "s1")); err != nil {
		t.Fatal(err)
	}
	// The second data row of the table, clicked where the pointer would be.
	cell := widget.NewLabel("").MinSize().Height + theme.SeparatorThicknessSize() // a row; the header row is as tall
	test.TapAt(r.table, fyne.NewPos(40, 2.5*cell))
	if got := r.Replay().Case.Name; got != r.CaseOrder()[1] {
		t.Fatalf("the click opened %s, want %s", got, r.CaseOrder()[1])
	}
	pressKey(w, fyne.KeySpace)
	if !r.Playing() {
		t.Fatalf("Space after a row click does not play (focus on %T)", w.Canvas().Focused())
	}
	pressKey(w, fyne.KeyN)
	if got := r.Replay().Case.Name; got != r.CaseOrder()[2] {
		t.Fatalf("N after a row click shows %s, want %s", got, r.CaseOrder()[2])
	}
	pressKey(w, fyne.KeyP)
	pressKey(w, fyne.KeyP)
	if got := r.Replay().Case.Name; got != r.CaseOrder()[0] {
		t.Fatalf("P P shows %s, want %s", got, r.CaseOrder()[0])
	}
}

// The verdict history counts its rows in good English, and an unreadable session's status
// stays in its column (the reason is shown when the row is clicked).
func TestReviewWording(t *testing.T) {
	studyDir := reviewStudy(t)
	bad := study.SessionDir(studyDir, "zz-bad")
	if err := os.MkdirAll(bad, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad, session.StateFile), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, _, _ := openReview(t, studyDir)
	var row SessionRow
	for _, s := range r.Sessions() {
		if s.Name == "zz-bad" {
			row = s
		}
	}
	if row.Err == "" {
		t.Fatalf("the broken session is not listed as unreadable: %+v", r.Sessions())
	}
	if got := sessionCell(row, 3); got != "unreadable: click for why" {
		t.Fatalf("status cell %q", got)
	}
	if err := r.OpenSession(study.SessionDir(studyDir, "s2")); err != nil {
		t.Fatal(err)
	}
	r.SetDecision(review.Pass, "")
	if _, err := saveVerdict(r); err != nil {
		t.Fatal(err)
	}
	if h := r.history.Text; !strings.Contains(h, "(1 verdict row)") {
		t.Fatalf("history %q", h)
	}
}

// An error shown in a dialog keeps its path as written (Fyne capitalises a dialog's first
// letter: "bad/sessions/…" read "Bad/sessions/…").
func TestReviewErrorText(t *testing.T) {
	err := errors.New("bad/sessions/s1/cases/00-a/transcript.json: invalid character")
	got := dialogError("open the transcript editor", err).Error()
	if !strings.HasPrefix(got, "cannot open the transcript editor: bad/sessions/") { // the dialog capitalises the "c"
		t.Fatalf("dialog text %q", got)
	}
}

// A garbage transcript.json is a fault in the case table before its case is opened, and the
// calibration screen's audio box is shown as not measured, not ticked.
func TestReviewTableFaultsAndUnmeasured(t *testing.T) {
	studyDir := reviewStudy(t)
	p := filepath.Join(study.CaseDir(studyDir, "s1", "01-a"), session.TranscriptFile)
	if err := os.WriteFile(p, []byte("{garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, _, _ := openReview(t, studyDir)
	if err := r.OpenSession(study.SessionDir(studyDir, "s1")); err != nil {
		t.Fatal(err)
	}
	for k, i := range r.order {
		c := r.cases[i]
		label := caseLabel(c, r.meas[i])
		if c.Name == "01-a" && !strings.HasPrefix(label, "⚠") {
			t.Errorf("row %d: %q has no ⚠ for its garbage transcript", k, label)
		}
		if c.Screen.Kind == session.KindCalibration {
			r.OpenCase(k)
			if got := r.checks[1].Text; got != "Audio present and not silent (not measured)" || r.checks[1].Checked {
				t.Errorf("calibration screen: audio box %q ticked %v", got, r.checks[1].Checked)
			}
		}
	}
}

// At 1920×1080 every column of the case table shows without scrolling, and the replay's
// stage takes the width left beside the table and the verdict panel.
func TestReviewColumnsAt1920(t *testing.T) {
	studyDir := reviewStudy(t)
	r, w, _ := openReview(t, studyDir)
	w.Resize(fyne.NewSize(1920, 1080))
	if err := r.OpenSession(study.SessionDir(studyDir, "s1")); err != nil {
		t.Fatal(err)
	}
	var cols float32
	for _, wd := range caseColumnWidths {
		cols += wd
	}
	if got := r.table.Size().Width; got < cols {
		t.Fatalf("the case table is %v wide, its columns %v: some need scrolling", got, cols)
	}
	side := float32(0)
	for _, o := range []fyne.CanvasObject{r.save} { // the verdict panel's width
		side = o.Size().Width
	}
	left := 1920 - r.table.Size().Width - side
	if got := r.Stage().Size().Width; got < left-80 {
		t.Fatalf("the stage is %v wide; %v is left beside the table and the verdict panel", got, left)
	}
}

// Stepping with N shows the next case's image at once: the neighbours' images are decoded
// off the UI goroutine while the case on show plays (the stage stayed black 1–2 s).
func TestReviewPreloadsNeighbours(t *testing.T) {
	studyDir := reviewStudy(t)
	r, _, _ := openReview(t, studyDir)
	posted := make(chan func(), 16)
	r.post = func(f func()) { posted <- f }
	called := make(chan string, 16)
	r.opt.LoadImage = func(id string) (image.Image, stage.Layout, error) {
		called <- id
		return image.NewGray(image.Rect(0, 0, 8, 8)), stage.Layout{W: 8, H: 8}, nil
	}
	if err := r.OpenSession(study.SessionDir(studyDir, "s1")); err != nil {
		t.Fatal(err)
	}
	next := r.cases[r.order[1]].Screen.DicomID // 03-c's image
	deadline := time.After(30 * time.Second)
	for seen := false; !seen; {
		select {
		case id := <-called:
			seen = id == next
		case f := <-posted:
			f()
		case <-deadline:
			t.Fatalf("the next case's image %s is not loaded before N", next)
		}
	}
	for !r.images.ready(next) {
		select {
		case <-deadline:
			t.Fatal("the preload does not finish")
		case f := <-posted:
			f()
		case <-time.After(10 * time.Millisecond):
		}
	}
	r.StepCase(1)
	if r.stage.img == nil {
		t.Fatal("N shows a black stage: the preloaded image is not used")
	}
}
