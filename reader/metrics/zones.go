package metrics

import (
	"math"
	"strconv"
	"strings"

	"sightline/reader/export"
	"sightline/reader/stage"
	"sightline/reader/study"
)

// zone is an anatomical zone of an image: its name and its boxes in bounding_boxes.csv (none
// when the anatomy is out of the field of view or the dataset has no boxes), or its mask.
type zone struct {
	name  string
	boxes []study.Box
	mask  *mask
	major bool // one of study.ZoneNames
}

// present is whether the image has the zone: a box, or a mask with some anatomy.
func (z zone) present() bool {
	if z.mask != nil {
		return !z.mask.bounds.Empty()
	}
	return len(z.boxes) > 0
}

// source is where the zone comes from, zones.csv's source column.
func (z zone) source() string {
	if z.mask != nil {
		return "mask"
	}
	return "box"
}

// zonesOf lists the 17 zones in study.ZoneNames order, then any other name the image's boxes use.
func zonesOf(boxes []study.Box) []zone {
	zs := make([]zone, 0, len(study.ZoneNames))
	at := map[string]int{}
	for _, n := range study.ZoneNames {
		at[n] = len(zs)
		zs = append(zs, zone{name: n, major: true})
	}
	for _, b := range boxes {
		i, ok := at[b.Name]
		if !ok {
			i = len(zs)
			at[b.Name] = i
			zs = append(zs, zone{name: b.Name})
		}
		zs[i].boxes = append(zs[i].boxes, b)
	}
	return zs
}

// inside reports whether DICOM pixel (x, y) is anatomy of the zone's mask, or in one of its
// boxes (inclusive, as the reference's fixations-vs-anatomy count, docs/FORMATS.md §2).
func (z zone) inside(x, y float64) bool {
	if z.mask != nil {
		return z.mask.at(x, y)
	}
	for _, b := range z.boxes {
		if b.X1 <= x && x <= b.X2 && b.Y1 <= y && y <= b.Y2 {
			return true
		}
	}
	return false
}

// hits is, for each fixation of a read, which zones it falls in: hits[f][z].
type hits [][]bool

func hitsOf(fixes []fixation, zs []zone) hits {
	h := make(hits, len(fixes))
	for i, f := range fixes {
		h[i] = make([]bool, len(zs))
		if f.X < 0 || f.Y < 0 {
			continue
		}
		for k, z := range zs {
			h[i][k] = z.inside(float64(f.X), float64(f.Y))
		}
	}
	return h
}

// ZonesHeader is zones.csv's header (docs/FORMATS.md §12).
var ZonesHeader = []string{"dicom_id", "SESSION_ID", "reader", "zone", "source", "present", "fixated", "ttff_s", "dwell_s", "visits", "fixations"}

// zoneRows measures each zone over one read. A fixation starts at Time − FPOGD; its duration is
// FPOGD. A visit is a run of consecutive fixations in the zone.
func zoneRows(dicomID string, sc screen, zs []zone, h hits) [][]string {
	out := make([][]string, 0, len(zs))
	for k, z := range zs {
		var (
			n, visits int
			dwell     float64
			ttff      = math.NaN()
			in        bool
		)
		for i, f := range sc.Fixations {
			if !h[i][k] {
				in = false
				continue
			}
			if !in {
				visits++
			}
			in = true
			n++
			dwell += f.FPOGD
			if math.IsNaN(ttff) {
				ttff = max(f.Time-f.FPOGD, 0)
			}
		}
		out = append(out, []string{dicomID, sc.SessionID, sc.Reader, z.name, z.source(), bit(z.present()), bit(n > 0),
			sec(ttff), sec(dwell), strconv.Itoa(visits), strconv.Itoa(n)})
	}
	return out
}

// geometry is an image's size in DICOM pixels and how many DICOM pixels one stage pixel spans.
type geometry struct {
	ok            bool
	W, H          float64
	perX, perY    float64 // DICOM pixels per stage pixel
	fitted        bool    // estimated from the fixations, not recorded
	left, top     float64 // pads, stage pixels
	right, bottom float64
}

// geometryOf finds an image's geometry: its recorded size (an export's screens.csv) with the
// pads of master_sheet.csv (which, in an export, describe the drawn rectangle); else, for the
// published dataset, a fit of the reference's own mapping X_ORIGINAL = s·(FPOGX·1920 − left)
// (docs/FORMATS.md §3) through the image's fixations, which gives s = DICOM pixels per stage
// pixel and W = s·(1920 − left − right) without the DICOM.
func geometryOf(s *study.Study, c study.Case, sizes map[string]export.Size, reads []screen) geometry {
	var pads [4]float64
	padsOK := true
	for i, col := range study.PadColumns {
		v, ok := field(s, c, col)
		if !ok {
			padsOK = false
			break
		}
		pads[i] = v
	}
	g := geometry{top: pads[0], bottom: pads[1], left: pads[2], right: pads[3]}
	if sz, ok := sizes[c.DicomID]; ok {
		if !padsOK {
			l := stage.Fit(sz.W, sz.H)
			g.top, g.bottom, g.left, g.right = float64(l.Top), float64(l.Bottom), float64(l.Left), float64(l.Right)
		}
		g.W, g.H = float64(sz.W), float64(sz.H)
		g.perX = g.W / (stage.Width - g.left - g.right)
		g.perY = g.H / (stage.Height - g.top - g.bottom)
		g.ok = g.perX > 0 && g.perY > 0 && !math.IsInf(g.perX, 0) && !math.IsInf(g.perY, 0)
		return g
	}
	if !padsOK {
		return g
	}
	var sxu, suu, syv, svv float64
	n := 0
	for _, r := range reads {
		for _, f := range r.Fixations {
			u, v := f.FPOGX*stage.Width-g.left, f.FPOGY*stage.Height-g.top
			if f.X < 0 || f.Y < 0 || !(u > 1) || !(v > 1) {
				continue
			}
			sxu += float64(f.X) * u
			suu += u * u
			syv += float64(f.Y) * v
			svv += v * v
			n++
		}
	}
	if n < 3 {
		return g
	}
	g.perX, g.perY = sxu/suu, syv/svv
	g.W = math.Round(g.perX * (stage.Width - g.left - g.right))
	g.H = math.Round(g.perY * (stage.Height - g.top - g.bottom))
	g.fitted = true
	g.ok = g.W >= 1 && g.H >= 1
	return g
}

// field reads a number of a case's master_sheet.csv row.
func field(s *study.Study, c study.Case, col string) (float64, bool) {
	for i, h := range s.Header {
		if h == col && i < len(c.Fields) {
			v, err := strconv.ParseFloat(strings.TrimSpace(c.Fields[i]), 64)
			return v, err == nil && v >= 0
		}
	}
	return 0, false
}

// radii is deg degrees of visual angle in DICOM pixels along x and y.
func (g geometry) radii(cfg Config, deg float64) (rx, ry float64) {
	fx, fy := cfg.Viewing.DegreesToFraction(deg)
	return fx * stage.Width * g.perX, fy * stage.Height * g.perY
}
