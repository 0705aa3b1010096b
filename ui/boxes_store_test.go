package ui

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"

	"sightline/reader/boxedit"
	"sightline/reader/review"
)

// flakyStore is a review store whose server can be taken away.
type flakyStore struct {
	review.Store
	down atomic.Bool
}

var errAway = errors.New("connection refused (the test took the server away)")

func (f *flakyStore) EditBoxes(ctx context.Context, e []review.BoxEdit) ([]review.BoxEdit, error) {
	if f.down.Load() {
		return nil, errAway
	}
	return f.Store.EditBoxes(ctx, e)
}

func (f *flakyStore) BoxLog(ctx context.Context, id string) ([]review.BoxEdit, error) {
	if f.down.Load() {
		return nil, errAway
	}
	return f.Store.BoxLog(ctx, id)
}

func saveKey(r *boxRig) {
	r.shortcut(&desktop.CustomShortcut{KeyName: fyne.KeyS, Modifier: fyne.KeyModifierControl})
}

// keysWhileHeld presses Up and Down in turn on zone, four times a second, until the store has
// been held for hold (since heldAt), pumping the editor's posted work meanwhile as the UI
// goroutine would. Every key must move the box at once, whatever the store is doing; the status
// must have said what the editor waits for, and still say it (or that edits wait to be retried)
// at the end. It returns the number of keys and the slowest key's handling time, for the log.
func keysWhileHeld(r *boxRig, zone string, heldAt time.Time, hold time.Duration) (keys int, slowest time.Duration) {
	r.t.Helper()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	said := false
	up := true
	for time.Since(heldAt) < hold {
		select {
		case f := <-r.pump:
			f()
		case <-tick.C:
			before := r.zone(zone).Y1
			k, want := fyne.KeyUp, before-1
			if !up {
				k, want = fyne.KeyDown, before+1
			}
			start := time.Now()
			r.key(k)
			took := time.Since(start)
			if got := r.zone(zone).Y1; got != want {
				r.t.Fatalf("key %d, %.0f s into the hold: y1 %v → %v, want %v", keys+1, time.Since(heldAt).Seconds(), before, got, want)
			}
			slowest = max(slowest, took)
			keys++
			up = !up
		}
		said = said || strings.Contains(r.ed.status.Text, "waiting for the review store")
	}
	if st := r.ed.status.Text; !said || !(strings.Contains(st, "waiting for the review store") || strings.Contains(st, "retrying")) {
		r.t.Fatalf("after %s held the status says %q (said what it waits for: %v)", hold, st, said)
	}
	return keys, slowest
}

// TestBoxEditorAnswersKeysWhileTheStoreIsLocked: another program holds SQLite's exclusive
// lock; a save waits for it off the UI goroutine, and meanwhile the editor handles keys (a
// nudge moves the box while the save is pending) and the status line says what it waits for.
// When the lock goes the save completes by itself.
func TestBoxEditorAnswersKeysWhileTheStoreIsLocked(t *testing.T) {
	r := newBoxRig(t, 1)
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(r.dir, review.FileName)+"?_pragma=busy_timeout(1000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `BEGIN EXCLUSIVE`); err != nil {
		t.Fatal(err)
	}
	lockedAt := time.Now()
	locked := true
	defer func() {
		if locked {
			conn.ExecContext(ctx, `ROLLBACK`)
		}
	}()
	r.w.Canvas().Focus(r.ed.cv)
	lung := boxedit.ZoneIndex("left lung")
	r.ed.Editor().Select(lung)
	r.key(fyne.KeyUp)
	saveKey(r)
	if !r.ed.Busy() {
		t.Fatal("the save did not go off the UI goroutine")
	}
	y1 := r.zone("left lung").Y1
	r.key(fyne.KeyUp) // handled now, while the save waits on the lock
	if got := r.zone("left lung").Y1; got != y1-1 || !r.ed.Busy() {
		t.Fatalf("a key while the store is locked: y1 %v → %v, save pending %v; want the nudge handled while the save waits", y1, got, r.ed.Busy())
	}
	// The figure: the lock held for 60 s (past the store's 15 s deadline, so the edits go
	// to the journal and are retried), keys answered throughout.
	keys, slowest := keysWhileHeld(r, "left lung", lockedAt, 60*time.Second)
	t.Logf("SQLite locked 60 s: %d keys, each handled at once (slowest %s)", keys, slowest)
	want := r.zone("left lung").Y1 // where the nudges before and during the hold leave it
	if _, err := conn.ExecContext(ctx, `ROLLBACK`); err != nil {
		t.Fatal(err)
	}
	locked = false
	r.waitFor("every nudge stored", func() bool {
		if r.ed.Busy() {
			return false
		}
		if r.ed.Editor().HasChanges() {
			saveKey(r)
			return false
		}
		rows := r.rows()
		return len(rows) > 0 && rows[len(rows)-1].After.Y1 == want
	})
}

