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

// TestToDICOMOddImageAsReference: the EGD-CXR mapping script pads an odd-sized image to even
// (a black row and column) before it scales, so its published X/Y_ORIGINAL use W and H rounded
// up to even. On a 2389×2755 image 17 of these 21 rows differ by a pixel from the unpadded
// scale. The rows were computed with the reference's formula, int(W'/(1920−left−right)·(eyeX−left))
// with W' = 2390, H' = 2756.
func TestToDICOMOddImageAsReference(t *testing.T) {
	l := Fit(2389, 2755)
	if l.Left != 491 || l.Right != 492 || l.Top != 0 || l.Bottom != 0 {
		t.Fatalf("pads %+v", l)
	}
	rows := []struct {
		fx, fy float64
		x, y   int
	}{
		{0.586, 0.78434, 1617, 2161}, {0.50971, 0.51147, 1243, 1409}, {0.44789, 0.99582, 941, 2744},
		{0.39716, 0.14896, 692, 410}, {0.38339, 0.26092, 625, 719}, {0.41567, 0.26838, 783, 739},
		{0.30867, 0.32585, 259, 898}, {0.40773, 0.5691, 744, 1568}, {0.35444, 0.07165, 483, 197},
		{0.35489, 0.54236, 485, 1494}, {0.44547, 0.733, 929, 2020}, {0.64732, 0.41461, 1917, 1142},
		{0.30464, 0.72754, 239, 2005}, {0.62424, 0.39627, 1804, 1092}, {0.57682, 0.29945, 1572, 825},
		{0.70178, 0.83314, 2184, 2296}, {0.64192, 0.95301, 1891, 2626}, {0.36964, 0.54516, 557, 1502},
		{0.61242, 0.80087, 1746, 2207}, {0.44631, 0.13927, 933, 383}, {0.56125, 0.10543, 1496, 290},
	}
	for _, r := range rows {
		if x, y, ok := l.ToDICOM(r.fx, r.fy); !ok || x != r.x || y != r.y {
			t.Errorf("ToDICOM(%v, %v) = (%d, %d, %v), the reference (%d, %d)", r.fx, r.fy, x, y, ok, r.x, r.y)
		}
	}
	// The reference's padding column (X = W) is not a pixel of the image: the last one is given.
	if x, _, ok := l.ToDICOM((1920-492-0.01)/1920, 0.5); !ok || x != 2388 {
		t.Errorf("right edge: X %d, want 2388", x)
	}
}
