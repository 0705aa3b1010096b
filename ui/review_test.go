package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"sightline/reader/qa/qatest"
	"sightline/reader/review"
	"sightline/reader/session"
	"sightline/reader/study"
)

const msec = time.Millisecond

// reviewStudy records two sessions into a study folder: s1 with a calibration screen, a good
// case with audio, clicks and a transcript, a case with half its gaze lost, and a silent one;
// s2 with one good case.
func reviewStudy(t testing.TB) string {
	studyDir := t.TempDir()
	qatest.Record(t, study.SessionDir(studyDir, "s1"), qatest.Session{ID: "s1", Reader: "R1", Cases: []qatest.Case{
		{DicomID: session.CalibrationID("s1", 1), Kind: session.KindCalibration, Samples: 60},
		{DicomID: "a", Samples: 300, JumpAt: 150, Audio: true, AudioLead: 100 * msec, Click: 2500 * msec,
			Phrases: []qatest.Phrase{{Text: "heart", Begin: 1, End: 1.5}, {Text: "normal", Begin: 2, End: 2.5}}},
		{DicomID: "b", Samples: 120, InvalidFrom: 10, InvalidTo: 70, Audio: true},
		{DicomID: "c", Samples: 120, Audio: true, Silent: true},
	}})
	qatest.Record(t, study.SessionDir(studyDir, "s2"), qatest.Session{ID: "s2", Reader: "R2", Cases: []qatest.Case{
		{DicomID: "a", Samples: 60, Audio: true},
	}})
	return studyDir
}

func openReview(t *testing.T, studyDir string) (*Review, fyne.Window, review.Store) {
	t.Helper()
	test.NewTempApp(t)
	st, err := review.Open(context.Background(), studyDir, review.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	w := test.NewTempWindow(t, nil)
	r, err := NewReview(w, ReviewOptions{StudyDir: studyDir, Store: st, Reviewer: "qa1"})
	if err != nil {
		t.Fatal(err)
	}
	r.noTicker = true
	w.SetContent(r.Content())
	w.Canvas().SetOnTypedKey(r.TypedKey)
	w.Resize(fyne.NewSize(1600, 900))
	return r, w, st
}

func key(w fyne.Window, k fyne.KeyName) { w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: k}) }

func TestReviewSessionList(t *testing.T) {
	studyDir := reviewStudy(t)
	r, _, _ := openReview(t, studyDir)
	rows := r.Sessions()
	if len(rows) != 2 {
		t.Fatalf("%d sessions listed", len(rows))
	}
	got := map[string]string{}
	for _, s := range rows {
		got[s.Name] = fmt.Sprintf("%s %s %d cases %d reviewed", s.Reader, s.Status, s.Cases, s.Decided)
	}
	want := map[string]string{"s1": "R1 complete 4 cases 0 reviewed", "s2": "R2 complete 1 cases 0 reviewed"} // every case folder, as the table lists them
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("sessions %v, want %v", got, want)
	}
}

// The case table lists every screen, the faulty ones first (each group in reading order).
func TestReviewCasesProblemsFirst(t *testing.T) {
	studyDir := reviewStudy(t)
	r, _, _ := openReview(t, studyDir)
	if err := r.OpenSession(study.SessionDir(studyDir, "s1")); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(r.CaseOrder(), " ")
	want := "02-b 03-c 00-calibration-s1-1 01-a"
	if got != want {
		t.Fatalf("case order %q, want %q", got, want)
	}
	// The first case on show is b, its checklist pre-filled: gaze not valid, the rest good.
	cl := r.Checklist()
	if cl.GazeValid || !cl.FilesWhole || !cl.AudioOK || !cl.NoAbruptStop || !cl.CalibrationGood {
		t.Fatalf("b's checklist %+v", cl)
	}
}

