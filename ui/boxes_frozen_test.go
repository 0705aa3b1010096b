package ui

import (
	"context"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"sightline/reader/boxedit"
	"sightline/reader/review"
	"sightline/reader/review/pgtest"
)

// TestBoxEditorAnswersKeysWhilePostgresIsFrozen: the team's PostgreSQL stops dead mid-save
// (SIGSTOP on the server and every backend: connections stay open, nothing answers). The save
// waits off the UI goroutine; meanwhile every key is handled at once (a nudge moves the box
// while the save is pending) and the status line says what the editor waits for. Once the
// server resumes, the edits are stored.
func TestBoxEditorAnswersKeysWhilePostgresIsFrozen(t *testing.T) {
	ctx := context.Background()
	srv := pgtest.Own(t)
	url, err := srv.NewDatabase(ctx, "frozen")
	if err != nil {
		t.Fatal(err)
	}
	pg, err := review.Open(ctx, url, review.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	r := newBoxRig(t, 1, func(c *BoxEditorConfig) { c.Store = pg })
	r.w.Canvas().Focus(r.ed.cv)
	r.ed.Editor().Select(boxedit.ZoneIndex("left lung"))
	r.key(fyne.KeyUp)

	thaw, err := srv.Freeze()
	if err != nil {
		t.Fatal(err)
	}
	frozenAt := time.Now()
	frozen := true
	defer func() {
		if frozen {
			thaw()
		}
	}()
	saveKey(r)
	if !r.ed.Busy() {
		t.Fatal("the save did not go off the UI goroutine")
	}
	y1 := r.zone("left lung").Y1
	for i := 1; i <= 5; i++ { // keys, each handled when pressed, while the server is frozen
		r.key(fyne.KeyUp)
		if got := r.zone("left lung").Y1; got != y1-float64(i) || !r.ed.Busy() {
			t.Fatalf("key %d while the server is frozen: y1 %v → %v, save pending %v", i, y1, got, r.ed.Busy())
		}
	}
	// The figure: the server frozen for 30 s (past the store's 15 s deadline), keys
	// answered throughout.
	keys, slowest := keysWhileHeld(r, "left lung", frozenAt, 30*time.Second)
	t.Logf("PostgreSQL frozen 30 s: %d keys, each handled at once (slowest %s)", keys, slowest)
	want := r.zone("left lung").Y1
	if err := thaw(); err != nil {
		t.Fatal(err)
	}
	frozen = false
	r.waitFor("every nudge stored once the server resumes", func() bool {
		if r.ed.Busy() {
			return false
		}
		if r.ed.Editor().HasChanges() {
			saveKey(r)
			return false
		}
		log, err := pg.BoxLog(ctx, "")
		return err == nil && len(log) > 0 && log[len(log)-1].After.Y1 == want
	})
}
