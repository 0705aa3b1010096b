package benchcpu

import "testing"

// TestNowAdvances: spinning uses CPU time, and Now sees it.
func TestNowAdvances(t *testing.T) {
	start := Now()
	x := 0
	for i := 0; Now() == start && i < 1e10; i++ {
		x += i
	}
	if Now() <= start {
		t.Fatalf("CPU time did not advance (%d)", x)
	}
}
