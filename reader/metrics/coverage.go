package metrics

import (
	"math"
	"strconv"
	"strings"

	"sightline/reader/analysis"
	"sightline/reader/study"
)

type fixation = analysis.Fixation

// CoverageHeader is coverage.csv's header (docs/FORMATS.md §12).
var CoverageHeader = []string{"dicom_id", "SESSION_ID", "reader", "fixations", "zones_present", "zones_fixated",
	"right_lung_covered", "left_lung_covered", "scanpath_deg", "zones_never_fixated"}

// coverageRow sums up one read: of the 17 zones, how many have a box and how many were
// fixated; the share of each lung's box within cfg.RadiusDeg of a fixation; the scanpath's
// length in degrees (between consecutive fixations' FPOG, through the viewing geometry); and the
// zones with a box that no fixation fell in.
func coverageRow(cfg Config, im *image, sc screen, zs []zone, h hits) []string {
	present, fixated := 0, 0
	var never []string
	for k, z := range zs {
		if !z.major {
			continue
		}
		hit := false
		for i := range h {
			hit = hit || h[i][k]
		}
		if len(z.boxes) > 0 {
			present++
			if !hit {
				never = append(never, z.name)
			}
		}
		if hit {
			fixated++
		}
	}
	right, left := math.NaN(), math.NaN()
	if im.geom.ok {
		rx, ry := im.geom.radii(cfg, cfg.RadiusDeg)
		right = covered(boxesOf(zs, "right lung"), sc.Fixations, rx, ry)
		left = covered(boxesOf(zs, "left lung"), sc.Fixations, rx, ry)
	}
	return []string{im.c.DicomID, sc.SessionID, sc.Reader, strconv.Itoa(len(sc.Fixations)), strconv.Itoa(present),
		strconv.Itoa(fixated), num(right), num(left), num(scanpath(cfg, sc.Fixations)), strings.Join(never, ";")}
}

// boxesOf is the boxes of the zone called name.
func boxesOf(zs []zone, name string) []study.Box {
	for _, z := range zs {
		if z.name == name {
			return z.boxes
		}
	}
	return nil
}

// covered is the share of the first box's area within the ellipse of radii rx, ry (DICOM
// pixels) around an on-image fixation, sampled on a grid of a quarter radius. NaN without a box.
func covered(boxes []study.Box, fixes []fixation, rx, ry float64) float64 {
	if len(boxes) == 0 || !(rx > 0) || !(ry > 0) {
		return math.NaN()
	}
	b := boxes[0]
	var near []fixation
	for _, f := range fixes {
		x, y := float64(f.X), float64(f.Y)
		if f.X >= 0 && f.Y >= 0 && x >= b.X1-rx && x <= b.X2+rx && y >= b.Y1-ry && y <= b.Y2+ry {
			near = append(near, f)
		}
	}
	stepX, stepY := rx/4, ry/4
	nx := max(1, int(math.Ceil((b.X2-b.X1)/stepX)))
	ny := max(1, int(math.Ceil((b.Y2-b.Y1)/stepY)))
	in := 0
	for j := range ny {
		y := b.Y1 + (float64(j)+0.5)*(b.Y2-b.Y1)/float64(ny)
		for i := range nx {
			x := b.X1 + (float64(i)+0.5)*(b.X2-b.X1)/float64(nx)
			for _, f := range near {
				dx, dy := (x-float64(f.X))/rx, (y-float64(f.Y))/ry
				if dx*dx+dy*dy <= 1 {
					in++
					break
				}
			}
		}
	}
	return float64(in) / float64(nx*ny)
}

// scanpath is the summed visual angle between consecutive fixations with a finite FPOG.
func scanpath(cfg Config, fixes []fixation) float64 {
	var sum float64
	var prev *fixation
	for i := range fixes {
		f := &fixes[i]
		if !finite(f.FPOGX) || !finite(f.FPOGY) {
			continue
		}
		if prev != nil {
			sum += cfg.Viewing.AngleDeg(f.FPOGX-prev.FPOGX, f.FPOGY-prev.FPOGY)
		}
		prev = f
	}
	return sum
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
