package review

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"sightline/reader/review/pgtest"
)

// fillAll writes one row of every history kind.
func fillAll(t *testing.T, st Store) {
	t.Helper()
	ctx := context.Background()
	if _, err := st.AddVerdict(ctx, Verdict{Session: "s", Case: "c", Decision: Pass, Reviewer: "ann", Note: "ok"}); err != nil {
		t.Fatal(err)
	}
	k := BoxKey{"img", "trachea"}
	if _, err := st.EditBoxes(ctx, []BoxEdit{{Key: k, After: Box{Status: Edited, X1: 1, X2: 2, Y1: 3, Y2: 4}, Who: "ann"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.MarkImage(ctx, ImageMark{DicomID: "img", Status: InProgress, Who: "ann"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddTranscriptEdit(ctx, TranscriptEdit{Session: "s", Case: "c", Before: "a", After: "b", Who: "ann"}); err != nil {
		t.Fatal(err)
	}
}

// TestHistoryRefusesRewrites: every statement that rewrites or removes a history row is
// refused by the store itself, on every history table.
func TestHistoryRefusesRewrites(t *testing.T) {
	backends(t, func(t *testing.T, loc string) {
		st := openT(t, loc)
		fillAll(t, st)
		pg := st.(*sqlStore).d.name == "postgres"
		for _, tb := range histTables {
			cols := strings.Join(tb.cols, ", ")
			stmts := []string{
				`UPDATE ` + tb.name + ` SET at = 'x'`,
				`DELETE FROM ` + tb.name,
				`DELETE FROM ` + tb.name + ` WHERE id = 1`,
			}
			if pg {
				stmts = append(stmts, `TRUNCATE `+tb.name, `TRUNCATE `+tb.name+` CASCADE`,
					`INSERT INTO `+tb.name+` (id, `+cols+`) OVERRIDING SYSTEM VALUE SELECT id, `+cols+` FROM `+tb.name+
						` WHERE id = 1 ON CONFLICT (id) DO UPDATE SET at = 'x'`)
			} else {
				stmts = append(stmts,
					`REPLACE INTO `+tb.name+` (id, `+cols+`) SELECT id, `+cols+` FROM `+tb.name+` WHERE id = 1`,
					`INSERT OR REPLACE INTO `+tb.name+` (id, `+cols+`) SELECT id, `+cols+` FROM `+tb.name+` WHERE id = 1`,
					`INSERT INTO `+tb.name+` (id, `+cols+`) SELECT id, `+cols+` FROM `+tb.name+` WHERE id = 1 ON CONFLICT (id) DO UPDATE SET at = 'x'`)
			}
			for _, q := range stmts {
				if err := rawExec(t, st, q); err == nil || !strings.Contains(err.Error(), "append-only") {
					t.Errorf("%s: err %v, want the append-only refusal", q, err)
				}
			}
		}
		if !pg {
			if err := rawExec(t, st, `REPLACE INTO schema_version (rowid, version, name, at) VALUES (1, 1, 'x', 'x')`); err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("REPLACE on schema_version: err %v", err)
			}
		}
		rep, err := VerifyChain(context.Background(), st)
		if err != nil || !rep.OK() || rep.Rows != 4 || rep.Chained != 4 {
			t.Errorf("after the refused statements: %+v, %v; want 4 rows, chained, unbroken", rep, err)
		}
	})
}

// TestChainNamesTheFirstBrokenRow: a row changed around the triggers (dropped by whoever owns
// the file or the database) breaks the chain at the next row, and verification names it.
func TestChainNamesTheFirstBrokenRow(t *testing.T) {
	backends(t, func(t *testing.T, loc string) {
		ctx := context.Background()
		st := openT(t, loc)
		for i := range 5 {
			if _, err := st.AddVerdict(ctx, Verdict{Session: "s", Case: fmt.Sprint(i), Decision: Pass, Reviewer: "ann"}); err != nil {
				t.Fatal(err)
			}
		}
		if rep, err := VerifyChain(ctx, st); err != nil || !rep.OK() {
			t.Fatalf("untouched store: %+v, %v", rep, err)
		}
		drop := `DROP TRIGGER verdicts_no_update`
		if st.(*sqlStore).d.name == "postgres" {
			drop = `DROP TRIGGER verdicts_append_only ON verdicts`
		}
		if err := rawExec(t, st, drop); err != nil {
			t.Fatal(err)
		}
		if err := rawExec(t, st, `UPDATE verdicts SET reviewer = 'mallory' WHERE id = 2`); err != nil {
			t.Fatal(err)
		}
		rep, err := VerifyChain(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		if rep.OK() || len(rep.Breaks) != 1 || rep.Breaks[0].Table != "verdicts" || rep.Breaks[0].Row != 3 {
			t.Errorf("row 2 rewritten: %+v, want the break named at verdicts row 3", rep)
		}
	})
}

// TestChainCoversRowsFromBeforeIt: a store written before the chain gets it on migration; the
// first chained row covers the older ones, so changing one of them is found.
func TestChainCoversRowsFromBeforeIt(t *testing.T) {
	backends(t, func(t *testing.T, loc string) {
		ctx := context.Background()
		old, err := open(ctx, loc, Options{}, migrations[:2])
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			if _, err := old.AddVerdict(ctx, Verdict{Session: "s", Case: fmt.Sprint(i), Decision: Pass, Reviewer: "ann"}); err != nil {
				t.Fatal(err)
			}
		}
		if rep, _ := VerifyChain(ctx, old); !rep.Unchained || rep.OK() {
			t.Errorf("a version 2 store verifies as %+v, want Unchained", rep)
		}
		old.Close()
		st := openT(t, loc)
		if _, err := st.AddVerdict(ctx, Verdict{Session: "s", Case: "new", Decision: Fail, Reviewer: "bob"}); err != nil {
			t.Fatal(err)
		}
		rep, err := VerifyChain(ctx, st)
		if err != nil || !rep.OK() || rep.Rows != 4 || rep.Chained != 1 {
			t.Fatalf("migrated store: %+v, %v; want 4 rows, 1 chained, unbroken", rep, err)
		}
		drop := `DROP TRIGGER verdicts_no_update`
		if st.(*sqlStore).d.name == "postgres" {
			drop = `DROP TRIGGER verdicts_append_only ON verdicts`
		}
		if err := rawExec(t, st, drop); err != nil {
			t.Fatal(err)
		}
		if err := rawExec(t, st, `UPDATE verdicts SET decision = 'fail' WHERE id = 1`); err != nil {
			t.Fatal(err)
		}
		rep, _ = VerifyChain(ctx, st)
		if len(rep.Breaks) != 1 || rep.Breaks[0].Row != 4 {
			t.Errorf("an old row changed: %+v, want the break at row 4, the first chained row", rep)
		}
	})
}

// TestPostgresEditingRole: the README's role layout. The owner migrates; the team's role has
// SELECT and INSERT only, and with it the editor and the batch commands work while nothing
// can be rewritten, not even by dropping a trigger.
func TestPostgresEditingRole(t *testing.T) {
	ctx := context.Background()
	url := pgtestDatabase(t)
	owner := openT(t, url) // creates the tables
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, q := range []string{
		`DROP ROLE IF EXISTS team_edit`,
		`CREATE ROLE team_edit LOGIN`,
		`GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO team_edit`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	t.Cleanup(func() {
		owner.Close()
		conn.Exec(ctx, `DROP OWNED BY team_edit`)
		conn.Exec(ctx, `DROP ROLE team_edit`)
	})
	teamURL := strings.Replace(url, "postgres://postgres@", "postgres://team_edit@", 1)
	team := openT(t, teamURL)
	fillAll(t, team)
	rep, err := VerifyChain(ctx, team)
	if err != nil || !rep.OK() || rep.Chained != 4 {
		t.Errorf("written by the team's role: %+v, %v", rep, err)
	}
	for _, q := range []string{`DROP TRIGGER verdicts_append_only ON verdicts`, `TRUNCATE box_edits`, `UPDATE verdicts SET note = 'x'`, `ALTER TABLE verdicts DISABLE TRIGGER ALL`} {
		if err := rawExec(t, team, q); err == nil {
			t.Errorf("%s as the editing role: accepted", q)
		}
	}
}

func pgtestDatabase(t *testing.T) string { return pgtest.Database(t) }

// TestBulkEditsSeeTheCurrentBoxes: a batch big enough to read every box at once still stores
// an edit based on an old revision as a conflict, and a current one as an edit.
func TestBulkEditsSeeTheCurrentBoxes(t *testing.T) {
	backends(t, func(t *testing.T, loc string) {
		ctx := context.Background()
		st := openT(t, loc)
		box := func(x float64) Box { return Box{Status: Edited, X1: x, X2: x + 10, Y1: 1, Y2: 2} }
		first, err := st.EditBoxes(ctx, []BoxEdit{{Key: BoxKey{"img", "trachea"}, After: box(1), Who: "ann"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.EditBoxes(ctx, []BoxEdit{{Key: BoxKey{"img", "trachea"}, Base: first[0].Rev, After: box(2), Who: "bob"}}); err != nil {
			t.Fatal(err)
		}
		var batch []BoxEdit
		for i := range bulkEdits + 10 {
			batch = append(batch, BoxEdit{Key: BoxKey{fmt.Sprint("b", i), "trachea"}, After: box(float64(i)), Who: "model"})
		}
		batch = append(batch, BoxEdit{Key: BoxKey{"img", "trachea"}, Base: first[0].Rev, After: box(3), Who: "model"})
		rows, err := st.EditBoxes(ctx, batch)
		if err != nil {
			t.Fatal(err)
		}
		if k := rows[len(rows)-1].Kind; k != KindConflict {
			t.Errorf("an edit based on an overruled revision, in a bulk batch: %s, want conflict", k)
		}
		if k := rows[0].Kind; k != KindEdit {
			t.Errorf("a new box in a bulk batch: %s", k)
		}
	})
}
