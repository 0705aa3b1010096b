package prepare

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"sightline/reader/session"
	"sightline/reader/study"
)

func caseNames(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("case%03d", i)
	}
	return out
}

func TestNewPlanSessions(t *testing.T) {
	cases := []struct {
		name                    string
		cases, size, calibEvery int
		sessions                []int // cases per session
	}{
		{"defaults, 29 fit one session", 29, 30, 20, []int{29}},
		{"defaults, 30 need two", 30, 30, 20, []int{15, 15}},
		{"defaults, 100 cases", 100, 30, 20, []int{25, 25, 25, 25}},
		{"one case", 1, 30, 20, []int{1}},
		{"no calibration", 61, 30, 0, []int{20, 20, 21}},
		{"calibration before every case", 9, 4, 1, []int{1, 2, 2, 2, 2}},
		{"size 2, calibration every 20", 5, 2, 20, []int{1, 1, 1, 1, 1}},
		{"small sessions, frequent calibration", 40, 8, 4, []int{5, 6, 6, 5, 6, 6, 6}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewPlan("r1", caseNames(tc.cases), 11, tc.size, tc.calibEvery)
			if err != nil {
				t.Fatal(err)
			}
			var per []int
			for _, s := range p.Sessions {
				n := 0
				for _, sc := range s.Screens {
					if sc.Kind == session.KindCase {
						n++
					}
				}
				per = append(per, n)
			}
			if !slices.Equal(per, tc.sessions) {
				t.Errorf("cases per session %v, want %v", per, tc.sessions)
			}
			checkPlan(t, p, caseNames(tc.cases))
			if p.Cases != tc.cases || p.SessionSize != tc.size || p.CalibEvery != tc.calibEvery || p.Format != PlanFormat {
				t.Errorf("plan header %+v", p)
			}
		})
	}
}

