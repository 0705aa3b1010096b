// Package qareport writes a study's QA report without a window: qa.csv (one row per case
// folder: measurements, decision, reviewer, time, note) and a printable HTML page per session
// — a self-contained folder (index.html, a page per session, its pictures) with a thumbnail of
// the replay's last frame and a heatmap per case, and the problems listed first.
package qareport

import (
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"sightline/reader/atomicfile"
	"sightline/reader/heatmap"
	"sightline/reader/metrics"
	"sightline/reader/qa"
	"sightline/reader/qavideo"
	"sightline/reader/review"
	"sightline/reader/session"
	"sightline/reader/stage"
	"sightline/reader/study"
	"sightline/tracker"
)

// CSVFile is the report's (and the export's) table of cases.
const CSVFile = "qa.csv"

// ThumbWidth is the width of a case's thumbnail in pixels: twice what a printed page shows, so
// that it prints sharp.
const ThumbWidth = 640

// Options tune the report.
type Options struct {
	// Verdicts are the study's verdict rows (review.Store.Verdicts); nil: nothing decided.
	Verdicts []review.Verdict
	// Store names where the verdicts came from, for the pages ("" : no store).
	Store string
	// Chain is the review store's history verification in one line (review.ChainReport),
	// shown beside Store ("" : not verified).
	Chain string
	// Now stamps the report (default time.Now).
	Now func() time.Time
	// Progress is told each case as it is done.
	Progress func(session, caseName string)
}

// Summary says what the report holds.
type Summary struct {
	Dir      string
	Sessions int
	Cases    int
	Decided  int
	// Faulty counts the cases with a problem or a failed checklist item.
	Faulty int
	// Unreadable are the session folders that could not be opened, with why.
	Unreadable []string
}

// recordedSessions lists the study's session folders that hold a session.json, by name.
func recordedSessions(studyDir string) ([]string, error) {
	ids, err := study.SessionIDs(studyDir)
	var out []string
	for _, id := range ids {
		if _, err := os.Stat(filepath.Join(study.SessionDir(studyDir, id), session.StateFile)); err == nil {
			out = append(out, id)
		}
	}
	return out, err
}

// caseReport is one case on its session's page.
type caseReport struct {
	qa.Row
	Anchor    string
	Thumb     string // picture paths relative to the pages; "" when none
	Heat      string
	ImageNote string // why the picture lacks the image, when it does
	Faults    int
	Checks    []checkItem
	// NeverFixated are the zones of the image's boxes no fixation of the read fell in
	// (metrics.NeverFixated); Zoned is false when the study has no boxes for the image.
	NeverFixated []string
	Zoned        bool
	points       []metrics.Point // the read's fixations in DICOM pixels, for the agreement
}

// agreementLine is one ordered reader pair's agreement on an image read by several readers.
type agreementLine struct {
	DicomID string
	metrics.Pair
}

type checkItem struct {
	Name string
	Mark qa.ItemMark // from the verdict when decided, else from the measurements
}

// sessionReport is one session's page.
type sessionReport struct {
	ID       string
	Page     string
	Opened   *session.Opened
	Err      string
	Cases    []*caseReport
	Problems []problemLine
	Decided  int
	Faulty   int
}

type problemLine struct {
	Anchor string // the case's, "" for the session's own
	Case   string
	Text   string
}