// TestBoxEditorKeepsEditsWhileTheStoreIsAway: with the store away a save goes to the journal,
// the status line says "1 unsaved, retrying", and when the store comes back the edit is saved
// by itself and the journal removed. Closing while it is away keeps the edit in the journal
// and says so; the next editor on the study saves it when it opens.
func TestBoxEditorKeepsEditsWhileTheStoreIsAway(t *testing.T) {
	var flaky *flakyStore
	var journal *review.Journal
	r := newBoxRig(t, 1, func(c *BoxEditorConfig) {
		flaky = &flakyStore{Store: c.Store}
		c.Store = flaky
		journal = review.OpenJournal(review.JournalPath(c.Study.Dir, c.Who))
		c.Journal = journal
		c.RetryEvery = 20 * 1e6
	})
	flaky.down.Store(true)
	r.w.Canvas().Focus(r.ed.cv)
	r.ed.Editor().Select(boxedit.ZoneIndex("trachea"))
	r.key(fyne.KeyRight)
	saveKey(r)
	r.waitFor("the failed save", func() bool { return strings.Contains(r.ed.status.Text, "1 unsaved, retrying") })
	if p, _ := journal.Pending(); len(p) != 1 || p[0].Key.Zone != "trachea" {
		t.Fatalf("journal holds %+v, want the trachea edit", p)
	}
	flaky.down.Store(false)
	r.waitFor("the retry", func() bool { return len(r.rows()) == 1 && strings.Contains(r.ed.status.Text, "saved") })
	if _, err := os.Stat(journal.Path()); !os.IsNotExist(err) {
		t.Errorf("journal left after the retry saved it: %v", err)
	}

	// Away again: a nudge, and the editor closes (the window, SIGTERM).
	flaky.down.Store(true)
	r.key(fyne.KeyRight)
	r.settle()
	err := r.ed.Close()
	if err == nil || !strings.Contains(err.Error(), journal.Path()) {
		t.Fatalf("closing with the store away: %v, want the journal named", err)
	}
	if p, _ := journal.Pending(); len(p) == 0 {
		t.Fatal("the unsaved edit is not in the journal")
	}
	// The next start (the process was killed, or the server came back later) replays it.
	flaky.down.Store(false)
	r2 := openBoxRig(t, r.dir, r.cases, "ann", 1, func(c *BoxEditorConfig) {
		c.Journal = review.OpenJournal(journal.Path())
	})
	r2.waitFor("the journal replayed", func() bool { return len(r2.rows()) == 2 && !r2.ed.Busy() })
	if got := r2.rows()[1].After.X1; got != r.rows()[0].After.X1+1 {
		t.Errorf("replayed x1 %v, want one more than the first save's", got)
	}
	if _, err := os.Stat(journal.Path()); !os.IsNotExist(err) {
		t.Errorf("journal left after the replay: %v", err)
	}
}

