package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"sightline/reader/qa"
	"sightline/reader/review"
	"sightline/reader/study"
)

// TestReviewWordsLaidOut: a transcript's phrases are laid out as soon as the case shows, not
// when the pointer next enters the window. The words sit in a scroll: refreshing the words
// alone lays them out in the scroll's old content size, so rows past it stayed clipped (and
// the scroll bar unaware) until a hover refreshed the scroll.
func TestReviewWordsLaidOut(t *testing.T) {
	studyDir := reviewStudy(t)
	r, w, _ := openReview(t, studyDir)
	w.Resize(fyne.NewSize(1200, 900))
	if err := r.OpenSession(study.SessionDir(studyDir, "s1")); err != nil {
		t.Fatal(err)
	}
	key(w, fyne.KeyN)
	key(w, fyne.KeyN)
	key(w, fyne.KeyN) // a case with its two phrases on show
	if r.Replay() == nil || len(r.Words()) == 0 {
		t.Fatal("no case with words on show")
	}
	// Its transcript grows to 60 phrases (as a longer dictation's would).
	rp := *r.Replay()
	rp.Phrases = nil
	for i := range 60 {
		rp.Phrases = append(rp.Phrases, qa.Phrase{Text: fmt.Sprintf("phrase-%02d", i), Begin: time.Duration(i) * time.Second})
	}
	r.rp = &rp
	r.buildWords()
	if got, min := r.words.Size().Height, r.words.MinSize().Height; got < min {
		t.Fatalf("the words are laid out %v high, their rows need %v: the last rows are clipped", got, min)
	}
	last := r.Words()[len(r.Words())-1]
	if last.Size().Width == 0 || last.Position().Y+last.Size().Height > r.words.Size().Height {
		t.Fatalf("the last phrase at %v size %v lies outside the words (%v)", last.Position(), last.Size(), r.words.Size())
	}
}

// TestReviewWithoutStore: a study nobody has reviewed, opened by a user who may not make its
// review store, is viewed all the same: the header says why nothing can be saved, the cases
// replay, and saving a verdict says why it cannot.
func TestReviewWithoutStore(t *testing.T) {
	studyDir := reviewStudy(t)
	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	why := "nothing reviewed yet, and this user cannot make the review store in " + studyDir
	r, err := NewReview(w, ReviewOptions{StudyDir: studyDir, NoStore: why, Reviewer: "qa1"})
	if err != nil {
		t.Fatal(err)
	}
	r.noTicker = true
	w.SetContent(r.Content())
	w.Canvas().SetOnTypedKey(r.TypedKey)
	w.Resize(fyne.NewSize(1600, 900))
	if findOnCanvasText(w, "READ-ONLY, verdicts cannot be saved ("+why+")") == nil {
		t.Error("the header does not say why verdicts cannot be saved")
	}
	if err := r.OpenSession(study.SessionDir(studyDir, "s1")); err != nil {
		t.Fatal(err)
	}
	key(w, fyne.KeyN)
	if r.Replay() == nil {
		t.Fatal("no case replays without a store")
	}
	r.SetDecision(review.Pass, "ok")
	if _, err := saveVerdict(r); err == nil || !strings.Contains(err.Error(), why) {
		t.Errorf("save without a store: %v, want why it cannot", err)
	}
}

// findOnCanvasText finds a label whose text contains s.
func findOnCanvasText(w fyne.Window, s string) fyne.CanvasObject {
	var found fyne.CanvasObject
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if found != nil {
			return
		}
		if l, ok := o.(*widget.Label); ok && strings.Contains(l.Text, s) {
			found = l
			return
		}
		if c, ok := o.(*fyne.Container); ok {
			for _, ch := range c.Objects {
				walk(ch)
			}
		}
	}
	walk(w.Content())
	return found
}
