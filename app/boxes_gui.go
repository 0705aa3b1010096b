package app

import (
	"context"
	"fmt"
	"os"
	"os/user"

	"fyne.io/fyne/v2"

	"sightline/reader/boxedit"
	"sightline/reader/review"
	"sightline/reader/study"
	"sightline/ui"
)

// runBoxEditor is `sightline boxes STUDY` without --apply or --export: the editor's window.
func runBoxEditor(studyDir, who, store string) error {
	// A study that cannot be read, or a user name no row may carry, is said so before any
	// window is asked for.
	if _, err := study.Load(studyDir); err != nil {
		return err
	}
	if who != "" {
		if err := review.CheckUser(who); err != nil {
			return fmt.Errorf("boxes: --user: %w", err)
		}
	}
	// No app ID: the editor keeps no preferences, and an ID gives it a preferences file that
	// every editor of the machine watches and rewrites as it quits, so that a second editor
	// read it half written ("Preferences load error: EOF"). Without one Fyne neither reads,
	// watches nor writes it.
	_, w, err := openWindow("", "Sightline — boxes")
	if err != nil {
		return err
	}
	leave, err := openBoxEditorLeave(w, studyDir, who, store, nil)
	if err != nil {
		return err
	}
	w.Resize(fyne.NewSize(1600, 1000))
	w.ShowAndRun()
	// Fyne's driver ends the loop on SIGTERM and SIGINT by itself, without closing the window:
	// unsaved edits are saved here, once the loop has returned.
	leave()
	return nil
}

// defaultUser is who edits when --user is not given: the login name.
func defaultUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if n := os.Getenv("USER"); n != "" {
		return n
	}
	return "unknown"
}

// openBoxEditorLeave fills w with the box editor on the study in dir and the store (default
// STUDY/review.db), and returns what saves and closes it (once). back, when set, is where the
// editor's Back button leads; the store is closed when the editor is left or the window closes.
func openBoxEditorLeave(w fyne.Window, dir, who, store string, back func()) (func(), error) {
	s, err := study.Load(dir)
	if err != nil {
		return nil, err
	}
	if store == "" {
		store = dir
	}
	if who == "" {
		who = defaultUser()
	}
	st, err := review.Open(context.Background(), store, review.Options{})
	if err != nil {
		return nil, err
	}
	readings, err := boxedit.OpenReadings(dir)
	if err != nil {
		st.Close()
		return nil, err
	}
	// The journal lies beside the study, one per user: two editors on one machine, or a
	// PostgreSQL store that is away, never lose an edit.
	cfg := ui.BoxEditorConfig{Study: s, Store: st, Who: who, Readings: readings, Journal: review.OpenJournal(review.JournalPath(dir, who))}
	closed := false
	var ed *ui.BoxEditor
	leave := func() {
		if closed {
			return
		}
		closed = true
		if err := ed.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "sightline: %v\n", err)
		}
		st.Close()
	}
	if back != nil {
		cfg.Back = func() { leave(); back() }
	}
	ed, err = ui.NewBoxEditor(cfg, w)
	if err != nil {
		st.Close()
		return nil, err
	}
	w.SetContent(ed.Content())
	w.SetOnClosed(leave)
	if len(s.Cases) > 0 {
		if err := ed.Open(s.Cases[0].DicomID); err != nil {
			return leave, fmt.Errorf("open %s: %w", s.Cases[0].DicomID, err)
		}
	}
	return leave, nil
}