// Write writes the QA report of the study at studyDir into outDir (created; files of an
// earlier report are replaced). A session or case that cannot be read is named in the report
// and the rest is written; the error is for a report that cannot be written at all.
func Write(ctx context.Context, studyDir, outDir string, opt Options) (Summary, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	sum := Summary{Dir: outDir}
	ids, err := recordedSessions(studyDir)
	if err != nil {
		return sum, err
	}
	if err := os.MkdirAll(filepath.Join(outDir, imgDir), 0o755); err != nil {
		return sum, fmt.Errorf("report folder: %w", err)
	}
	imgs := qavideo.NewImages(studyDir)
	var boxes map[string][]study.Box
	if st, err := study.Load(studyDir); err == nil {
		boxes = st.Boxes
	}
	// Every final read's fixations by image and reader, for the inter-reader agreement.
	reads := map[string]map[string][]metrics.Point{}
	layouts := map[string]stage.Layout{}
	latest := review.LatestVerdicts(opt.Verdicts)
	var (
		rows     []qa.Row
		sessions []*sessionReport
	)
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		sr := &sessionReport{ID: id, Page: pageName(id)}
		sessions = append(sessions, sr)
		o, err := session.Open(study.SessionDir(studyDir, id))
		if err != nil {
			sr.Err = err.Error()
			sum.Unreadable = append(sum.Unreadable, id+": cannot be opened: "+err.Error())
			continue
		}
		sr.Opened = o
		for _, p := range o.Problems {
			sr.Problems = append(sr.Problems, problemLine{Text: p.String()})
		}
		var ms []qa.Measures
		for i, c := range qa.Cases(o) {
			if err := ctx.Err(); err != nil {
				return sum, err
			}
			cr, err := reportCase(o, c, i, id, outDir, latest, imgs)
			if err != nil {
				return sum, err
			}
			if bs, ok := boxes[c.Screen.DicomID]; ok && c.Screen.Kind == session.KindCase && cr.points != nil {
				cr.Zoned, cr.NeverFixated = true, metrics.NeverFixated(bs, cr.points)
			}
			if c.Final() && c.Screen.Kind == session.KindCase && cr.points != nil && c.HasLayout {
				if reads[c.Screen.DicomID] == nil {
					reads[c.Screen.DicomID] = map[string][]metrics.Point{}
				}
				r := o.State.Reader
				reads[c.Screen.DicomID][r] = append(reads[c.Screen.DicomID][r], cr.points...)
				layouts[c.Screen.DicomID] = c.Layout.Layout
			}
			sr.Cases = append(sr.Cases, cr)
			ms = append(ms, cr.Measures)
			rows = append(rows, cr.Row)
			if cr.Faults > 0 {
				sr.Faulty++
			}
			if opt.Progress != nil {
				opt.Progress(id, c.Name)
			}
		}
		sr.Decided = qa.SessionProgress(o, id, latest).Decided // as the review's session list counts
		// The review view's order (qa.Order): failed first, then the most faults.
		inOrder := make([]*caseReport, 0, len(sr.Cases))
		for _, i := range qa.Order(id, ms, latest) {
			cr := sr.Cases[i]
			inOrder = append(inOrder, cr)
			// The findings the index counts and the window lists (qa.Measures.Findings); the
			// case is named by the link: its folder need not be said again.
			for _, f := range cr.Measures.Findings() {
				text := strings.TrimPrefix(f, session.CasesDir+"/"+cr.Case+"/")
				text = strings.TrimPrefix(text, session.CasesDir+"/"+cr.Case+": ")
				sr.Problems = append(sr.Problems, problemLine{Anchor: cr.Anchor, Case: cr.Case, Text: text})
			}
		}
		sr.Cases = inOrder
		sum.Sessions++
		sum.Cases += len(sr.Cases)
		sum.Decided += sr.Decided
		sum.Faulty += sr.Faulty
	}
	if err := atomicfile.Write(filepath.Join(outDir, CSVFile), func(w io.Writer) error { return qa.WriteCSV(w, rows) }); err != nil {
		return sum, fmt.Errorf("write %s: %w", CSVFile, err)
	}
	agreement := agreementLines(reads, layouts)
	if err := writePages(outDir, studyDir, sessions, sum, agreement, opt); err != nil {
		return sum, err
	}
	return sum, nil
}

// reportCase measures case c (number i of its session) and draws its pictures.
func reportCase(o *session.Opened, c *session.Case, i int, id, outDir string, latest map[review.CaseKey]review.Verdict, imgs *qavideo.Images) (*caseReport, error) {
	m := qa.Measure(o, c)
	r, err := qa.Load(o, c, qa.Options{})
	if err != nil {
		m.Problems = append(slices.Clip(m.Problems), session.Problem{Kind: session.ProblemMalformed, Message: err.Error()})
	} else {
		m.Add(r)
	}
	cr := &caseReport{Row: qa.Rows(id, []qa.Measures{m}, latest)[0], Anchor: fmt.Sprintf("c%d", i)}
	cr.Faults = m.Faults()
	marks := m.Prefill()
	if cr.Verdict != nil {
		cl := cr.Verdict.Checklist
		for i, ok := range []bool{cl.FilesWhole, cl.AudioOK, cl.NoAbruptStop, cl.GazeValid, cl.CalibrationGood} {
			marks[i] = qa.Unmet
			if ok {
				marks[i] = qa.Met
			}
		}
	}
	for i, it := range qa.Items {
		cr.Checks = append(cr.Checks, checkItem{strings.ToLower(it.Name[:1]) + it.Name[1:], marks[i]})
	}
	if r == nil {
		return cr, nil
	}
	if c.HasLayout {
		cr.points = []metrics.Point{}
		for _, f := range r.Fixations {
			x, y, in := c.Layout.Layout.ToDICOM(f.X, f.Y)
			if !in {
				x, y = -1, -1
			}
			cr.points = append(cr.points, metrics.Point{X: x, Y: y})
		}
	}
	img, l, note := imgs.Case(c)
	cr.ImageNote = note
	base := filepath.ToSlash(filepath.Join(imgDir, fileName(id), fileName(c.Name)))
	if err := os.MkdirAll(filepath.Join(outDir, filepath.Dir(base)), 0o755); err != nil {
		return nil, err
	}
	p, err := qavideo.NewPainter(r, img, l, ThumbWidth)
	if err != nil {
		return nil, err
	}
	thumb := image.NewRGBA(image.Rect(0, 0, p.W, p.H))
	p.Paint(thumb, r.At(r.End))
	if err := writeJPEG(filepath.Join(outDir, base+"-replay.jpg"), thumb); err != nil {
		return nil, err
	}
	cr.Thumb = base + "-replay.jpg"
	if c.Screen.Kind == session.KindCase {
		heat, err := heatPicture(r, img, l)
		if err != nil {
			cr.ImageNote = strings.TrimPrefix(cr.ImageNote+"; heatmap: "+err.Error(), "; ")
		} else {
			if err := writeJPEG(filepath.Join(outDir, base+"-heatmap.jpg"), heat); err != nil {
				return nil, err
			}
			cr.Heat = base + "-heatmap.jpg"
		}
	}
	return cr, nil
}

