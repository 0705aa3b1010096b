package app

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"

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

// boxParts is what the box editor opens on: the study, its review store and its readings.
type boxParts struct {
	s        *study.Study
	st       review.Store
	readings *boxedit.Readings
	dir, who string
}

// openBoxParts reads the study and its readings and opens the store (default STUDY/review.db)
// within ctx: file reads and a connection, for off the UI goroutine.
func openBoxParts(ctx context.Context, dir, who, store string) (boxParts, error) {
	s, err := study.Load(dir)
	if err != nil {
		return boxParts{}, err
	}
	if store == "" {
		store = dir
	}
	if who == "" {
		who = defaultUser()
	}
	st, err := review.Open(ctx, store, review.Options{})
	if err != nil {
		return boxParts{}, err
	}
	readings, err := boxedit.OpenReadings(dir)
	if err != nil {
		st.Close()
		return boxParts{}, err
	}
	return boxParts{s: s, st: st, readings: readings, dir: dir, who: who}, nil
}

// boxOpenTimeout bounds the station's opening of the box editor (the store's connection).
const boxOpenTimeout = 15 * time.Second

// openBoxEditorAsync is the station's "Correct boxes…": the study, the store and the readings
// are opened off the UI goroutine within boxOpenTimeout, and the editor is built on it once
// they are in (the start screen answers meanwhile); a failure is shown in a dialog. What
// saves and closes the editor goes to o.live, for a signal that ends the window's loop.
func openBoxEditorAsync(w fyne.Window, o *Options, dir string, back func()) {
	background(func() {
		ctx, cancel := context.WithTimeout(context.Background(), boxOpenTimeout)
		defer cancel()
		p, err := openBoxParts(ctx, dir, "", "")
		postUI(func() {
			if err != nil {
				dialog.ShowError(err, w)
				return
			}
			leave, err := showBoxEditor(w, p, back)
			if leave != nil && o.live != nil {
				o.live.setBoxes(leave)
			}
			if err != nil {
				dialog.ShowError(err, w)
			}
		})
	})
}

// postUI runs f on the UI goroutine: fyne.Do; tests give a queue they run themselves (Fyne's
// test driver runs fyne.Do in line, on the calling goroutine).
var postUI = fyne.Do

// openBoxEditorLeave fills w with the box editor on the study in dir and the store (default
// STUDY/review.db), and returns what saves and closes it (once). back, when set, is where the
// editor's Back button leads; the store is closed when the editor is left or the window closes.
func openBoxEditorLeave(w fyne.Window, dir, who, store string, back func()) (func(), error) {
	p, err := openBoxParts(context.Background(), dir, who, store)
	if err != nil {
		return nil, err
	}
	return showBoxEditor(w, p, back)
}

// showBoxEditor builds the editor on p in w (on the UI goroutine).
func showBoxEditor(w fyne.Window, p boxParts, back func()) (func(), error) {
	s, st, dir, who := p.s, p.st, p.dir, p.who
	// The journal lies beside the study, one per user: two editors on one machine, or a
	// PostgreSQL store that is away, never lose an edit.
	cfg := ui.BoxEditorConfig{Study: s, Store: st, Who: who, Readings: p.readings, Journal: review.OpenJournal(review.JournalPath(dir, who)),
		Post: postUI}
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
	ed, err := ui.NewBoxEditor(cfg, w)
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
