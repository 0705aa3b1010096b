package review

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestJournalReplay: edits kept in the journal while the store was away are stored by a
// replay, once: a torn last line is left out, several entries of one box give its latest, and
// an edit the store already has (a crash after the commit) is not stored again.
func TestJournalReplay(t *testing.T) {
	backends(t, func(t *testing.T, loc string) {
		ctx := context.Background()
		st := openT(t, loc)
		j := OpenJournal(JournalPath(t.TempDir(), "ann b/../x"))
		if filepath.Base(j.Path()) != ".review-journal-ann_b_.._x.jsonl" {
			t.Errorf("journal file %s", j.Path())
		}
		k1, k2 := BoxKey{"img", "trachea"}, BoxKey{"img", "left lung"}
		orig := Box{Status: Original, X1: 10, X2: 20, Y1: 30, Y2: 40}
		e1 := BoxEdit{Key: k1, Before: orig, After: Box{Status: Edited, X1: 11, X2: 20, Y1: 30, Y2: 40}, Who: "ann"}
		e1b := e1
		e1b.After.X1 = 12
		e2 := BoxEdit{Key: k2, Before: orig, After: Box{Status: Absent}, Who: "ann"}
		if err := j.Add([]BoxEdit{e1, e2}); err != nil {
			t.Fatal(err)
		}
		if err := j.Add([]BoxEdit{e1b}); err != nil {
			t.Fatal(err)
		}
		f, _ := os.OpenFile(j.Path(), os.O_APPEND|os.O_WRONLY, 0)
		f.WriteString(`{"Key":{"DicomID":"img","Zo`) // a crash mid-line
		f.Close()
		p, err := j.Pending()
		if err != nil || len(p) != 3 {
			t.Fatalf("pending %d, %v; want 3 whole entries", len(p), err)
		}
		// e2 reached the store before the crash.
		if _, err := st.EditBoxes(ctx, []BoxEdit{e2}); err != nil {
			t.Fatal(err)
		}
		rows, err := j.Replay(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].Key != k1 || rows[0].After.X1 != 12 || rows[0].Kind != KindEdit {
			t.Errorf("replayed %+v, want the trachea's latest (x1 12) only", rows)
		}
		log, _ := st.BoxLog(ctx, "")
		if len(log) != 2 {
			t.Errorf("%d rows in the store, want 2", len(log))
		}
		if _, err := os.Stat(j.Path()); !os.IsNotExist(err) {
			t.Errorf("journal left after a replay: %v", err)
		}
		if rows, err := j.Replay(ctx, st); err != nil || len(rows) != 0 {
			t.Errorf("second replay: %v %v", rows, err)
		}
	})
}
