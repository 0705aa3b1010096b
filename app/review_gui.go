package app

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"sync"
	"time"

	"fyne.io/fyne/v2"

	"sightline/assets"
	"sightline/reader/display"
	"sightline/reader/playback"
	"sightline/reader/review"
	"sightline/reader/study"
	"sightline/ui"
)

// runReviewWindow is `sightline review STUDY` without --report or --video: the review view in
// a window, on the session list or (sessionID) on one session.
func runReviewWindow(studyDir, reviewer, store, sessionID string) error {
	if reviewer == "" {
		reviewer = defaultReviewer()
	}
	if st, err := os.Stat(studyDir); err != nil {
		return fmt.Errorf("review: %w", err)
	} else if !st.IsDir() {
		return fmt.Errorf("review: %s is not a study folder", studyDir)
	}
	// No app ID: this window keeps no preferences (the reviewer comes from the flag or the
	// login), and two review windows sharing the station's preferences file raced on it
	// ("Preferences load error: EOF"), as two box editors did.
	a, w, err := openWindow("", "Sightline — QA review")
	if err != nil {
		return err
	}
	a.SetIcon(fyne.NewStaticResource("icon.png", assets.Icon))
	// The stage's size: the case table's columns all show and the replay takes the rest (a
	// window manager fits it to a smaller screen).
	w.Resize(fyne.NewSize(1920, 1080))
	closeStore, err := openReview(w, studyDir, reviewer, store, sessionID, nil)
	if err != nil {
		return err
	}
	defer closeStore()
	w.ShowAndRun()
	return nil
}

func defaultReviewer() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return os.Getenv("USER")
}

// The sound output is opened once per process, on the first case played.
var (
	soundOnce sync.Once
	soundOut  *playback.Out
	soundErr  error
)

func openSound() (ui.Sound, error) {
	soundOnce.Do(func() { soundOut, soundErr = playback.Open(48000, 2, 5*time.Second) })
	if soundErr != nil {
		return nil, soundErr
	}
	return soundOut, nil
}

// openReview shows the review view of studyDir in w; back (nil: none) returns to the start
// screen. The returned function closes the review store.
func openReview(w fyne.Window, studyDir, reviewer, store, sessionID string, back func()) (func(), error) {
	if err := study.Check(studyDir); err != nil {
		return nil, err // before the store: review.Open would make a review.db in any folder
	}
	st, noStore, err := review.OpenForReview(context.Background(), studyDir, store)
	if err != nil {
		return nil, err
	}
	closeStore := func() {
		if st != nil {
			st.Close()
		}
	}
	opts := ui.ReviewOptions{StudyDir: studyDir, Store: st, NoStore: noStore, Reviewer: reviewer, LoadImage: display.StudyImages(studyDir), Sound: openSound}
	if back != nil {
		opts.Back = func() {
			w.Canvas().SetOnTypedKey(nil)
			closeStore()
			back()
		}
	}
	r, err := ui.NewReview(w, opts)
	if err != nil {
		closeStore()
		return nil, err
	}
	w.SetContent(r.Content())
	w.Canvas().SetOnTypedKey(r.TypedKey)
	// The sound output opens now, beside the window: its first opening waits for the device to
	// run (1.7 s in a walk), which the first Space would otherwise wait for, the sound silent.
	go func() { _, _ = openSound() }()
	if sessionID != "" {
		if err := r.OpenSession(study.SessionDir(studyDir, sessionID)); err != nil {
			closeStore()
			return nil, err
		}
	}
	return closeStore, nil
}
