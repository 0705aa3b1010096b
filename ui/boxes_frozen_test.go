package ui

import (
	"context"
	"strings"
	"testing"

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
	r.waitFor("the status to say what it waits for", func() bool {
		return strings.Contains(r.ed.status.Text, "waiting for the review store")
	})
	if err := thaw(); err != nil {
		t.Fatal(err)
	}
	frozen = false
	want := y1 - 5
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
