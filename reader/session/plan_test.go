package session

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
)

func ids(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("case%03d", i)
	}
	return out
}

func TestNewPlanDeterministic(t *testing.T) {
	a := NewPlan("S1", ids(40), 7, 10)
	b := NewPlan("S1", ids(40), 7, 10)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed, different plans")
	}
	if reflect.DeepEqual(a, NewPlan("S1", ids(40), 8, 10)) {
		t.Fatal("seeds 7 and 8 give the same plan")
	}
}

// The exact plan for one seed, pinned so that a change of algorithm (or of Go's PCG) shows up:
// recorded sessions must replan identically.
func TestNewPlanPinned(t *testing.T) {
	var got []string
	for _, s := range NewPlan("S1", ids(12), 42, 5) {
		got = append(got, s.DicomID)
	}
	want := []string{"calibration-S1-1", "case002", "case004", "case001", "case005", "case009", "case000",
		"case006", "case010", "case003", "case011", "case007", "calibration-S1-2", "case008"}
	if !slices.Equal(got, want) {
		t.Fatalf("plan for seed 42:\n got %q\nwant %q", got, want)
	}
}

func TestNewPlanShape(t *testing.T) {
	cases := []struct {
		name         string
		n, every, k  int
		wantNoCalibs bool
	}{
		{"demo 12 every 25", 12, 25, 1, false},
		{"12 every 5", 12, 5, 2, false},
		{"100 every 25", 100, 25, 4, false},
		{"101 every 25", 101, 25, 4, false},
		{"rounds half up", 15, 10, 2, false},
		{"rounds down", 14, 10, 1, false},
		{"every case", 6, 1, 6, false},
		{"one case", 1, 25, 1, false},
		{"two cases every 1", 2, 1, 2, false},
		{"disabled", 10, 0, 0, true},
		{"negative disables", 10, -3, 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for seed := int64(0); seed < 200; seed++ {
				checkPlan(t, "S9", ids(c.n), seed, c.every, c.k)
			}
		})
	}
	if p := NewPlan("S", nil, 1, 10); len(p) != 0 {
		t.Fatalf("empty worklist: %v", p)
	}
}

func checkPlan(t *testing.T, sid string, in []string, seed int64, every, k int) {
	t.Helper()
	p := NewPlan(sid, in, seed, every)
	n := len(in)
	if len(p) != n+k {
		t.Fatalf("seed %d: %d screens, want %d cases + %d calibrations", seed, len(p), n, k)
	}
	var got []string
	calib, caseBefore := 0, 0
	for i, s := range p {
		if s.Index != i {
			t.Fatalf("seed %d: screen %d has Index %d", seed, i, s.Index)
		}
		switch s.Kind {
		case KindCase:
			got = append(got, s.DicomID)
			caseBefore++
		case KindCalibration:
			calib++
			if s.DicomID != CalibrationID(sid, calib) || s.DicomID != fmt.Sprintf("calibration-%s-%d", sid, calib) {
				t.Fatalf("seed %d: calibration id %q", seed, s.DicomID)
			}
			if i == len(p)-1 {
				t.Fatalf("seed %d: calibration is the last screen", seed)
			}
			if i > 0 && p[i-1].Kind == KindCalibration {
				t.Fatalf("seed %d: calibrations adjacent at %d", seed, i)
			}
			// The calibration before shuffled case caseBefore lies in segment calib-1.
			lo, hi := (calib-1)*n/k, calib*n/k
			if caseBefore < lo || caseBefore >= hi {
				t.Fatalf("seed %d: calibration %d before case %d, outside its segment [%d,%d)", seed, calib, caseBefore, lo, hi)
			}
		default:
			t.Fatalf("seed %d: kind %q", seed, s.Kind)
		}
	}
	if calib != k {
		t.Fatalf("seed %d: %d calibrations, want %d", seed, calib, k)
	}
	slices.Sort(got)
	want := slices.Clone(in)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("seed %d: cases are not a permutation of the worklist", seed)
	}
}

// Every position inside a segment is reachable, and the shuffle moves every case everywhere.
func TestNewPlanSpread(t *testing.T) {
	calibAt := map[int]bool{}
	firstCase := map[string]bool{}
	for seed := int64(0); seed < 2000; seed++ {
		p := NewPlan("S", ids(12), seed, 25)
		for i, s := range p {
			if s.Kind == KindCalibration {
				calibAt[i] = true
			}
		}
		if p[0].Kind == KindCase {
			firstCase[p[0].DicomID] = true
		}
	}
	if len(calibAt) != 12 {
		t.Fatalf("calibration seen at %d of 12 positions: %v", len(calibAt), calibAt)
	}
	if len(firstCase) != 12 {
		t.Fatalf("%d of 12 cases seen first", len(firstCase))
	}
}
