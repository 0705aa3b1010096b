package analysis

import (
	"slices"

	"sightline/reader/study"
)

// Condition names as the reference's per-image table writes them, and the comparisons of its
// p-value table, in its order (docs/FORMATS.md §2).
const (
	Normal    = "normal"
	CHF       = "CHF"
	Pneumonia = "pneumonia"
	// Diseased groups CHF and pneumonia for the normal-vs-diseased test on totals.
	Diseased = "diseased"
)

// Comparisons are the p-value table's rows: group A vs group B.
var Comparisons = [][2]string{{Normal, Pneumonia}, {Normal, CHF}, {Pneumonia, CHF}}

// DurationRows are the rows of the duration table: its Condition label and the condition.
var DurationRows = [][2]string{{"Normal", Normal}, {"Pneumonia", Pneumonia}, {"CHF", CHF}}

// ComparisonName is a comparison's label in the table: "normal vs pneumonia".
func ComparisonName(c [2]string) string { return c[0] + " vs " + c[1] }

// ImageCounts is one viewed image's row of fixations_vs_bounding_boxes.csv, with what the other
// tables need.
type ImageCounts struct {
	DicomID   string
	Condition string    // study.Case.Condition: normal, CHF, pneumonia ("" or joined when not one)
	Counts    []int     // fixations inside each box, Anatomy.Boxes order
	Durations []float64 // summed durations of those fixations, seconds
	Fixations int       // every fixation row of the image, off-image ones included
	BoxSum    int       // Σ Counts: the reference's per-image "total" (boxes overlap)
}

// Anatomy is the fixations-vs-anatomy analysis (docs/FORMATS.md §2).
type Anatomy struct {
	Boxes  []string      // every bbox_name of bounding_boxes.csv, sorted (numpy's np.unique)
	Images []ImageCounts // the cases with fixations, in master_sheet order
	// Cases and MeanDuration are per condition: the number of images, and per box the summed
	// fixation durations ÷ that number (NaN with no images).
	Cases        map[string]int
	MeanDuration map[string][]float64
	// Student and Welch are the per-box tests, [comparison][box] in Comparisons and Boxes order.
	Student, Welch [][]TTest
	// Totals are the tests on per-image totals.
	Totals []TotalTest
}

// TotalTest is a test on a per-image total.
type TotalTest struct {
	Measure        string // "fixations" (all the image's fixations) or "box sum" (the reference's)
	A, B           string // conditions; B may be Diseased
	Student, Welch TTest
}

// Anatomize counts, for every case of s that has fixations, the fixations inside each of its
// boxes: a fixation hits a box when x1 ≤ X ≤ x2 and y1 ≤ Y ≤ y2 (inclusive; X_ORIGINAL,
// Y_ORIGINAL, fixations off the image excluded). A box listed twice for an image counts twice,
// as in the reference; a box missing for an image counts 0. A fixation's duration is Time(i) −
// Time(i−1) within its screen and Time(i) for the screen's first. Screens of one image in
// several runs (sessions) are pooled. The reference truncated box coordinates to integers
// first; with the dataset's integral coordinates that is the same test.
func Anatomize(s *study.Study, screens []Screen) *Anatomy {
	a := &Anatomy{Cases: map[string]int{}, MeanDuration: map[string][]float64{}}
	seen := map[string]bool{}
	for _, bs := range s.Boxes {
		for _, b := range bs {
			if !seen[b.Name] {
				seen[b.Name] = true
				a.Boxes = append(a.Boxes, b.Name)
			}
		}
	}
	slices.Sort(a.Boxes)
	col := make(map[string]int, len(a.Boxes))
	for i, n := range a.Boxes {
		col[n] = i
	}
	byImage := map[string][]Screen{}
	for _, sc := range screens {
		byImage[sc.DicomID] = append(byImage[sc.DicomID], sc)
	}
	for _, c := range s.Cases {
		scs, ok := byImage[c.DicomID]
		if !ok {
			continue
		}
		im := ImageCounts{DicomID: c.DicomID, Condition: c.Condition,
			Counts: make([]int, len(a.Boxes)), Durations: make([]float64, len(a.Boxes))}
		boxes := s.Boxes[c.DicomID]
		for _, sc := range scs {
			for i, f := range sc.Fixations {
				im.Fixations++
				dur := f.Time
				if i > 0 {
					dur = f.Time - sc.Fixations[i-1].Time
				}
				if f.X < 0 || f.Y < 0 {
					continue
				}
				x, y := float64(f.X), float64(f.Y)
				for _, b := range boxes {
					if b.X1 <= x && x <= b.X2 && b.Y1 <= y && y <= b.Y2 {
						k := col[b.Name]
						im.Counts[k]++
						im.Durations[k] += dur
					}
				}
			}
		}
		for _, n := range im.Counts {
			im.BoxSum += n
		}
		a.Images = append(a.Images, im)
		a.Cases[im.Condition]++
	}
	for _, r := range DurationRows {
		cond := r[1]
		sum := make([]float64, len(a.Boxes))
		for _, im := range a.Images {
			if im.Condition == cond {
				for k, d := range im.Durations {
					sum[k] += d
				}
			}
		}
		for k := range sum {
			sum[k] /= float64(a.Cases[cond]) // NaN (0/0) with no cases
		}
		a.MeanDuration[cond] = sum
	}
	a.Student = make([][]TTest, len(Comparisons))
	a.Welch = make([][]TTest, len(Comparisons))
	for ci, cmp := range Comparisons {
		for k := range a.Boxes {
			get := func(im ImageCounts) float64 { return float64(im.Counts[k]) }
			x, y := a.group(cmp[0], get), a.group(cmp[1], get)
			a.Student[ci] = append(a.Student[ci], Student(x, y))
			a.Welch[ci] = append(a.Welch[ci], Welch(x, y))
		}
	}
	measures := []struct {
		name string
		get  func(ImageCounts) float64
	}{
		{"fixations", func(im ImageCounts) float64 { return float64(im.Fixations) }},
		{"box sum", func(im ImageCounts) float64 { return float64(im.BoxSum) }},
	}
	for _, m := range measures {
		for _, cmp := range append(slices.Clone(Comparisons), [2]string{Normal, Diseased}) {
			x, y := a.group(cmp[0], m.get), a.group(cmp[1], m.get)
			a.Totals = append(a.Totals, TotalTest{Measure: m.name, A: cmp[0], B: cmp[1], Student: Student(x, y), Welch: Welch(x, y)})
		}
	}
	return a
}

// group is get of every image of the condition, in table order; Diseased is CHF and pneumonia.
func (a *Anatomy) group(cond string, get func(ImageCounts) float64) []float64 {
	var out []float64
	for _, im := range a.Images {
		if im.Condition == cond || (cond == Diseased && (im.Condition == CHF || im.Condition == Pneumonia)) {
			out = append(out, get(im))
		}
	}
	return out
}
