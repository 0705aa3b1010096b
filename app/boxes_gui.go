package app

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"os/user"
	"syscall"

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
	_, w, err := openWindow("org.sightline.boxes", "Sightline — boxes")
	if err != nil {
		return err
	}
	if err := openBoxEditor(w, studyDir, who, store, nil); err != nil {
		return err
	}
	w.Resize(fyne.NewSize(1600, 1000))
	w.ShowAndRun()
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

// openBoxEditor fills w with the box editor on the study in dir and the store (default
// STUDY/review.db). back, when set, is where the editor's Back button leads; the store is
// closed when the editor is left or the window closes.
func openBoxEditor(w fyne.Window, dir, who, store string, back func()) error {
	s, err := study.Load(dir)
	if err != nil {
		return err
	}
	if store == "" {
		store = dir
	}
	if who == "" {
		who = defaultUser()
	}
	st, err := review.Open(context.Background(), store, review.Options{})
	if err != nil {
		return err
	}
	readings, err := boxedit.OpenReadings(dir)
	if err != nil {
		st.Close()
		return err
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
	// SIGTERM and SIGINT save first, as closing the window does.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sigs
		fyne.Do(func() {
			leave()
			fyne.CurrentApp().Quit()
		})
	}()
	ed, err = ui.NewBoxEditor(cfg, w)
	if err != nil {
		st.Close()
		return err
	}
	w.SetContent(ed.Content())
	w.SetOnClosed(leave)
	if len(s.Cases) > 0 {
		if err := ed.Open(s.Cases[0].DicomID); err != nil {
			return fmt.Errorf("open %s: %w", s.Cases[0].DicomID, err)
		}
	}
	return nil
}