// agreementLines compares, for each image read by two readers or more, their fixation maps
// (metrics.Agreement, σ = 1° of the paper's viewing geometry through the image's layout), in
// image order.
func agreementLines(reads map[string]map[string][]metrics.Point, layouts map[string]stage.Layout) []agreementLine {
	ids := make([]string, 0, len(reads))
	for id, byReader := range reads {
		if len(byReader) > 1 {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	fx, fy := tracker.PaperViewing().DegreesToFraction(1)
	var out []agreementLine
	for _, id := range ids {
		l := layouts[id]
		dw, dh := float64(stage.Width-l.Left-l.Right), float64(stage.Height-l.Top-l.Bottom)
		if dw <= 0 || dh <= 0 {
			continue
		}
		sx, sy := fx*stage.Width*float64(l.W)/dw, fy*stage.Height*float64(l.H)/dh
		for _, p := range metrics.Agreement(float64(l.W), float64(l.H), sx, sy, reads[id]) {
			out = append(out, agreementLine{DicomID: id, Pair: p})
		}
	}
	return out
}

// heatHeight is a heatmap picture's height in pixels.
const heatHeight = 480

// heatPicture is the case's fixations as a heatmap over the image as drawn (black without
// one): duration-weighted, blurred with the reference's σ, shown where fixations fell.
func heatPicture(r *qa.Replay, img image.Image, l stage.Layout) (*image.RGBA, error) {
	rect := l.Rect()
	if rect.Dx() <= 0 || rect.Dy() <= 0 {
		return nil, fmt.Errorf("no drawn rectangle in the layout")
	}
	h := heatHeight
	w := max(1, int(math.Round(float64(h)*float64(rect.Dx())/float64(rect.Dy()))))
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	if img != nil {
		xdrawScale(out, img)
	}
	var fix []heatmap.Fixation
	for _, f := range r.Fixations {
		x := (f.X*stage.Width - float64(rect.Min.X)) / float64(rect.Dx()) * float64(w)
		y := (f.Y*stage.Height - float64(rect.Min.Y)) / float64(rect.Dy()) * float64(h)
		if x < 0 || y < 0 || x >= float64(w) || y >= float64(h) {
			continue
		}
		fix = append(fix, heatmap.Fixation{X: int(x), Y: int(y), Duration: f.Duration().Seconds()})
	}
	// The reference's σ is 150 DICOM pixels.
	sigma := heatmap.DefaultSigma * float64(w) / float64(max(l.W, 1))
	if l.W <= 0 {
		sigma = heatmap.DefaultSigma * float64(w) / float64(rect.Dx())
	}
	m, _, err := heatmap.Density(fix, w, h, heatmap.Options{Sigma: sigma, WeightByDuration: true})
	if err != nil {
		return nil, err
	}
	var top float32
	for _, v := range m {
		top = max(top, v)
	}
	if top <= 0 {
		return out, nil
	}
	for i, v := range m {
		a := 0.8 * float64(v/top)
		if a < 0.02 {
			continue
		}
		c := heatmap.Viridis[min(255, int(256*v/top))]
		p := out.Pix[4*i:]
		p[0] = uint8(float64(p[0])*(1-a) + float64(c.R)*a)
		p[1] = uint8(float64(p[1])*(1-a) + float64(c.G)*a)
		p[2] = uint8(float64(p[2])*(1-a) + float64(c.B)*a)
		p[3] = 255
	}
	for i := 3; i < len(out.Pix); i += 4 {
		out.Pix[i] = 255
	}
	return out, nil
}

func writeJPEG(path string, img image.Image) error {
	return atomicfile.Write(path, func(w io.Writer) error { return jpeg.Encode(w, img, &jpeg.Options{Quality: 85}) })
}