func TestReviewKeysAndSeek(t *testing.T) {
	studyDir := reviewStudy(t)
	r, w, _ := openReview(t, studyDir)
	if err := r.OpenSession(study.SessionDir(studyDir, "s1")); err != nil {
		t.Fatal(err)
	}
	key(w, fyne.KeyN)
	key(w, fyne.KeyN)
	key(w, fyne.KeyN) // 01-a
	rp := r.Replay()
	if rp == nil || rp.Case.Name != "01-a" {
		t.Fatalf("N N N shows %v", rp.Case.Name)
	}
	if r.Position() != rp.Start {
		t.Fatalf("a case opens at its start: %v, want %v", r.Position(), rp.Start)
	}
	key(w, fyne.KeyRight)
	key(w, fyne.KeyRight)
	if r.Position() != rp.Start+2*time.Second {
		t.Fatalf("→ → at %v, want %v", r.Position(), rp.Start+2*time.Second)
	}
	key(w, fyne.KeyLeft)
	if r.Position() != rp.Start+time.Second {
		t.Fatalf("← at %v", r.Position())
	}
	if !strings.Contains(r.ClockText(), "wall clock: no sound output") {
		t.Fatalf("clock %q does not say what drives it", r.ClockText())
	}
	key(w, fyne.KeySpace)
	if !r.Playing() {
		t.Fatal("Space does not play")
	}
	key(w, fyne.KeyL)
	if r.Speed() != 2 {
		t.Fatalf("L while playing: speed %v, want 2", r.Speed())
	}
	key(w, fyne.KeyJ)
	key(w, fyne.KeyJ)
	if r.Speed() != 0.5 {
		t.Fatalf("J J: speed %v, want 0.5", r.Speed())
	}
	key(w, fyne.KeyK)
	if r.Playing() {
		t.Fatal("K does not pause")
	}
	// Clicking a word seeks to it, and it is highlighted.
	words := r.Words()
	if len(words) != 2 || words[1].Text != "normal" {
		t.Fatalf("words %v", words)
	}
	test.Tap(words[1])
	if r.Position() != rp.Phrases[1].Begin || r.Phrase() != 1 {
		t.Fatalf("word tap: at %v phrase %d, want %v phrase 1", r.Position(), r.Phrase(), rp.Phrases[1].Begin)
	}
	// A click on the timeline seeks there.
	tl := r.Timeline()
	x := tl.XAt(rp.Start + 4*time.Second)
	test.TapAt(tl, fyne.NewPos(x, tl.Size().Height/2))
	if d := r.Position() - (rp.Start + 4*time.Second); d < -50*msec || d > 50*msec {
		t.Fatalf("timeline click at %v, want about %v", r.Position(), rp.Start+4*time.Second)
	}
	// The fixations on the stage are those begun by then: the jump's fixation among them.
	f := rp.At(r.Position())
	if got := len(r.Stage().fixes); got != len(f.Fixations) || got == 0 {
		t.Fatalf("stage draws %d fixations, want %d", got, len(f.Fixations))
	}
	key(w, fyne.KeyP)
	if r.Replay().Case.Name != "00-calibration-s1-1" {
		t.Fatalf("P shows %s", r.Replay().Case.Name)
	}
}

// A verdict is saved to the store with the reviewer; a change is a new row.
func TestReviewVerdictSaved(t *testing.T) {
	studyDir := reviewStudy(t)
	r, _, st := openReview(t, studyDir)
	if err := r.OpenSession(study.SessionDir(studyDir, "s1")); err != nil {
		t.Fatal(err)
	}
	if _, err := saveVerdict(r); err == nil {
		t.Fatal("a verdict without a decision was saved")
	}
	r.SetDecision(review.ReRead, "half the gaze lost")
	if _, err := saveVerdict(r); err != nil {
		t.Fatal(err)
	}
	r.checks[3].SetChecked(true)
	r.SetDecision(review.Pass, "lost while dictating the impression only")
	if _, err := saveVerdict(r); err != nil {
		t.Fatal(err)
	}
	rows, err := st.Verdicts(context.Background(), "s1")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("%d verdict rows, want 2", len(rows))
	}
	a, b := rows[0], rows[1]
	if a.Case != "02-b" || a.Decision != review.ReRead || a.Reviewer != "qa1" || a.Checklist.GazeValid || a.At.IsZero() {
		t.Fatalf("first row %+v", a)
	}
	if b.Decision != review.Pass || !b.Checklist.GazeValid || b.Note != "lost while dictating the impression only" {
		t.Fatalf("second row %+v", b)
	}
	if s := r.qaStatus(r.Replay().Case); !strings.Contains(s, "pass by qa1 (2 rows)") {
		t.Fatalf("QA status %q", s)
	}
	if err := r.ShowSessions(); err != nil {
		t.Fatal(err)
	}
	for _, s := range r.Sessions() {
		if s.Name == "s1" && s.Decided != 1 {
			t.Fatalf("s1 progress %+v", s)
		}
	}
}

