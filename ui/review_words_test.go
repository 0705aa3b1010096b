package ui

import (
	"fmt"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"sightline/reader/qa"
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
