package stage

import "testing"

// The three published fixation rows of EGD-CXR (docs/FORMATS.md §1): image 2544×3056, pads 0,0,534,534.
func TestToDICOMPublishedRows(t *testing.T) {
	l := Layout{W: 2544, H: 3056, Top: 0, Bottom: 0, Left: 534, Right: 534}
	cases := []struct {
		name   string
		fx, fy float64
		x, y   int
	}{
		{"CNT 45", 0.45224, 0.33879000000000004, 998, 1035},
		{"CNT 68", 0.44419, 0.28933000000000003, 952, 884},
		{"CNT 86", 0.39018, 0.28168000000000004, 642, 860},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x, y, ok := l.ToDICOM(c.fx, c.fy)
			if !ok || x != c.x || y != c.y {
				t.Fatalf("ToDICOM(%v, %v) = (%d, %d, %v), want (%d, %d, true)", c.fx, c.fy, x, y, ok, c.x, c.y)
			}
		})
	}
}

func TestFit(t *testing.T) {
	cases := []struct {
		name                     string
		w, h                     int
		top, bottom, left, right int
	}{
		{"portrait 2544x3056", 2544, 3056, 0, 0, 510, 511},
		{"landscape 3000x2000", 3000, 2000, 0, 0, 150, 150},
		{"landscape 3000x1500", 3000, 1500, 60, 60, 0, 0},
		{"exact 16:9", 3840, 2160, 0, 0, 0, 0},
		{"odd 2001x2501", 2001, 2501, 0, 0, 528, 528},
		{"very wide", 4000, 1000, 300, 300, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := Fit(c.w, c.h)
			if l.Top != c.top || l.Bottom != c.bottom || l.Left != c.left || l.Right != c.right {
				t.Fatalf("Fit(%d,%d) pads t/b/l/r = %d/%d/%d/%d, want %d/%d/%d/%d", c.w, c.h,
					l.Top, l.Bottom, l.Left, l.Right, c.top, c.bottom, c.left, c.right)
			}
			r := l.Rect()
			// Aspect kept to within one stage pixel.
			if got, want := float64(r.Dx())/float64(r.Dy()), float64(c.w)/float64(c.h); abs(got-want)*float64(r.Dy()) > 1 {
				t.Fatalf("drawn aspect %v, image aspect %v", got, want)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	for _, sz := range [][2]int{{2544, 3056}, {3056, 2544}, {2001, 2501}, {512, 512}} {
		l := Fit(sz[0], sz[1])
		for _, p := range [][2]int{{0, 0}, {sz[0] - 1, sz[1] - 1}, {sz[0] / 3, sz[1] / 2}, {17, sz[1] - 5}} {
			fx, fy := l.ToStage(float64(p[0])+0.5, float64(p[1])+0.5)
			x, y, ok := l.ToDICOM(fx, fy)
			if !ok || iabs(x-p[0]) > 1 || iabs(y-p[1]) > 1 {
				t.Errorf("%v: pixel %v -> (%v,%v) -> (%d,%d,%v)", sz, p, fx, fy, x, y, ok)
			}
		}
	}
}

func TestOutsideIsMinusOne(t *testing.T) {
	l := Fit(2544, 3056)
	for _, p := range [][2]float64{{0.1, 0.5}, {0.9, 0.5}, {0.5, -0.1}, {0.5, 1.2}} {
		if x, y, ok := l.ToDICOM(p[0], p[1]); ok || x != -1 || y != -1 {
			t.Errorf("ToDICOM(%v) = %d,%d,%v; want -1,-1,false", p, x, y, ok)
		}
	}
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

func iabs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}
