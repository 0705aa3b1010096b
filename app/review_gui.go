package app

import (
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"os/user"
	"path/filepath"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"sightline/assets"
	"sightline/reader/display"
	"sightline/reader/playback"
	"sightline/reader/review"
	"sightline/reader/stage"
	"sightline/reader/study"
	"sightline/ui"
)

const prefReviewer = "reviewer"

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
	if store == "" {
		store = studyDir
	}
	var st review.Store
	noStore := ""
	if _, statErr := os.Stat(filepath.Join(studyDir, review.FileName)); store == studyDir && errors.Is(statErr, os.ErrNotExist) && !review.CanMake(studyDir) {
		// Nobody has reviewed it, and this user may not make its store: view it without one.
		noStore = "nothing reviewed yet, and this user cannot make the review store in " + studyDir
	} else {
		var err error
		if st, err = review.Open(context.Background(), store, review.Options{}); err != nil {
			return nil, err
		}
	}
	closeStore := func() {
		if st != nil {
			st.Close()
		}
	}
	var loadImage func(string) (image.Image, stage.Layout, error)
	if s, err := study.Load(studyDir); err == nil {
		loadImage = func(id string) (image.Image, stage.Layout, error) { return display.Load(s, id) }
	} else {
		loadImage = func(string) (image.Image, stage.Layout, error) {
			return nil, stage.Layout{}, fmt.Errorf("the study's images cannot be shown: %w", err)
		}
	}
	opts := ui.ReviewOptions{StudyDir: studyDir, Store: st, NoStore: noStore, Reviewer: reviewer, LoadImage: loadImage, Sound: openSound}
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

// askReviewer asks who reviews, offering the last name used, and opens the review of dir.
func askReviewer(a fyne.App, w fyne.Window, dir string, back func()) {
	name := widget.NewEntry()
	name.SetText(a.Preferences().StringWithFallback(prefReviewer, defaultReviewer()))
	dialog.ShowForm("Who is reviewing?", "Review", "Cancel", []*widget.FormItem{widget.NewFormItem("Reviewer", name)}, func(ok bool) {
		if !ok || name.Text == "" {
			return
		}
		a.Preferences().SetString(prefReviewer, name.Text)
		if _, err := openReview(w, dir, name.Text, "", "", back); err != nil {
			back()
			dialog.ShowError(err, w)
		}
	}, w)
}
