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
	"right_lung_covered", "left_lung_covered", "right_lung_area", "left_lung_area", "scanpath_deg", "zones_never_fixated"}

// coverageRow sums up one read: of the 17 zones, how many have a box and how many were
// fixated; the share of each lung's area within cfg.RadiusDeg of a fixation, the lung's mask
// where the dataset has one, else its box; the scanpath's length in degrees (between
// consecutive fixations' FPOG, through the viewing geometry); and the zones with a box that no
// fixation fell in.
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
	rightFrom, leftFrom := lungArea(zs, "right"), lungArea(zs, "left")
	if im.geom.ok {
		rx, ry := im.geom.radii(cfg, cfg.RadiusDeg)
		right = covered(rightFrom, sc.Fixations, rx, ry)
		left = covered(leftFrom, sc.Fixations, rx, ry)
	}
	return []string{im.c.DicomID, sc.SessionID, sc.Reader, strconv.Itoa(len(sc.Fixations)), strconv.Itoa(present),
		strconv.Itoa(fixated), num(right), num(left), rightFrom.source(), leftFrom.source(),
		num(scanpath(cfg, sc.Fixations)), strings.Join(never, ";")}
}

// area is a lung's area: its mask, or its box, or neither (source "").
type area struct {
	mask *mask
	box  *study.Box
}

func (a area) source() string {
	switch {
	case a.mask != nil:
		return "mask"
	case a.box != nil:
		return "box"
	}
	return ""
}

// bounds is the area's bounding box in DICOM pixels.
func (a area) bounds() (x1, x2, y1, y2 float64) {
	if a.mask != nil {
		return a.mask.box()
	}
	return a.box.X1, a.box.X2, a.box.Y1, a.box.Y2
}

// lungArea is the side's ("right", "left") lung: its mask when it has anatomy, else the first
// box of the zone "<side> lung".
func lungArea(zs []zone, side string) area {
	var a area
	for _, z := range zs {
		switch {
		case z.mask != nil && z.name == side+" lung (mask)" && !z.mask.bounds.Empty():
			return area{mask: z.mask}
		case z.mask == nil && z.name == side+" lung" && len(z.boxes) > 0:
			a.box = &z.boxes[0]
		}
	}
	return a
}

// covered is the share of the area within the ellipse of radii rx, ry (DICOM pixels) around an
// on-image fixation, sampled on a grid of a quarter radius over its bounding box (a mask's grid
// points outside the anatomy not counted). NaN without an area.
func covered(a area, fixes []fixation, rx, ry float64) float64 {
	if a.source() == "" || !(rx > 0) || !(ry > 0) {
		return math.NaN()
	}
	x1, x2, y1, y2 := a.bounds()
	near := within(fixes, x1-rx, x2+rx, y1-ry, y2+ry)
	nx := max(1, int(math.Ceil((x2-x1)/(rx/4))))
	ny := max(1, int(math.Ceil((y2-y1)/(ry/4))))
	in, all := 0, 0
	for j := range ny {
		y := y1 + (float64(j)+0.5)*(y2-y1)/float64(ny)
		for i := range nx {
			x := x1 + (float64(i)+0.5)*(x2-x1)/float64(nx)
			if a.mask != nil && !a.mask.at(x, y) {
				continue
			}
			all++
			if nearAny(near, x, y, rx, ry) {
				in++
			}
		}
	}
	if all == 0 {
		return math.NaN()
	}
	return float64(in) / float64(all)
}

// within is the on-image fixations inside the box x1 ≤ X ≤ x2, y1 ≤ Y ≤ y2.
func within(fixes []fixation, x1, x2, y1, y2 float64) []fixation {
	var out []fixation
	for _, f := range fixes {
		x, y := float64(f.X), float64(f.Y)
		if f.X >= 0 && f.Y >= 0 && x >= x1 && x <= x2 && y >= y1 && y <= y2 {
			out = append(out, f)
		}
	}
	return out
}

// nearAny reports whether (x, y) is within the ellipse of radii rx, ry around one of fixes.
func nearAny(fixes []fixation, x, y, rx, ry float64) bool {
	for _, f := range fixes {
		dx, dy := (x-float64(f.X))/rx, (y-float64(f.Y))/ry
		if dx*dx+dy*dy <= 1 {
			return true
		}
	}
	return false
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
