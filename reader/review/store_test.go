package review

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"sightline/reader/review/pgtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.StopShared()
	os.Exit(code)
}

// backends runs f once per backend, each on a new empty store location.
func backends(t *testing.T, f func(t *testing.T, loc string)) {
	t.Run("sqlite", func(t *testing.T) { f(t, studyDir(t)) })
	t.Run("postgres", func(t *testing.T) { f(t, pgtest.Database(t)) })
}

// studyDir is an empty study folder (a master_sheet.csv, no cases): a store may be made there.
func studyDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "master_sheet.csv"), []byte("dicom_id,path\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func openT(t testing.TB, loc string) Store {
	t.Helper()
	st, err := Open(context.Background(), loc, Options{PollEvery: 20 * time.Millisecond})
	if err != nil {
		t.Fatalf("Open(%s): %v", loc, err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func rawExec(t *testing.T, st Store, q string, args ...any) error {
	t.Helper()
	_, err := st.(*sqlStore).db.ExecContext(context.Background(), q, args...)
	return err
}

func TestOpenPicksBackend(t *testing.T) {
	dir := studyDir(t)
	st := openT(t, dir)
	if want := filepath.Join(dir, FileName); st.Location() != want {
		t.Errorf("a study folder opens %s, want %s", st.Location(), want)
	}
	if _, err := os.Stat(filepath.Join(dir, FileName)); err != nil {
		t.Errorf("no review.db in the study folder: %v", err)
	}
	if st.(*sqlStore).d.name != "sqlite" {
		t.Errorf("folder opened with %s", st.(*sqlStore).d.name)
	}
	// A URL is never taken for a file, even one that cannot be reached.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := Open(ctx, "postgres://nobody:secret@127.0.0.1:1/none?sslmode=disable&connect_timeout=2", Options{})
	if err == nil || !strings.Contains(err.Error(), "postgres://nobody:xxxxx@127.0.0.1:1/") || strings.Contains(err.Error(), "secret") {
		t.Errorf("unreachable PostgreSQL: err %v, want the URL named without its password", err)
	}
	if _, err := os.Stat(filepath.Join(".", "postgres:")); err == nil {
		t.Error("a postgres URL created a file")
	}
}

func TestVerdictsAppendOnly(t *testing.T) {
	backends(t, func(t *testing.T, loc string) {
		ctx := context.Background()
		st := openT(t, loc)
		v := Verdict{Session: "s1", Case: "01-abc", Checklist: Checklist{FilesWhole: true, AudioOK: true}, Decision: Pass, Reviewer: "ann"}
		first, err := st.AddVerdict(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		v.Decision, v.Note, v.Checklist.GazeValid = ReRead, "gaze lost at 12 s", true
		second, err := st.AddVerdict(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		if second.ID <= first.ID || first.At.IsZero() {
			t.Errorf("ids %d then %d, at %v", first.ID, second.ID, first.At)
		}
		rows, err := st.Verdicts(ctx, "s1")
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || rows[0].Decision != Pass || rows[1].Decision != ReRead || rows[1].Note != "gaze lost at 12 s" || !rows[1].Checklist.GazeValid || rows[0].Checklist.GazeValid {
			t.Errorf("rows %+v: want both verdicts, in order, as written", rows)
		}
		cur := LatestVerdicts(rows)[CaseKey{"s1", "01-abc"}]
		if cur.ID != second.ID {
			t.Errorf("current verdict %d, want the latest %d", cur.ID, second.ID)
		}
		if other, _ := st.Verdicts(ctx, "s2"); len(other) != 0 {
			t.Errorf("session s2 has %d verdicts", len(other))
		}
		// The store itself refuses changes in place.
		for _, q := range []string{`UPDATE verdicts SET decision = 'fail'`, `DELETE FROM verdicts`, `DELETE FROM schema_version`} {
			if err := rawExec(t, st, q); err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: err %v, want append-only refusal", q, err)
			}
		}
		if _, err := st.AddVerdict(ctx, Verdict{Session: "s1", Case: "x", Decision: "maybe", Reviewer: "ann"}); err == nil {
			t.Error("decision maybe accepted")
		}
	})
}

func TestBoxEditsAndConflicts(t *testing.T) {
	backends(t, func(t *testing.T, loc string) {
		ctx := context.Background()
		a, b := openT(t, loc), openT(t, loc) // two editors on one store
		k := BoxKey{"img1", "trachea"}
		orig := Box{Status: Original, X1: 10, X2: 20, Y1: 30, Y2: 40}
		e1, err := a.EditBoxes(ctx, []BoxEdit{{Key: k, Before: orig, After: Box{Status: Edited, X1: 11, X2: 20, Y1: 30, Y2: 40}, Who: "ann"}})
		if err != nil {
			t.Fatal(err)
		}
		if e1[0].Kind != KindEdit || e1[0].Before != orig {
			t.Fatalf("first edit %+v", e1[0])
		}
		// Both saw revision e1; both save.
		base := e1[0].Rev
		ea, err := a.EditBoxes(ctx, []BoxEdit{{Key: k, Base: base, After: Box{Status: Edited, X1: 12, X2: 20, Y1: 30, Y2: 40}, Who: "ann"}})
		if err != nil {
			t.Fatal(err)
		}
		eb, err := b.EditBoxes(ctx, []BoxEdit{{Key: k, Base: base, After: Box{Status: Edited, X1: 9, X2: 20, Y1: 30, Y2: 41}, Who: "bob"}})
		if err != nil {
			t.Fatal(err)
		}
		if ea[0].Kind != KindEdit || eb[0].Kind != KindConflict {
			t.Fatalf("kinds %s, %s: want the second save stored as a conflict", ea[0].Kind, eb[0].Kind)
		}
		if eb[0].Before.X1 != 11 {
			t.Errorf("conflict's before %+v, want the state it was based on (x1 11)", eb[0].Before)
		}
		log, err := b.BoxLog(ctx, "img1")
		if err != nil {
			t.Fatal(err)
		}
		if cur := CurrentBoxes(log)[k]; cur.Rev != ea[0].Rev {
			t.Errorf("current box is revision %d, want %d (a conflict waits for adjudication)", cur.Rev, ea[0].Rev)
		}
		cs := Conflicts(log)
		if len(cs) != 1 || cs[0].Current.Rev != ea[0].Rev || len(cs[0].Rivals) != 1 || cs[0].Rivals[0].Rev != eb[0].Rev {
			t.Fatalf("conflicts %+v: want bob's edit against ann's", cs)
		}
		// A base from another box is refused, not silently taken.
		if _, err := a.EditBoxes(ctx, []BoxEdit{{Key: BoxKey{"img1", "left lung"}, Base: base, After: orig, Who: "ann"}}); err == nil {
			t.Error("an edit based on another box's revision was accepted")
		}
		// Picking a revision that is neither is refused; a pick on a stale view is refused.
		if _, err := a.Adjudicate(ctx, cs[0], e1[0].Rev, "cat"); err == nil {
			t.Error("adjudication picked a superseded revision")
		}
		if _, err := a.EditBoxes(ctx, []BoxEdit{{Key: k, Base: base, After: orig, Who: "dan"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Adjudicate(ctx, cs[0], eb[0].Rev, "cat"); !errors.Is(err, ErrStale) {
			t.Errorf("adjudicating what changed since: err %v, want ErrStale", err)
		}
		log, _ = b.BoxLog(ctx, "")
		cs = Conflicts(log)
		if len(cs) != 1 || len(cs[0].Rivals) != 2 {
			t.Fatalf("conflicts %+v: want two rivals", cs)
		}
		adj, err := b.Adjudicate(ctx, cs[0], eb[0].Rev, "cat")
		if err != nil {
			t.Fatal(err)
		}
		if adj.Kind != KindAdjudication || adj.After != eb[0].After || adj.Before != ea[0].After || adj.Resolves != cs[0].Rivals[1].Rev {
			t.Errorf("adjudication %+v", adj)
		}
		log, _ = a.BoxLog(ctx, "")
		if cur := CurrentBoxes(log)[k]; cur.After != eb[0].After {
			t.Errorf("after adjudication the box is %+v, want bob's %+v", cur.After, eb[0].After)
		}
		if cs := Conflicts(log); len(cs) != 0 {
			t.Errorf("conflicts left after adjudication: %+v", cs)
		}
		if len(log) != 5 {
			t.Errorf("%d box rows, want 5: every save and the adjudication kept", len(log))
		}
	})
}

// TestConcurrentHandles: two handles writing at once, from several goroutines each, lose
// nothing; racing saves of one box are all kept, the losers as conflicts.
func TestConcurrentHandles(t *testing.T) {
	backends(t, func(t *testing.T, loc string) {
		ctx := context.Background()
		hs := []Store{openT(t, loc), openT(t, loc)}
		const perWorker, workers = 15, 4
		k := BoxKey{"img1", "cardiac silhouette"}
		var wg sync.WaitGroup
		errs := make(chan error, workers*perWorker*2)
		kinds := make(chan EditKind, workers*perWorker)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				st := hs[w%2]
				who := fmt.Sprintf("w%d", w)
				for i := range perWorker {
					if _, err := st.AddVerdict(ctx, Verdict{Session: "s", Case: fmt.Sprintf("%02d", i), Decision: Pass, Reviewer: who}); err != nil {
						errs <- err
					}
					// Everyone edits the same box, based on revision 0.
					e, err := st.EditBoxes(ctx, []BoxEdit{{Key: k, After: Box{Status: Edited, X1: float64(w), X2: 100, Y1: float64(i), Y2: 100}, Who: who}})
					if err != nil {
						errs <- err
						continue
					}
					kinds <- e[0].Kind
				}
			}()
		}
		wg.Wait()
		close(errs)
		close(kinds)
		for err := range errs {
			t.Error(err)
		}
		n := map[EditKind]int{}
		for k := range kinds {
			n[k]++
		}
		if n[KindEdit] != 1 || n[KindConflict] != workers*perWorker-1 {
			t.Errorf("kinds %v: want exactly one edit and every other save a conflict", n)
		}
		vs, err := hs[1].Verdicts(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(vs) != workers*perWorker {
			t.Errorf("%d verdicts stored, want %d", len(vs), workers*perWorker)
		}
		log, _ := hs[0].BoxLog(ctx, "")
		if len(log) != workers*perWorker {
			t.Errorf("%d box rows, want %d", len(log), workers*perWorker)
		}
		if cs := Conflicts(log); len(cs) != 1 || len(cs[0].Rivals) != workers*perWorker-1 {
			t.Errorf("conflicts %d, want one box with every losing save", len(cs))
		}
		for i := 1; i < len(log); i++ {
			if log[i].Rev <= log[i-1].Rev {
				t.Fatalf("revisions not increasing: %d then %d", log[i-1].Rev, log[i].Rev)
			}
		}
	})
}

func TestMigrations(t *testing.T) {
	backends(t, func(t *testing.T, loc string) {
		ctx := context.Background()
		old, err := open(ctx, loc, Options{}, migrations[:1])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := old.AddVerdict(ctx, Verdict{Session: "s", Case: "c", Decision: Fail, Reviewer: "ann"}); err != nil {
			t.Fatal(err)
		}
		if _, err := old.AddTranscriptEdit(ctx, TranscriptEdit{Session: "s", Case: "c", Who: "ann"}); err == nil {
			t.Error("a version 1 store has a transcript table")
		}
		old.Close()

		// A step that fails rolls back every step of the run.
		bad := append(append([]migration(nil), migrations...), migration{chainVersion + 1, "broken", func(d dialect) []string {
			return []string{`CREATE TABLE half_done (x INTEGER)`, `CREATE TABLE nonsense (`}
		}})
		if _, err := open(ctx, loc, Options{}, bad); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("version %d (broken)", chainVersion+1)) {
			t.Errorf("broken step: err %v, want it named", err)
		}
		st := openT(t, loc)
		var versions []int
		rows, err := st.(*sqlStore).db.QueryContext(ctx, `SELECT version FROM schema_version ORDER BY version`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var v int
			rows.Scan(&v)
			versions = append(versions, v)
		}
		rows.Close()
		if fmt.Sprint(versions) != "[1 2 3]" {
			t.Errorf("schema versions %v, want [1 2 3]: migrated forward, nothing of the failed run kept", versions)
		}
		if err := rawExec(t, st, `INSERT INTO half_done (x) VALUES (1)`); err == nil {
			t.Error("a table of the failed migration step exists")
		}
		if _, err := st.AddTranscriptEdit(ctx, TranscriptEdit{Session: "s", Case: "c", Before: "hart", After: "heart", Who: "ann"}); err != nil {
			t.Errorf("after migration: %v", err)
		}
		if vs, _ := st.Verdicts(ctx, ""); len(vs) != 1 || vs[0].Decision != Fail {
			t.Errorf("verdicts after migration %+v, want the one written at version 1", vs)
		}
		ts, _ := st.TranscriptEdits(ctx, "s")
		if len(ts) != 1 || ts[0].Before != "hart" || ts[0].After != "heart" {
			t.Errorf("transcript edits %+v", ts)
		}
	})
}

func TestNewerSchemaRefused(t *testing.T) {
	backends(t, func(t *testing.T, loc string) {
		st := openT(t, loc)
		if err := rawExec(t, st, `INSERT INTO schema_version (version, name, at) VALUES (7, 'from the future', '')`); err != nil {
			t.Fatal(err)
		}
		st.Close()
		_, err := Open(context.Background(), loc, Options{})
		if !errors.Is(err, ErrNewerSchema) {
			t.Fatalf("err %v, want ErrNewerSchema", err)
		}
		known := migrations[len(migrations)-1].version
		for _, want := range []string{"schema version 7", fmt.Sprintf("up to %d", known), "newer sightline"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("message %q lacks %q", err, want)
			}
		}
	})
}

// TestWatch: a handle's watch delivers what another handle writes, of every kind.
func TestWatch(t *testing.T) {
	backends(t, func(t *testing.T, loc string) {
		ctx := context.Background()
		a, b := openT(t, loc), openT(t, loc)
		// Written before the watch: not delivered.
		if _, err := b.AddVerdict(ctx, Verdict{Session: "s", Case: "old", Decision: Pass, Reviewer: "bob"}); err != nil {
			t.Fatal(err)
		}
		wctx, cancel := context.WithCancel(ctx)
		defer cancel()
		ch, err := a.Watch(wctx)
		if err != nil {
			t.Fatal(err)
		}
		v, _ := b.AddVerdict(ctx, Verdict{Session: "s", Case: "new", Decision: Fail, Reviewer: "bob"})
		e, err := b.EditBoxes(ctx, []BoxEdit{{Key: BoxKey{"img", "trachea"}, After: Box{Status: Absent}, Who: "bob"}})
		if err != nil {
			t.Fatal(err)
		}
		m, _ := b.MarkImage(ctx, ImageMark{DicomID: "img", Status: InProgress, Who: "bob"})
		tr, _ := b.AddTranscriptEdit(ctx, TranscriptEdit{Session: "s", Case: "new", After: "x", Who: "bob"})
		deadline := time.After(20 * time.Second)
		var got Change
		seen := 0
		for seen < 4 {
			select {
			case c, ok := <-ch:
				if !ok {
					t.Fatal("watch closed early")
				}
				switch {
				case c.Verdict != nil:
					if c.Verdict.ID != v.ID || c.Verdict.Case != "new" {
						t.Errorf("verdict %+v, want %+v", c.Verdict, v)
					}
				case c.Box != nil:
					if c.Box.Rev != e[0].Rev || c.Box.After.Status != Absent || c.Box.Who != "bob" {
						t.Errorf("box %+v", c.Box)
					}
				case c.Image != nil:
					if c.Image.ID != m.ID || c.Image.Status != InProgress {
						t.Errorf("image %+v", c.Image)
					}
				case c.Transcript != nil:
					if c.Transcript.ID != tr.ID {
						t.Errorf("transcript %+v", c.Transcript)
					}
				default:
					t.Errorf("empty change %+v", c)
				}
				got = c
				seen++
			case <-deadline:
				t.Fatalf("after 20 s the watch delivered %d of 4 changes (last %+v)", seen, got)
			}
		}
		cancel()
		for range ch { // closed once the context ends
		}
		// Closing the store ends a watch too.
		ch2, err := a.Watch(ctx)
		if err != nil {
			t.Fatal(err)
		}
		a.Close()
		select {
		case _, ok := <-ch2:
			for ok {
				_, ok = <-ch2
			}
		case <-time.After(20 * time.Second):
			t.Fatal("Close did not end the watch")
		}
	})
}

func TestImageStatus(t *testing.T) {
	backends(t, func(t *testing.T, loc string) {
		ctx := context.Background()
		st := openT(t, loc)
		for _, m := range []ImageMark{{DicomID: "a", Status: InProgress, Who: "ann"}, {DicomID: "b", Status: InProgress, Who: "bob"}, {DicomID: "a", Status: Done, Who: "ann"}} {
			if _, err := st.MarkImage(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := st.MarkImage(ctx, ImageMark{DicomID: "a", Status: "finished", Who: "ann"}); err == nil {
			t.Error("status finished accepted")
		}
		rows, err := st.ImageMarks(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := ImageStatuses(rows)
		if len(rows) != 3 || got["a"] != Done || got["b"] != InProgress || rows[2].Who != "ann" || rows[2].At.IsZero() {
			t.Errorf("rows %+v, statuses %v", rows, got)
		}
		if _, ok := got["c"]; ok {
			t.Error("an image never marked has a status")
		}
	})
}