// A session still being recorded opens read-only and says so.
func TestReviewLiveSession(t *testing.T) {
	studyDir := t.TempDir()
	qatest.Record(t, study.SessionDir(studyDir, "live"), qatest.Session{ID: "live", Reader: "R1", Cases: []qatest.Case{
		{DicomID: "a", Samples: 60, Audio: true},
		{DicomID: "b", Samples: 60, Audio: true, Open: true},
	}})
	before := snapshotDir(t, study.SessionsRoot(studyDir))
	r, _, _ := openReview(t, studyDir)
	if s := r.Sessions(); len(s) != 1 || s[0].Status != "recording" {
		t.Fatalf("sessions %+v", s)
	}
	if err := r.OpenSession(study.SessionDir(studyDir, "live")); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Banner(), "opened read-only") {
		t.Fatalf("banner %q", r.Banner())
	}
	if after := snapshotDir(t, study.SessionsRoot(studyDir)); after != before {
		t.Fatal("the review wrote into the session folder")
	}
}

func snapshotDir(t *testing.T, dir string) string {
	var b strings.Builder
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			fmt.Fprintf(&b, "%s %d %v\n", p, fi.Size(), fi.ModTime())
		}
		return nil
	})
	return b.String()
}

// Every bad input of issue 11 opens with its problem named.
func TestReviewBadInput(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spoil func(d string)
		want  string
	}{
		{"truncated WAV", func(d string) {
			p := filepath.Join(d, session.AudioFile)
			st, _ := os.Stat(p)
			os.Truncate(p, st.Size()/2)
		}, "audio.wav: truncated"},
		{"missing audio.json", func(d string) { os.Remove(filepath.Join(d, session.AudioMetaFile)) }, "audio.json: missing"},
		{"broken CSV row", func(d string) {
			p := filepath.Join(d, session.GazeFile)
			b, _ := os.ReadFile(p)
			l := strings.SplitAfter(string(b), "\n")
			l[3] = "x,y\n"
			os.WriteFile(p, []byte(strings.Join(l, "")), 0o644)
		}, "eye_gaze.csv:4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			studyDir := reviewStudy(t)
			tc.spoil(study.CaseDir(studyDir, "s2", "00-a"))
			r, _, _ := openReview(t, studyDir)
			if err := r.OpenSession(study.SessionDir(studyDir, "s2")); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(r.problems.Text, tc.want) {
				t.Fatalf("problems %q, want %q named", r.problems.Text, tc.want)
			}
			if r.Replay() == nil || len(r.Replay().Gaze) < 50 {
				t.Fatal("the case does not replay")
			}
		})
	}
	t.Run("interrupted case", func(t *testing.T) {
		// A session cut off on a case: the folder of one being recorded, copied away from its
		// recorder (nobody holds the copy's lock).
		live := filepath.Join(t.TempDir(), "live")
		qatest.Record(t, live, qatest.Session{ID: "cut", Cases: []qatest.Case{
			{DicomID: "a", Samples: 60, Audio: true}, {DicomID: "b", Samples: 60, Audio: true, Open: true}}})
		studyDir := t.TempDir()
		if err := os.MkdirAll(study.SessionsRoot(studyDir), 0o755); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("cp", "-r", live, study.SessionDir(studyDir, "cut")).CombinedOutput(); err != nil {
			t.Fatalf("cp: %v: %s", err, out)
		}
		r, _, _ := openReview(t, studyDir)
		if s := r.Sessions(); len(s) != 1 || s[0].Status != "interrupted" {
			t.Fatalf("sessions %+v", s)
		}
		if err := r.OpenSession(study.SessionDir(studyDir, "cut")); err != nil {
			t.Fatal(err)
		}
		if got := r.CaseOrder(); got[0] != "01-b" || !strings.Contains(r.problems.Text, "cut off by a crash") {
			t.Fatalf("cases %v, problems %q", got, r.problems.Text)
		}
		if !strings.Contains(r.Banner(), "interrupted") {
			t.Fatalf("banner %q", r.Banner())
		}
	})
	t.Run("gaze-only session", func(t *testing.T) {
		studyDir := t.TempDir()
		qatest.Record(t, study.SessionDir(studyDir, "g"), qatest.Session{ID: "g", GazeOnly: true,
			Cases: []qatest.Case{{DicomID: "a", Samples: 60}}})
		r, _, _ := openReview(t, studyDir)
		if err := r.OpenSession(study.SessionDir(studyDir, "g")); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(r.problems.Text, "gaze-only") || !strings.Contains(r.ClockText(), "wall clock: no audio") {
			t.Fatalf("problems %q, clock %q", r.problems.Text, r.ClockText())
		}
	})
}

