package ui

import (
	"context"
	"encoding/binary"
	"errors"
	"image"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"sightline/reader/ownpass"
	"sightline/reader/reading"
	"sightline/reader/review"
	"sightline/reader/stage"
	"sightline/reader/transcribe"
	"sightline/reader/wav"
)

// wordsEngine is a recogniser that hears the words it is given.
type wordsEngine struct{ words []transcribe.Word }

func (e wordsEngine) Name() string  { return "test" }
func (e wordsEngine) Model() string { return "test words" }
func (e wordsEngine) Recognize(context.Context, transcribe.Audio) ([]transcribe.Word, error) {
	return e.words, nil
}

// noisyCase writes a case folder with a second of loud noise as its audio.wav; with words, a
// draft of them written by transcribe.TranscribeCase.
func noisyCase(t *testing.T, root, name string, words []transcribe.Word) ownpass.Case {
	t.Helper()
	dir := filepath.Join(root, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	const rate = 16000
	r := rand.New(rand.NewPCG(1, 2))
	pcm := make([]byte, 2*rate)
	for i := 0; i < rate; i++ {
		binary.LittleEndian.PutUint16(pcm[2*i:], uint16(int16(r.IntN(16000)-8000)))
	}
	path := filepath.Join(dir, "audio.wav")
	if err := os.WriteFile(path, append(wav.Header(rate, 1, uint32(len(pcm))), pcm...), 0o644); err != nil {
		t.Fatal(err)
	}
	if words != nil {
		if res := transcribe.TranscribeCase(context.Background(), wordsEngine{words}, dir, time.Now()); res.Status != transcribe.StatusWritten {
			t.Fatalf("draft of %s: %+v", name, res)
		}
	}
	return ownpass.Case{Name: name, DicomID: strings.TrimPrefix(name, "0"), Dir: dir, WAV: path}
}

// storeRows is a review store's transcript edits, in memory.
type storeRows struct {
	mu   sync.Mutex
	rows []review.TranscriptEdit
}

func (s *storeRows) AddTranscriptEdit(_ context.Context, e review.TranscriptEdit) (review.TranscriptEdit, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e.ID = int64(len(s.rows) + 1)
	s.rows = append(s.rows, e)
	return e, nil
}

// ownPassRig is a pass over three cases: the first drafted (one word the recogniser was
// unsure of), the second still being drafted, the third drafted to nothing.
type ownPassRig struct {
	p      *OwnPass
	w      fyne.Window
	cases  []ownpass.Case
	store  *storeRows
	saved  chan struct{}
	closed bool

	mu     sync.Mutex
	drafts map[string]ownpass.Draft
	subs   []func(ownpass.Draft)
	recs   []ownpass.CaseRecord
}

func newOwnPassRig(t *testing.T) *ownPassRig {
	a := test.NewTempApp(t)
	root := t.TempDir()
	g := &ownPassRig{store: &storeRows{}, saved: make(chan struct{}, 4), drafts: map[string]ownpass.Draft{}}
	g.cases = []ownpass.Case{
		noisyCase(t, root, "01-a", []transcribe.Word{{Word: "left", Begin: 0.1, End: 0.4, Confidence: 0.95},
			{Word: "effusion", Begin: 0.4, End: 0.9, Confidence: 0.2}}),
		noisyCase(t, root, "02-b", nil),
		noisyCase(t, root, "03-c", nil),
	}
	ready := transcribe.Result{Status: transcribe.StatusWritten, Words: 2}
	g.drafts[g.cases[0].Dir] = ownpass.Draft{Dir: g.cases[0].Dir, State: ownpass.Done, Result: ready}
	g.drafts[g.cases[1].Dir] = ownpass.Draft{Dir: g.cases[1].Dir, State: ownpass.Drafting}
	g.drafts[g.cases[2].Dir] = ownpass.Draft{Dir: g.cases[2].Dir, State: ownpass.Done,
		Result: transcribe.Result{Status: transcribe.StatusNoSpeech, Err: errors.New("the recogniser heard no words")}}
	g.w = a.NewWindow("own pass")
	g.w.Resize(fyne.NewSize(1400, 900))
	g.p = NewOwnPass(g.w, OwnPassOptions{
		Reader: "dr a",
		Cases:  g.cases,
		Draft: func(c ownpass.Case) ownpass.Draft {
			g.mu.Lock()
			defer g.mu.Unlock()
			return g.drafts[c.Dir]
		},
		Watch: func(f func(ownpass.Draft)) func() {
			g.mu.Lock()
			g.subs = append(g.subs, f)
			g.mu.Unlock()
			return func() {}
		},
		LoadImage: func(string) (image.Image, stage.Layout, error) {
			return image.NewGray(image.Rect(0, 0, 64, 64)), stage.Layout{}, nil
		},
		Save: func(c ownpass.Case, ed *transcribe.Edit) (transcribe.Saved, error) {
			return ed.Save(context.Background(), nil, g.store, "s1", c.Name, "dr a", time.Now())
		},
		Record: func(r ownpass.CaseRecord) error {
			g.mu.Lock()
			g.recs = append(g.recs, r)
			g.mu.Unlock()
			return nil
		},
		Close:      func() { g.closed = true },
		background: func(f func()) { f() },
		afterSave:  func() { g.saved <- struct{}{} },
	})
	g.w.SetContent(g.p.Content())
	g.w.Canvas().SetOnTypedKey(g.p.TypedKey)
	return g
}

// drafted tells the pass that a case's draft changed, as the drafter would.
func (g *ownPassRig) drafted(d ownpass.Draft) {
	g.mu.Lock()
	g.drafts[d.Dir] = d
	subs := g.subs
	g.mu.Unlock()
	for _, f := range subs {
		f(d)
	}
}

func (g *ownPassRig) waitSaved(t *testing.T) {
	t.Helper()
	select {
	case <-g.saved:
	case <-time.After(2 * time.Minute):
		t.Fatal("the save did not end within 2 minutes")
	}
}

// TestOwnPass walks the pass as a reader: the first draft is approved with Enter (stored as
// theirs in the review store), the second fills in when its draft is made and is corrected
// and saved, the third has no draft and is passed; the record says so, and the end card's
// Close closes.
func TestOwnPass(t *testing.T) {
	g := newOwnPassRig(t)
	p := g.p
	if p.Editor() == nil {
		t.Fatalf("case 1: no editor; the side says %q", p.WaitingText())
	}
	if d := p.Editor().Doubtful(); len(d) != 1 || d[0] != 1 {
		t.Errorf("doubtful rows %v, want [1] (\"effusion\", confidence 0.2)", d)
	}
	if p.Primary().Text != "Approve and next" || p.Primary().Disabled() {
		t.Fatalf("case 1's highlighted button: %q (disabled %v)", p.Primary().Text, p.Primary().Disabled())
	}
	key(g.w, fyne.KeyReturn) // Enter: approve the draft as it stands
	g.waitSaved(t)
	if len(g.store.rows) != 1 || g.store.rows[0].Who != "dr a" || g.store.rows[0].Case != "01-a" {
		t.Fatalf("the store holds %+v, want dr a's row for 01-a", g.store.rows)
	}
	if p.Case() != 1 {
		t.Fatalf("after approving case 1 the pass is on case %d", p.Case()+1)
	}

	// Case 2: its draft is being made; nothing to approve until it is.
	if !strings.Contains(p.WaitingText(), "being made") || !p.Primary().Disabled() {
		t.Fatalf("case 2 before its draft: %q, primary %q disabled %v", p.WaitingText(), p.Primary().Text, p.Primary().Disabled())
	}
	key(g.w, fyne.KeyReturn) // the highlighted button is disabled: nothing happens
	if p.Case() != 1 {
		t.Fatal("Enter on a disabled button moved on")
	}
	if res := transcribe.TranscribeCase(context.Background(), wordsEngine{[]transcribe.Word{{Word: "heart", Begin: 0.1, End: 0.5, Confidence: 0.9},
		{Word: "large", Begin: 0.5, End: 0.9, Confidence: 0.9}}}, g.cases[1].Dir, time.Now()); res.Status != transcribe.StatusWritten {
		t.Fatal(res)
	}
	g.drafted(ownpass.Draft{Dir: g.cases[1].Dir, State: ownpass.Done, Result: transcribe.Result{Status: transcribe.StatusWritten, Words: 2}})
	if p.Editor() == nil {
		t.Fatalf("case 2's draft did not fill in: %q", p.WaitingText())
	}
	ent := p.Editor().Texts()[1]
	ent.SetText("")
	test.Type(ent, "enlarged")
	ent.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if p.Primary().Text != "Save and next" {
		t.Errorf("after an edit the highlighted button says %q, want Save and next", p.Primary().Text)
	}
	test.Tap(p.Primary())
	g.waitSaved(t)
	if len(g.store.rows) != 2 || !strings.Contains(g.store.rows[1].After, "enlarged") || !strings.Contains(g.store.rows[1].Before, "large") {
		t.Fatalf("the correction of case 2 in the store: %+v", g.store.rows)
	}
	if b, _ := os.ReadFile(filepath.Join(g.cases[1].Dir, transcribe.TranscriptFile)); !strings.Contains(string(b), "enlarged") {
		t.Errorf("transcript.json after the save: %s", b)
	}

	// Case 3: no draft; Next goes on (the last case: Finish).
	if !strings.Contains(p.WaitingText(), "No draft") || p.Primary().Text != "Finish" {
		t.Fatalf("case 3: %q, primary %q", p.WaitingText(), p.Primary().Text)
	}
	key(g.w, fyne.KeyReturn)
	if !p.Ended() {
		t.Fatal("the pass did not end after the last case")
	}
	g.mu.Lock()
	recs := g.recs
	g.mu.Unlock()
	want := []ownpass.CaseRecord{
		{Case: "01-a", Status: ownpass.Reviewed, StoreID: 1},
		{Case: "02-b", Status: ownpass.Reviewed, Changed: true, StoreID: 2},
		{Case: "03-c", Status: ownpass.NotReviewed, Why: ownpass.WhyNoDraft},
	}
	if len(recs) != len(want) {
		t.Fatalf("recorded %+v, want %+v", recs, want)
	}
	for i := range want {
		if recs[i] != want[i] {
			t.Errorf("record %d: %+v, want %+v", i, recs[i], want[i])
		}
	}
	key(g.w, fyne.KeyReturn) // the end card's highlighted button: Close
	if !g.closed {
		t.Error("Enter on the end card did not close")
	}
}

// TestOwnPassSkipAndFinish: a skipped case and the cases never reached are recorded as not
// reviewed, and nothing goes to the store.
func TestOwnPassSkipAndFinish(t *testing.T) {
	g := newOwnPassRig(t)
	test.Tap(buttonsIn(g.p.Content())["Skip"])
	if g.p.Case() != 1 {
		t.Fatalf("Skip left the pass on case %d", g.p.Case()+1)
	}
	test.Tap(buttonsIn(g.p.Content())["End the pass"])
	if !g.p.Ended() {
		t.Fatal("End the pass did not end it")
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	want := map[string]string{"01-a": ownpass.WhySkipped, "02-b": ownpass.WhyEnded, "03-c": ownpass.WhyEnded}
	if len(g.recs) != 3 {
		t.Fatalf("recorded %+v", g.recs)
	}
	for _, r := range g.recs {
		if r.Status != ownpass.NotReviewed || r.Why != want[r.Case] {
			t.Errorf("%s: %+v, want not reviewed (%s)", r.Case, r, want[r.Case])
		}
	}
	if len(g.store.rows) != 0 {
		t.Errorf("the store got %+v from a pass that reviewed nothing", g.store.rows)
	}
}

// TestSummaryOffersOwnPass: the session summary's highlighted button is "Review my
// dictations", and Enter presses it.
func TestSummaryOffersOwnPass(t *testing.T) {
	v, _, w := newReadingWindow(t)
	opened := false
	v.OwnPass = func() { opened = true }
	v.Finished(reading.Summary{Status: "complete", Screens: 3, Shown: 3})
	b := highlighted(v.summary)
	if b == nil || b.Text != "Review my dictations" {
		t.Fatalf("the summary's highlighted button: %v", b)
	}
	key(w, fyne.KeyReturn)
	if !opened {
		t.Error("Enter on the summary did not open the pass")
	}
}

// TestOwnPassTakenUp: a pass opened again over a session whose first case was reviewed before
// starts at the case after it; a case skipped before is not counted as done.
func TestOwnPassTakenUp(t *testing.T) {
	test.NewTempApp(t)
	root := t.TempDir()
	cases := []ownpass.Case{noisyCase(t, root, "01-a", nil), noisyCase(t, root, "02-b", nil), noisyCase(t, root, "03-c", nil)}
	w := test.NewTempWindow(t, nil)
	p := NewOwnPass(w, OwnPassOptions{
		Cases: cases,
		Draft: func(c ownpass.Case) ownpass.Draft { return ownpass.Draft{Dir: c.Dir, State: ownpass.Drafting} },
		Earlier: []ownpass.CaseRecord{{Case: "01-a", Status: ownpass.Reviewed, StoreID: 3},
			{Case: "02-b", Status: ownpass.NotReviewed, Why: ownpass.WhySkipped}},
		background: func(f func()) { f() },
	})
	if p.Case() != 1 {
		t.Fatalf("taken up at case %d, want 2 (case 1 was reviewed, case 2 skipped)", p.Case()+1)
	}
	p.Open(0)
	if !strings.Contains(p.Status(), "You have reviewed this case") {
		t.Errorf("case 1, reviewed before, says %q", p.Status())
	}
	var recs []ownpass.CaseRecord
	p.opt.Record = func(r ownpass.CaseRecord) error { recs = append(recs, r); return nil }
	p.Finish()
	if len(recs) != 1 || recs[0].Case != "03-c" || recs[0].Why != ownpass.WhyEnded {
		t.Errorf("ending the pass recorded %+v, want only 03-c (the earlier pass's word on 01-a and 02-b stands)", recs)
	}
}

// TestOfferOwnPassDecline: closing the summary without the pass records it declined (off the
// UI goroutine), and only then closes the window as before.
func TestOfferOwnPassDecline(t *testing.T) {
	v, _, w := newReadingWindow(t)
	closed := make(chan bool, 1)
	declined := make(chan struct{})
	v.OnClose = func() {
		select {
		case <-declined:
			closed <- true
		default:
			closed <- false
		}
	}
	OfferOwnPass(w, v, func() (OwnPassOptions, error) { return OwnPassOptions{}, nil }, func() { close(declined) })
	if v.OwnPass == nil {
		t.Fatal("the summary offers no pass")
	}
	v.OnClose()
	select {
	case afterDecline := <-closed:
		if !afterDecline {
			t.Error("the window closed before the pass was recorded declined")
		}
	case <-time.After(time.Minute):
		t.Fatal("the window did not close within a minute")
	}
}