func TestNewPlanRefuses(t *testing.T) {
	cases := []struct {
		name, reader    string
		cases, size, ce int
		want            string
	}{
		{"no cases", "r1", 0, 30, 20, "no cases"},
		{"no room for a case", "r1", 3, 1, 20, "a session of 1 screens has no room"},
		{"reader with a slash", "a/b", 3, 30, 20, `reader name "a/b"`},
		{"reader with a space", "Dr Who", 3, 30, 20, `reader name "Dr Who"`},
		{"empty reader", "", 3, 30, 20, `reader name ""`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewPlan(tc.reader, caseNames(tc.cases), 1, tc.size, tc.ce)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

// The exact plan for one seed, pinned: a study's plans must come out the same on any machine
// and Go version, or AddReader would not give a reader the plan Run gave them.
func TestNewPlanPinned(t *testing.T) {
	p, err := NewPlan("reader1", caseNames(7), 42, 5, 3)
	if err != nil {
		t.Fatal(err)
	}
	var got [][]string
	for _, s := range p.Sessions {
		var ids []string
		for _, sc := range s.Screens {
			ids = append(ids, sc.DicomID)
		}
		got = append(got, ids)
	}
	want := [][]string{
		{"calibration-reader1-s01-1", "case004", "case005", "case000"},
		{"calibration-reader1-s02-1", "case006", "case002", "case001", "case003"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("plan for seed 42:\n got %q\nwant %q", got, want)
	}
	if p.Seed != ReaderSeed(42, "reader1") || p.Sessions[1].Seed != sessionSeed(p.Seed, 2) {
		t.Errorf("seeds %d, %d", p.Seed, p.Sessions[1].Seed)
	}
}

func TestNewPlanDeterministicAndIndependent(t *testing.T) {
	ids := caseNames(50)
	a, _ := NewPlan("alice", ids, 5, 30, 20)
	a2, _ := NewPlan("alice", ids, 5, 30, 20)
	b, _ := NewPlan("bob", ids, 5, 30, 20)
	a6, _ := NewPlan("alice", ids, 6, 30, 20)
	if !reflect.DeepEqual(a, a2) {
		t.Error("same seed and reader, different plans")
	}
	if slices.Equal(screenIDs(a), screenIDs(b)) || a.Seed == b.Seed {
		t.Error("two readers, same order")
	}
	if slices.Equal(screenIDs(a), screenIDs(a6)) {
		t.Error("two study seeds, same order")
	}
}

// writeStudy writes a minimal prepared study (master_sheet.csv and prepare.json) for plan tests.
func writeStudy(t *testing.T, ids []string) string {
	t.Helper()
	dir := t.TempDir()
	rows := [][]string{{"dicom_id", "path"}}
	for _, id := range ids {
		rows = append(rows, []string{id, "files/" + id + ".dcm"})
	}
	if err := writeCSVFile(filepath.Join(dir, study.MasterSheet), rows); err != nil {
		t.Fatal(err)
	}
	if err := writeJSON(filepath.Join(dir, RecordFile), Record{Format: RecordFormat, Seed: 99, SessionSize: 6, CalibEvery: 4}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestLoadPlan(t *testing.T) {
	ids := caseNames(13)
	dir := writeStudy(t, ids)
	p, err := NewPlan("r1", ids, 99, 6, 4)
	if err != nil {
		t.Fatal(err)
	}
	if err := WritePlan(dir, p); err != nil {
		t.Fatal(err)
	}
	got, err := LoadPlan(dir, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, p) {
		t.Errorf("read back %+v\nwrote %+v", got, p)
	}

	t.Run("no plan for the reader", func(t *testing.T) {
		if _, err := LoadPlan(dir, "r2"); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("got %v, want os.ErrNotExist", err)
		}
	})
	t.Run("AddReader gives the plan Run would have", func(t *testing.T) {
		added, err := AddReader(dir, "r1-again")
		if err != nil {
			t.Fatal(err)
		}
		want, _ := NewPlan("r1-again", ids, 99, 6, 4)
		if !reflect.DeepEqual(added, want) {
			t.Error("AddReader's plan differs from NewPlan's with the recorded seed")
		}
		if loaded, err := LoadPlan(dir, "r1-again"); err != nil || !reflect.DeepEqual(loaded, want) {
			t.Errorf("LoadPlan after AddReader: %v", err)
		}
		if _, err := AddReader(dir, "r1"); !errors.Is(err, os.ErrExist) {
			t.Errorf("AddReader for a reader with a plan: %v, want os.ErrExist", err)
		}
	})
	t.Run("Readers lists the plans", func(t *testing.T) {
		// A stray file that names no reader is not one.
		if err := os.WriteFile(filepath.Join(dir, PlansDir, "notes.txt"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := Readers(dir)
		if err != nil || !reflect.DeepEqual(got, []string{"r1", "r1-again"}) {
			t.Errorf("Readers: %q, %v; want r1 and r1-again", got, err)
		}
		if got, err := Readers(t.TempDir()); err != nil || got != nil {
			t.Errorf("Readers of a study without plans: %q, %v", got, err)
		}
	})
	t.Run("plan and worklist disagree", func(t *testing.T) {
		other := writeStudy(t, append(ids[1:], "stranger"))
		if err := WritePlan(other, p); err != nil {
			t.Fatal(err)
		}
		_, err := LoadPlan(other, "r1")
		if err == nil || !strings.Contains(err.Error(), `case "case000" is not in master_sheet.csv`) {
			t.Errorf("got %v", err)
		}
		more := writeStudy(t, append(slices.Clone(ids), "extra"))
		if err := WritePlan(more, p); err != nil {
			t.Fatal(err)
		}
		_, err = LoadPlan(more, "r1")
		if err == nil || !strings.Contains(err.Error(), `case "extra" (line 15 of master_sheet.csv) is in no session`) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("plan file of another reader", func(t *testing.T) {
		b, _ := os.ReadFile(PlanPath(dir, "r1"))
		if err := os.WriteFile(PlanPath(dir, "r3"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadPlan(dir, "r3"); err == nil || !strings.Contains(err.Error(), `plan of reader "r1", want "r3"`) {
			t.Errorf("got %v", err)
		}
	})
}

// planBytes is a small valid plan file, the seed of the table below and of FuzzLoadPlan.
func planBytes(t testing.TB) []byte {
	t.Helper()
	p, err := NewPlan("r1", caseNames(5), 3, 4, 2)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := WritePlan(dir, p); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(PlanPath(dir, "r1"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type badPlan struct {
	name     string
	old, new string // the edit made to a valid plan file
	want     string
}

var badPlans = []badPlan{
	{"other format", `"sightline-plan/1"`, `"sightline-plan/2"`, `format "sightline-plan/2"`},
	{"unknown field", `"reader": "r1"`, `"reader": "r1", "extra": 1`, `unknown field "extra"`},
	{"session numbered wrong", `"session": 2`, `"session": 3`, "session 2 is numbered 3"},
	{"session id wrong", `"id": "r1-s01"`, `"id": "r2-s01"`, `id "r2-s01", want "r1-s01"`},
	{"calibration misnamed", `"calibration-r1-s01-1"`, `"calibration-r1-s01-7"`, `calibration "calibration-r1-s01-7"`},
	{"case twice", `"case001"`, `"case000"`, `case "case000" is also in session`},
	{"case with a slash", `"case001"`, `"../case001"`, `cannot name a file`},
	{"unknown kind", `"kind": "case"`, `"kind": "break"`, `kind "break"`},
	{"case count", `"cases": 5`, `"cases": 6`, "5 cases in the sessions, the plan says 6"},
	{"session size", `"session_size": 4`, `"session_size": 2`, "screens, want 1 to 2"},
	{"index", `"index": 1`, `"index": 5`, "has index 5"},
	{"not JSON", `{`, `[`, "invalid character"},
	{"trailing data", "}\n", "}\n{}", "data after the plan object"},
}

func TestReadPlanRefuses(t *testing.T) {
	good := planBytes(t)
	if _, err := ReadPlan(bytes.NewReader(good)); err != nil {
		t.Fatalf("the valid plan: %v", err)
	}
	for _, tc := range badPlans {
		t.Run(tc.name, func(t *testing.T) {
			if !bytes.Contains(good, []byte(tc.old)) {
				t.Fatalf("the plan has no %q to change:\n%s", tc.old, good)
			}
			b := bytes.Replace(good, []byte(tc.old), []byte(tc.new), 1)
			if tc.name == "trailing data" {
				b = append(bytes.TrimSuffix(good, []byte("}\n")), tc.new...)
			}
			_, err := ReadPlan(bytes.NewReader(b))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

// FuzzLoadPlan feeds bytes to the plan reader: it must not panic, and a plan it accepts must
// keep its promises (and read back the same once written).
func FuzzLoadPlan(f *testing.F) {
	good := planBytes(f)
	f.Add(good)
	for _, tc := range badPlans {
		f.Add(bytes.Replace(good, []byte(tc.old), []byte(tc.new), 1))
	}
	f.Add([]byte(`{"format":"sightline-plan/1","reader":"r","session_size":1,"cases":0,"sessions":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ReadPlan(bytes.NewReader(b))
		if err != nil {
			return
		}
		if err := p.check(); err != nil {
			t.Fatalf("accepted a plan that fails its own check: %v", err)
		}
		raw, err := json.MarshalIndent(p, "", "  ") // as WritePlan writes it
		if err != nil {
			t.Fatal(err)
		}
		again, err := ReadPlan(bytes.NewReader(raw))
		if err != nil || !reflect.DeepEqual(again, p) {
			t.Fatalf("written plan reads back as %+v, %v", again, err)
		}
	})
}

// A damaged plan file is named once, with what is wrong in it.
func TestLoadPlanErrorNamesTheFileOnce(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, PlansDir), 0o755); err != nil {
		t.Fatal(err)
	}
	path := PlanPath(dir, "r1")
	for _, tc := range []struct{ body, want string }{
		{`{"format": "sightline-plan/1", "bogus": 1}`, path + `: json: unknown field "bogus"`},
		{`{"format": "sightline-plan/9"}`, path + `: format "sightline-plan/9", want "sightline-plan/1"`},
		{`{"format": "sightline-plan/1"} {}`, path + ": data after the plan object"},
	} {
		if err := os.WriteFile(path, []byte(tc.body), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadPlan(dir, "r1"); err == nil || err.Error() != tc.want {
			t.Errorf("%s:\n got %v\nwant %s", tc.body, err, tc.want)
		}
	}
}

func TestAssignOverlap(t *testing.T) {
	ids := make([]string, 23)
	for i := range ids {
		ids[i] = fmt.Sprintf("case-%02d", i)
	}
	readers := []string{"alice", "bob", "carol"}
	for _, overlap := range []int{0, 5, 22} {
		t.Run(fmt.Sprint("overlap ", overlap), func(t *testing.T) {
			plans, err := NewPlans(readers, ids, 42, 12, 5, overlap)
			if err != nil {
				t.Fatal(err)
			}
			count := map[string]int{}
			var sizes []int
			for _, p := range plans {
				if len(p.Shared) != overlap {
					t.Errorf("%s: %d shared, want %d", p.Reader, len(p.Shared), overlap)
				}
				if err := p.check(); err != nil {
					t.Errorf("%s: %v", p.Reader, err)
				}
				sizes = append(sizes, p.Cases)
				for _, s := range p.Sessions {
					for _, sc := range s.Screens {
						if sc.Kind == session.KindCase {
							count[sc.DicomID]++
						}
					}
				}
			}
			shared := map[string]bool{}
			for _, id := range plans[0].Shared {
				shared[id] = true
			}
			for _, id := range ids {
				want := 1
				if shared[id] {
					want = 3
				}
				if count[id] != want {
					t.Errorf("%s read %d times, want %d", id, count[id], want)
				}
			}
			if slices.Max(sizes)-slices.Min(sizes) > 1 {
				t.Errorf("readers' shares %v differ by more than one", sizes)
			}
			// Each reader's order is their own: the shared cases come in different orders.
			order := func(p Plan) []string {
				var o []string
				for _, s := range p.Sessions {
					for _, sc := range s.Screens {
						if shared[sc.DicomID] {
							o = append(o, sc.DicomID)
						}
					}
				}
				return o
			}
			if overlap > 3 && slices.Equal(order(plans[0]), order(plans[1])) {
				t.Errorf("alice and bob read the shared cases in the same order")
			}
		})
	}
	// Every case shared: the old behaviour, and the plan says so.
	plans, err := NewPlans(readers, ids, 42, 12, 5, -1)
	if err != nil || len(plans[2].Shared) != len(ids) || plans[2].Cases != len(ids) {
		t.Fatalf("overlap -1: %v %v", err, plans)
	}
	// The split is the seed's: the same seed gives the same shared cases.
	a, _ := NewPlans(readers, ids, 7, 12, 5, 4)
	b, _ := NewPlans(readers, ids, 7, 12, 5, 4)
	if !slices.Equal(a[0].Shared, b[0].Shared) {
		t.Error("the same seed shared different cases")
	}
}

// A reader added to a split study after the others have started gets the shared cases and the
// share of the rest one more reader would have had, not every case; the plans of the readers
// who started do not change, and the next reader added gets a share of their own.
func TestAddReaderToASplitStudy(t *testing.T) {
	ids := caseNames(23)
	abc := []string{"alice", "bob", "carol"}
	five, none := 5, 0
	cases := []struct {
		name    string
		readers []string // planned at preparation
		overlap *int     // nil: not split
		lost    string   // a recorded reader whose plan file is gone
		late    []string // added in this order
		want    []int    // cases in each late reader's plan
	}{
		// Not split: every reader reads every case, late or not.
		{name: "no split", readers: []string{"alice", "bob"}, late: []string{"dan"}, want: []int{23}},
		// 5 shared; the other 18 dealt in turn among 4 readers, dan 4th: 3, 7, 11, 15.
		{name: "one late reader", readers: abc, overlap: &five, late: []string{"dan"}, want: []int{5 + 4}},
		// Then erin, 5th of 5: 4, 9, 14.
		{name: "two late readers", readers: abc, overlap: &five, late: []string{"dan", "erin"}, want: []int{5 + 4, 5 + 3}},
		// Nothing shared, 23 dealt among 4: 3, 7, 11, 15, 19.
		{name: "nothing shared", readers: abc, overlap: &none, late: []string{"dan"}, want: []int{5}},
		// bob, 2nd of 3, had 1, 4, …, 16 of the 18: the same plan again.
		{name: "a planned reader's lost plan", readers: abc, overlap: &five, lost: "bob", late: []string{"bob"}, want: []int{5 + 6}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := writeStudy(t, ids)
			rec := Record{Format: RecordFormat, Seed: 99, SessionSize: 6, CalibEvery: 4, Readers: c.readers, Overlap: c.overlap}
			if err := writeJSON(filepath.Join(dir, RecordFile), rec); err != nil {
				t.Fatal(err)
			}
			overlap := -1
			if c.overlap != nil {
				overlap = *c.overlap
			}
			first, err := NewPlans(c.readers, ids, 99, 6, 4, overlap)
			if err != nil {
				t.Fatal(err)
			}
			owner := map[string][]string{} // case → readers planned at preparation
			for _, p := range first {
				for _, id := range planCases(p) {
					owner[id] = append(owner[id], p.Reader)
				}
				if p.Reader == c.lost {
					continue
				}
				if err := WritePlan(dir, p); err != nil {
					t.Fatal(err)
				}
			}
			before := readPlans(t, dir)
			for i, r := range c.late {
				p, err := AddReader(dir, r)
				if err != nil {
					t.Fatal(err)
				}
				got := planCases(p)
				if len(got) != c.want[i] || p.Cases != c.want[i] {
					t.Errorf("%s: %d cases (plan says %d), want %d", r, len(got), p.Cases, c.want[i])
				}
				if _, err := LoadPlan(dir, r); err != nil {
					t.Errorf("%s: LoadPlan: %v", r, err)
				}
				if c.overlap == nil {
					continue
				}
				if !p.Split || !slices.Equal(p.Shared, first[0].Shared) {
					t.Errorf("%s: split %v, shared %v; want split and shared %v", r, p.Split, p.Shared, first[0].Shared)
				}
				for _, id := range got {
					shared := slices.Contains(p.Shared, id)
					if n := len(owner[id]); shared && n != len(c.readers) || !shared && n != 1 {
						t.Errorf("%s: case %s was planned for %v before", r, id, owner[id])
					}
				}
				for _, id := range p.Shared {
					if !slices.Contains(got, id) {
						t.Errorf("%s: shared case %s not in the plan", r, id)
					}
				}
				if r == c.lost {
					for _, f := range first {
						if f.Reader == r && !reflect.DeepEqual(f, p) {
							t.Errorf("%s: plan differs from the one prepared", r)
						}
					}
				}
				rec, err := ReadRecord(dir)
				wantReaders := c.readers
				for _, l := range c.late[:i+1] {
					if !slices.Contains(wantReaders, l) {
						wantReaders = append(slices.Clone(wantReaders), l)
					}
				}
				if err != nil || !slices.Equal(rec.Readers, wantReaders) {
					t.Errorf("prepare.json readers %v (%v), want %v", rec.Readers, err, wantReaders)
				}
			}
			if len(c.late) == 2 && slices.Equal(planCases(mustLoadPlan(t, dir, c.late[0])), planCases(mustLoadPlan(t, dir, c.late[1]))) {
				t.Error("the two late readers got the same cases")
			}
			for r, p := range before {
				if now := readPlans(t, dir)[r]; !reflect.DeepEqual(now, p) {
					t.Errorf("%s's plan changed when a reader was added", r)
				}
			}
		})
	}
}

// planCases lists a plan's cases, sorted.
func planCases(p Plan) []string {
	var out []string
	for _, s := range p.Sessions {
		for _, sc := range s.Screens {
			if sc.Kind == session.KindCase {
				out = append(out, sc.DicomID)
			}
		}
	}
	slices.Sort(out)
	return out
}

func mustLoadPlan(t *testing.T, dir, reader string) Plan {
	t.Helper()
	p, err := LoadPlan(dir, reader)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// readPlans loads every plan of a study folder, by reader.
func readPlans(t *testing.T, dir string) map[string]Plan {
	t.Helper()
	readers, err := Readers(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Plan{}
	for _, r := range readers {
		out[r] = mustLoadPlan(t, dir, r)
	}
	return out
}