// BenchmarkOpenSession30 opens a recorded session of 30 cases in the view: the measurements
// of every case, the table, and the first case loaded for replay (issue 11: < 1 s).
func BenchmarkOpenSession30(b *testing.B) {
	studyDir := b.TempDir()
	var cases []qatest.Case
	for i := range 30 {
		cases = append(cases, qatest.Case{DicomID: fmt.Sprintf("c%02d", i), Samples: 1800, Audio: true,
			Phrases: []qatest.Phrase{{Text: "lungs", Begin: 1, End: 2}}})
	}
	dir := qatest.Record(b, study.SessionDir(studyDir, "s30"), qatest.Session{ID: "s30", Cases: cases})
	test.NewTempApp(b)
	st, err := review.Open(context.Background(), studyDir, review.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	w := test.NewTempWindow(b, nil)
	r, err := NewReview(w, ReviewOptions{StudyDir: studyDir, Store: st, Reviewer: "qa1"})
	if err != nil {
		b.Fatal(err)
	}
	w.SetContent(r.Content())
	w.Resize(fyne.NewSize(1600, 900))
	for b.Loop() {
		if err := r.OpenSession(dir); err != nil {
			b.Fatal(err)
		}
	}
}

// The audio clock drives the picture at every speed: the play head is where the heard frame
// maps on the session clock, and the audio plays at the replay's speed.
func TestReviewAudioClockDrives(t *testing.T) {
	studyDir := reviewStudy(t)
	r, w, _ := openReview(t, studyDir)
	snd := &qatest.Sound{}
	r.opt.Sound = func() (Sound, error) { return snd, nil }
	wall := time.Now()
	r.opt.Now = func() time.Time { return wall } // stands still: the audio alone moves the picture
	if err := r.OpenSession(study.SessionDir(studyDir, "s2")); err != nil {
		t.Fatal(err)
	}
	rp := r.Replay()
	r.Seek(rp.Start + 500*msec)
	key(w, fyne.KeySpace)
	want, _ := rp.AudioFrame(rp.Start + 500*msec)
	if !snd.Playing || snd.From != want {
		t.Fatalf("audio plays %v from %d, want from %d", snd.Playing, snd.From, want)
	}
	snd.Frame = want + 4000 // a quarter second at 16 kHz later
	r.Frame()
	heard, _ := rp.AudioTime(want + 4000)
	if d := r.Position() - heard; d < 0 || d > 100*msec {
		t.Fatalf("picture at %v, audio heard at %v", r.Position(), heard)
	}
	if !strings.Contains(r.ClockText(), "audio clock") {
		t.Fatalf("clock %q", r.ClockText())
	}
	key(w, fyne.KeyL) // 2×
	if !snd.Playing || snd.Speed != 2 || snd.Plays != 2 || !strings.Contains(r.ClockText(), "audio clock") {
		t.Fatalf("at 2× the audio plays %v at %g (%d plays); clock %q", snd.Playing, snd.Speed, snd.Plays, r.ClockText())
	}
	at := r.Position()
	snd.Frame += 2000 // an eighth of a second of audio at 16 kHz, heard in a sixteenth at 2×
	r.Frame()
	if want, _ := rp.AudioTime(snd.Frame); r.Position() != want || want-at < 100*msec {
		t.Fatalf("at 2× the picture is at %v, the audio heard at %v", r.Position(), want)
	}
}

// TestSessionStatus: every status session.json can hold reads as the reviewer expects; an
// ended session was listed as "interrupted" once the recorder wrote "ended".
func TestSessionStatus(t *testing.T) {
	for _, tc := range []struct {
		status string
		live   bool
		want   string
	}{
		{session.StatusComplete, false, "complete"},
		{session.StatusEnded, false, "ended"},
		{session.StatusEndedEarly, false, "ended"},
		{session.StatusRecording, false, "interrupted"},
		{session.StatusRecording, true, "recording"},
	} {
		o := &session.Opened{Live: tc.live}
		o.State.Status = tc.status
		if got := SessionStatus(o); got != tc.want {
			t.Errorf("status %q live %v: %q, want %q", tc.status, tc.live, got, tc.want)
		}
	}
}

// The timeline moves its play head only when it moves by a pixel: a sub-pixel step redraws
// nothing (every refresh repaints the window).
func TestTimelineHeadMovesByPixels(t *testing.T) {
	studyDir := reviewStudy(t)
	r, _, _ := openReview(t, studyDir)
	if err := r.OpenSession(study.SessionDir(studyDir, "s2")); err != nil {
		t.Fatal(err)
	}
	tl, rp := r.Timeline(), r.Replay()
	perPixel := time.Duration(float64(rp.End-rp.Start) / float64(tl.Size().Width))
	tl.SetPosition(rp.Start + 10*perPixel)
	x0 := tl.r.head.Position1.X
	tl.SetPosition(rp.Start + 10*perPixel + perPixel/3)
	if tl.r.head.Position1.X != x0 {
		t.Fatalf("a third of a pixel moved the head from %v to %v", x0, tl.r.head.Position1.X)
	}
	tl.SetPosition(rp.Start + 13*perPixel)
	if d := tl.r.head.Position1.X - x0; d < 2.5 || d > 3.5 {
		t.Fatalf("three pixels moved the head by %v", d)
	}
}

// BenchmarkReviewSeek is a seek in the view: the play head moved, the frame there drawn onto
// the stage, the timeline and the clock (issue 11: < 50 ms).
func BenchmarkReviewSeek(b *testing.B) {
	studyDir := b.TempDir()
	qatest.Record(b, study.SessionDir(studyDir, "s"), qatest.Session{ID: "s", Cases: []qatest.Case{
		{DicomID: "a", Samples: 60 * 300, Audio: true}}}) // 5 minutes, 1,500 fixations
	test.NewTempApp(b)
	st, err := review.Open(context.Background(), studyDir, review.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	w := test.NewTempWindow(b, nil)
	r, err := NewReview(w, ReviewOptions{StudyDir: studyDir, Store: st, Reviewer: "qa1"})
	if err != nil {
		b.Fatal(err)
	}
	w.SetContent(r.Content())
	w.Resize(fyne.NewSize(1600, 900))
	if err := r.OpenSession(study.SessionDir(studyDir, "s")); err != nil {
		b.Fatal(err)
	}
	rp := r.Replay()
	span := rp.End - rp.Start
	i := 0
	for b.Loop() {
		i = (i*7919 + 104729) % 1000
		r.Seek(rp.Start + span*time.Duration(i)/1000)
	}
}

// "Review sessions…" is on the start screen when the station offers it, and hidden otherwise.
func TestStartScreenReview(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	for _, offered := range []bool{true, false} {
		a := StartActions{OpenDemo: func(done func()) { done() }, OpenStudy: func(string) {}}
		if offered {
			a.Review = func(string) {}
		}
		start := NewStart(a, nil, w)
		w.SetContent(start)
		b := buttonsIn(start)["Review sessions…"]
		if shown := b != nil && b.Visible(); shown != offered {
			t.Fatalf("offered %v: button %v", offered, b)
		}
	}
}

// A sound output that cannot open leaves the wall clock driving the replay, and the clock line
// says why.
func TestReviewNoSoundCard(t *testing.T) {
	studyDir := reviewStudy(t)
	r, w, _ := openReview(t, studyDir)
	r.opt.Sound = func() (Sound, error) { return nil, errors.New("sound output: not ready within 5s") }
	if err := r.OpenSession(study.SessionDir(studyDir, "s2")); err != nil {
		t.Fatal(err)
	}
	key(w, fyne.KeySpace)
	if !r.Playing() || !strings.Contains(r.ClockText(), "no sound: playing silently") {
		t.Fatalf("playing %v, clock %q", r.Playing(), r.ClockText())
	}
}

// saveVerdict saves the panel's verdict and waits for the store's answer (Fyne's test driver
// runs what the save posts to the UI goroutine on the saving goroutine itself).
func saveVerdict(r *Review) (review.Verdict, error) {
	type result struct {
		v   review.Verdict
		err error
	}
	ch := make(chan result, 1)
	r.SaveVerdict(func(v review.Verdict, err error) { ch <- result{v, err} })
	select {
	case x := <-ch:
		return x.v, x.err
	case <-time.After(time.Minute):
		return review.Verdict{}, errors.New("the save did not end within a minute")
	}
}

// slowStore is a store whose AddVerdict waits until the test lets it go on.
type slowStore struct {
	review.Store
	entered chan struct{}
	release chan struct{}
}

func (s *slowStore) AddVerdict(ctx context.Context, v review.Verdict) (review.Verdict, error) {
	close(s.entered)
	<-s.release
	return s.Store.AddVerdict(ctx, v)
}

// Saving a verdict does not hold the UI goroutine while the store writes: SaveVerdict returns
// with the store still writing, the button disabled until the row is saved, and the panel then
// shows it.
func TestReviewVerdictSavedOffTheUIGoroutine(t *testing.T) {
	studyDir := reviewStudy(t)
	r, _, st := openReview(t, studyDir)
	slow := &slowStore{Store: st, entered: make(chan struct{}), release: make(chan struct{})}
	r.opt.Store = slow
	posted := make(chan func(), 4)
	r.post = func(f func()) { posted <- f }
	if err := r.OpenSession(study.SessionDir(studyDir, "s1")); err != nil {
		t.Fatal(err)
	}
	r.SetDecision(review.Pass, "clean")
	var saved review.Verdict
	done := make(chan error, 1)
	r.SaveVerdict(func(v review.Verdict, err error) { saved = v; done <- err })
	// Here the UI goroutine (this one) is free: the store has not been let go on.
	select {
	case <-slow.entered:
	case <-time.After(time.Minute):
		t.Fatal("the store was not asked to save within a minute")
	}
	if !r.save.Disabled() || r.history.Text != "Saving…" {
		t.Fatalf("while saving: button disabled %v, history %q", r.save.Disabled(), r.history.Text)
	}
	close(slow.release)
	select {
	case f := <-posted:
		f()
	case <-time.After(time.Minute):
		t.Fatal("the save posted nothing back within a minute")
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if r.save.Disabled() || saved.ID == 0 || !strings.Contains(r.history.Text, "Latest: pass by qa1") {
		t.Fatalf("after saving: button disabled %v, row %+v, history %q", r.save.Disabled(), saved, r.history.Text)
	}
}
