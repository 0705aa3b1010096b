package ownpass

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var parseTable = []struct {
	name, in, err string
}{
	{"reviewed and skipped", `{"format":1,"reader":"dr a","started":"2026-12-07T22:00:00Z","updated":"2026-12-07T22:05:00Z","cases":[` +
		`{"case":"01-a","status":"reviewed","changed":true,"store_id":4,"at":"2026-12-07T22:01:00Z"},` +
		`{"case":"02-b","status":"not reviewed","why":"skipped","at":"2026-12-07T22:02:00Z"}]}`, ""},
	{"no cases yet", `{"format":1,"reader":"r","started":"","updated":"","cases":[]}`, ""},
	{"not JSON", `{"format":1,`, "own_pass.json: unexpected EOF"},
	{"another format", `{"format":2,"cases":[]}`, "own_pass.json: format 2, want 1"},
	{"no case list", `{"format":1}`, "own_pass.json: no cases list"},
	{"a case without a name", `{"format":1,"cases":[{"status":"reviewed"}]}`, "own_pass.json: cases[0]: no case"},
	{"an unknown status", `{"format":1,"cases":[{"case":"01-a","status":"approved"}]}`, `cases[0] (01-a): status "approved", want "reviewed" or "not reviewed"`},
	{"reviewed with a reason it was not", `{"format":1,"cases":[{"case":"01-a","status":"reviewed","why":"skipped"}]}`, `cases[0] (01-a): reviewed, yet a reason it was not ("skipped")`},
	{"a field of the wrong type", `{"format":1,"cases":[{"case":1}]}`, "own_pass.json: json: cannot unmarshal number into Go struct field CaseRecord.cases.case of type string"},
}

func TestParse(t *testing.T) {
	for _, tc := range parseTable {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Parse([]byte(tc.in), File)
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				if r.Format != Format {
					t.Errorf("format %d", r.Format)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("error %v, want one containing %q", err, tc.err)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, tc := range parseTable {
		f.Add([]byte(tc.in))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Parse(b, File)
		if err != nil {
			if !strings.HasPrefix(err.Error(), File+": ") {
				t.Errorf("error %q does not name the file", err)
			}
			return
		}
		for _, c := range r.Cases {
			if c.Case == "" || (c.Status != Reviewed && c.Status != NotReviewed) {
				t.Errorf("accepted %+v", c)
			}
		}
	})
}

// TestRecordRoundTrip: a pass recorded case by case reads back as written, each case's latest
// outcome kept, and the file is whole after every write.
func TestRecordRoundTrip(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2026, 12, 7, 22, 0, 0, 0, time.UTC)
	cases := []Case{{Name: "01-a"}, {Name: "02-b"}, {Name: "03-c"}}
	r := NewRecord("dr a", cases, WhyEnded, t0)
	if err := r.Write(dir); err != nil {
		t.Fatal(err)
	}
	r.Set(CaseRecord{Case: "01-a", Status: NotReviewed, Why: WhySkipped}, t0.Add(time.Minute))
	r.Set(CaseRecord{Case: "01-a", Status: Reviewed, Changed: true, StoreID: 7}, t0.Add(2*time.Minute))
	r.Set(CaseRecord{Case: "02-b", Status: NotReviewed, Why: WhySkipped}, t0.Add(3*time.Minute))
	if err := r.Write(dir); err != nil {
		t.Fatal(err)
	}
	got, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Reviewed() != 1 || len(got.Cases) != 3 || got.Updated != "2026-12-07T22:03:00Z" {
		t.Fatalf("read back %+v", got)
	}
	want := map[string]CaseRecord{
		"01-a": {Case: "01-a", Status: Reviewed, Changed: true, StoreID: 7, At: "2026-12-07T22:02:00Z"},
		"02-b": {Case: "02-b", Status: NotReviewed, Why: WhySkipped, At: "2026-12-07T22:03:00Z"},
		"03-c": {Case: "03-c", Status: NotReviewed, Why: WhyEnded, At: "2026-12-07T22:00:00Z"},
	}
	for name, w := range want {
		if c, ok := got.Get(name); !ok || c != w {
			t.Errorf("%s: %+v, want %+v", name, c, w)
		}
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 || ents[0].Name() != File {
		t.Errorf("the session folder holds %v, want %s only", ents, File)
	}
	if _, err := Read(filepath.Join(dir, "nothing")); !os.IsNotExist(err) {
		t.Errorf("no record: %v, want not exist", err)
	}
}
