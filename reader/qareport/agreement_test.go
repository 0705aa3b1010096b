package qareport

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"sightline/reader/export/exporttest"
)

// TestReportAgreementAndZones: a study whose two cases were read by alice and bob gets the
// inter-reader agreement on its index, and each case its zones never fixated.
func TestReportAgreementAndZones(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "study")
	cases, err := exporttest.WriteStudy(dir, 2)
	if err != nil {
		t.Fatal(err)
	}
	for i, who := range []string{"alice", "bob"} {
		if err := exporttest.Record(dir, exporttest.Spec{ID: "2026120" + strconv.Itoa(i+1) + "-090000-" + who, Reader: who,
			Seed: int64(3 + i), Started: time.Date(2026, 12, 1+i, 9, 0, 0, 0, time.UTC), Cases: cases, Samples: 120}); err != nil {
			t.Fatal(err)
		}
	}
	out := t.TempDir()
	if _, err := Write(context.Background(), dir, out, Options{}); err != nil {
		t.Fatal(err)
	}
	index, err := os.ReadFile(filepath.Join(out, IndexFile))
	if err != nil {
		t.Fatal(err)
	}
	txt := string(index)
	if !strings.Contains(txt, "Inter-reader agreement") {
		t.Fatalf("no agreement on the index:\n%s", txt)
	}
	for _, c := range cases {
		if n := strings.Count(txt, "<tr><td>"+c.DicomID+"</td>"); n != 2 {
			t.Errorf("%s: %d agreement rows, want 2 (alice→bob, bob→alice)", c.DicomID, n)
		}
	}
	page, err := os.ReadFile(filepath.Join(out, pageName("20261201-090000-alice")))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(page), "Zones never fixated: "); n != 2 {
		t.Errorf("%d cases say their zones never fixated, want 2", n)
	}
}

// TestAgreementUndefinedIsADash: a metric not defined for a pair (NaN: a reader with no fixation
// on the image) reads "–" on the page, never "NaN"; a defined one keeps two decimals.
func TestAgreementUndefinedIsADash(t *testing.T) {
	f2 := funcs["f2"].(func(float64) string)
	for _, c := range []struct {
		v    float64
		want string
	}{{math.NaN(), "–"}, {math.Inf(1), "–"}, {0.456, "0.46"}, {-1, "-1.00"}} {
		if got := f2(c.v); got != c.want {
			t.Errorf("f2(%v) = %q, want %q", c.v, got, c.want)
		}
	}
}

// TestCountWords: the index says "1 session" and "2 case folders".
func TestCountWords(t *testing.T) {
	count := funcs["count"].(func(int, string) string)
	if got := count(1, "session"); got != "1 session" {
		t.Errorf("count(1) = %q", got)
	}
	if got := count(2, "case folder"); got != "2 case folders" {
		t.Errorf("count(2) = %q", got)
	}
	if got := count(0, "session"); got != "0 sessions" {
		t.Errorf("count(0) = %q", got)
	}
}
