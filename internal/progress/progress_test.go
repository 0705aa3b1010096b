package progress

import (
	"bytes"
	"testing"
	"time"
)

// TestBar: the prepare command's bar, to a pipe and to a terminal.
func TestBar(t *testing.T) {
	at := func(s float64) time.Time { return time.Unix(1000, 0).Add(time.Duration(s * float64(time.Second))) }
	type step struct {
		t           float64
		done, total int
	}
	cases := []struct {
		name  string
		tty   bool
		steps []step
		want  string
	}{
		{"pipe: a line per tenth", false,
			[]step{{0, 0, 20}, {1, 1, 20}, {2, 2, 20}, {3, 3, 20}, {4, 4, 20}, {10, 20, 20}},
			"preparing [........................]  0/20   0%\n" +
				"preparing [##......................]  2/20  10%  1.0 images/s  ETA 0:18\n" +
				"preparing [####....................]  4/20  20%  1.0 images/s  ETA 0:16\n" +
				"preparing [########################] 20/20 100%  2.0 images/s  ETA 0:00\n"},
		{"terminal: redrawn in place at most every 100 ms", true,
			[]step{{0, 0, 3}, {0.05, 1, 3}, {0.5, 2, 3}, {0.55, 3, 3}},
			"\rpreparing [........................] 0/3   0%\x1b[K" +
				"\rpreparing [################........] 2/3  66%  4.0 images/s  ETA 0:00\x1b[K" +
				"\rpreparing [########################] 3/3 100%  5.5 images/s  ETA 0:00\x1b[K\n"},
		{"cases settled before the start are not timed", false,
			[]step{{0, 5, 10}, {5, 10, 10}},
			"preparing [############............]  5/10  50%\n" +
				"preparing [########################] 10/10 100%  1.0 images/s  ETA 0:00\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			p := New(&buf, "preparing", "images")
			p.tty = tc.tty
			var now time.Time
			p.now = func() time.Time { return now }
			for _, s := range tc.steps {
				now = at(s.t)
				p.Update(s.done, s.total)
			}
			p.Finish()
			if got := buf.String(); got != tc.want {
				t.Errorf("got\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}
