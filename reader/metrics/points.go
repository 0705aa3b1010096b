package metrics

import (
	"math"
	"slices"

	"sightline/reader/study"
)

// Point is a fixation on an image, in DICOM pixels (negative: off the image).
type Point struct{ X, Y int }

// NeverFixated lists, in docs/FORMATS.md §1's order, the zones of the 17 that have a box among
// boxes and that no point fell in (x1 ≤ X ≤ x2, y1 ≤ Y ≤ y2).
func NeverFixated(boxes []study.Box, pts []Point) []string {
	var out []string
	for _, z := range zonesOf(boxes) {
		if !z.major || len(z.boxes) == 0 {
			continue
		}
		hit := false
		for _, p := range pts {
			if p.X >= 0 && p.Y >= 0 && z.inside(float64(p.X), float64(p.Y)) {
				hit = true
				break
			}
		}
		if !hit {
			out = append(out, z.name)
		}
	}
	return out
}

// Pair is the agreement of reader A's fixation map with reader B's (agreement.csv's columns).
type Pair struct {
	ReaderA, ReaderB           string
	FixationsA, FixationsB     int
	CC, SIM, KLD, NSS, AUCJudd float64
}

// Agreement compares the fixation maps of every ordered pair of readers of one W × H image
// (DICOM pixels), with a Gaussian of sigmaX, sigmaY DICOM pixels, as agreement.csv does. nil
// with fewer than two readers or no size.
func Agreement(w, h, sigmaX, sigmaY float64, byReader map[string][]Point) []Pair {
	if len(byReader) < 2 || !(w >= 1) || !(h >= 1) || !(sigmaX > 0) || !(sigmaY > 0) {
		return nil
	}
	readers := make([]string, 0, len(byReader))
	for r := range byReader {
		readers = append(readers, r)
	}
	slices.Sort(readers)
	// Three cells a sigma: fine enough for the blur, coarse enough to be quick.
	cx, cy := sigmaX/3, sigmaY/3
	gw := max(1, int(math.Ceil(w/cx)))
	gh := max(1, int(math.Ceil(h/cy)))
	type maps struct {
		fix, dens *Map
		sorted    []float64 // dens's values, sorted up
		n         int
	}
	m := map[string]maps{}
	for _, r := range readers {
		fix := NewMap(gw, gh)
		n := 0
		for _, p := range byReader[r] {
			if p.X < 0 || p.Y < 0 || float64(p.X) >= w || float64(p.Y) >= h {
				continue
			}
			fix.V[int(float64(p.Y)/cy)*gw+int(float64(p.X)/cx)]++
			n++
		}
		dens := blur(fix, 3)
		for i, v := range fix.V {
			if v > 0 {
				fix.V[i] = 1
			}
		}
		sorted := slices.Clone(dens.V)
		slices.Sort(sorted)
		m[r] = maps{fix, dens, sorted, n}
	}
	var out []Pair
	for _, a := range readers {
		for _, b := range readers {
			if a == b {
				continue
			}
			p, q := m[a], m[b]
			out = append(out, Pair{ReaderA: a, ReaderB: b, FixationsA: p.n, FixationsB: q.n,
				CC: CC(p.dens, q.dens), SIM: SIM(p.dens, q.dens), KLD: KLD(p.dens, q.dens),
				NSS: NSS(p.dens, q.fix), AUCJudd: aucJudd(p.dens, p.sorted, q.fix)})
		}
	}
	return out
}