// TestBoxEditorSmallThings: issue 17's item 7, each checked. Window/level starts afresh on
// each image; Page Down opens the next image; Enter on a confirmed image with nothing changed
// goes on to the next; editing a confirmed image puts it back in progress; a filter that hides
// the image on show leaves no row highlighted.
func TestBoxEditorSmallThings(t *testing.T) {
	r := newBoxRig(t, 1)
	ids := r.ed.images
	r.w.Canvas().Focus(r.ed.cv)
	r.ed.stage.SetWindow(60, 100)
	r.key(fyne.KeyPageDown)
	if r.ed.cur != ids[1] {
		t.Fatalf("Page Down opened %s, want %s", r.ed.cur, ids[1])
	}
	if c, w := r.ed.stage.Window(); c != 127.5 || w != 255 {
		t.Errorf("window/level %v/%v carried over to the next image", w, c)
	}
	r.key(fyne.KeyPageUp)
	r.key(fyne.KeyReturn) // confirm the first image
	r.settle()
	if r.ed.imageStatus(ids[0]) != review.Done || r.ed.cur != ids[0] {
		t.Fatalf("after Enter: %s on show, status %s", r.ed.cur, r.ed.imageStatus(ids[0]))
	}
	r.key(fyne.KeyReturn) // confirmed, nothing changed: on to the next
	r.settle()
	if r.ed.cur != ids[1] {
		t.Fatalf("Enter on a confirmed image stayed on %s", r.ed.cur)
	}
	r.key(fyne.KeyPageUp)
	r.w.Canvas().Focus(r.ed.cv)
	r.ed.Editor().Select(boxedit.ZoneIndex("trachea"))
	r.key(fyne.KeyDown)
	saveKey(r)
	r.settle()
	if st := r.ed.imageStatus(ids[0]); st != review.InProgress {
		t.Errorf("an edit of a confirmed image left it %q", st)
	}
	marks, _ := r.store.ImageMarks(context.Background())
	if st := review.ImageStatuses(marks)[ids[0]]; st != review.InProgress {
		t.Errorf("the store says %q after editing a confirmed image", st)
	}
	// A filter that hides the image on show: no stale highlight.
	r.ed.editedBy.SetSelected("edited by anyone")
	r.ed.missing.SetChecked(true) // every test image lacks zones: all listed
	unselected := -1
	r.ed.imageList.OnUnselected = func(id int) { unselected = id }
	r.ed.conflicted.SetChecked(true)
	if len(r.ed.images) != 0 {
		t.Fatalf("conflicts filter lists %v", r.ed.images)
	}
	if unselected < 0 {
		t.Error("the hidden image's row stayed highlighted")
	}
	r.ed.conflicted.SetChecked(false)
	if i := slices.Index(r.ed.images, r.ed.cur); i < 0 {
		t.Fatal("the image on show is not listed")
	}
}

// gatedStore is a review store whose reads wait until the test lets them through, or fail
// while it is away.
type gatedStore struct {
	review.Store
	gate chan struct{}
	away atomic.Bool
}

func (g *gatedStore) BoxLog(ctx context.Context, id string) ([]review.BoxEdit, error) {
	select {
	case <-g.gate:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if g.away.Load() {
		return nil, errAway
	}
	return g.Store.BoxLog(ctx, id)
}

// TestBoxEditorOpensWithoutWaitingForTheStore: the editor's window is built at once while the
// store's rows are read off the UI goroutine; the status says it reads the store and, after a
// second, what it waits for; the image asked for opens once the rows are in. A store that
// cannot be read is said so and tried again until it can.
func TestBoxEditorOpensWithoutWaitingForTheStore(t *testing.T) {
	dir, cases := boxStudy(t)
	var g *gatedStore
	r := startBoxRig(t, dir, cases, "ann", 1, func(c *BoxEditorConfig) {
		g = &gatedStore{Store: c.Store, gate: make(chan struct{})}
		c.Store = g
		c.RetryEvery = 20 * time.Millisecond
	})
	if r.ed.Editor() != nil || !r.ed.Busy() || !strings.Contains(r.ed.status.Text, "reading the review store") {
		t.Fatalf("editor %v, busy %v, status %q: want the window up, the store being read", r.ed.Editor(), r.ed.Busy(), r.ed.status.Text)
	}
	r.waitFor("the status to say what it waits for", func() bool {
		return strings.Contains(r.ed.status.Text, "waiting for the review store")
	})
	r.w.Canvas().Focus(r.ed.cv)
	r.key(fyne.KeyPageDown) // answered: no image yet, nothing to do
	if r.ed.Editor() != nil {
		t.Fatal("an image opened before the store's rows were in")
	}
	g.away.Store(true)
	close(g.gate) // the read in flight fails (away); the next ones too, until it is back
	r.waitFor("the failure said", func() bool { return strings.Contains(r.ed.message.Text, "cannot read the review store yet") })
	g.away.Store(false)
	r.waitFor("the image open once the rows are in", func() bool { return r.ed.Editor() != nil && r.ed.cur == cases[0].DicomID })
}
