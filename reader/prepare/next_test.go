package prepare

import (
	"testing"

	"sightline/reader/session"
)

func TestPlanSummary(t *testing.T) {
	plan := func(sizes ...int) Plan {
		p := Plan{}
		for _, n := range sizes {
			p.Sessions = append(p.Sessions, SessionPlan{Screens: make([]session.Screen, n)})
			p.Cases += n
		}
		return p
	}
	for _, c := range []struct {
		sizes []int
		want  string
	}{
		{[]int{3}, "3 cases in 1 session of 3 screens"},
		{[]int{7, 7}, "14 cases in 2 sessions of 7 and 7 screens"},
		{[]int{7, 7, 6}, "20 cases in 3 sessions of 7, 7 and 6 screens"},
	} {
		if got := plan(c.sizes...).Summary(); got != c.want {
			t.Errorf("sessions %v: %q, want %q", c.sizes, got, c.want)
		}
	}
}
