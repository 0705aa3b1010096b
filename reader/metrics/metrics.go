// Package metrics computes derived products of a gaze dataset in the EGD-CXR layout (an export
// of ours or the published dataset): per-zone fixation measures, coverage and scanpath length,
// inter-reader agreement of fixation maps, and the fixations of each reporting moment
// (docs/FORMATS.md §12).
package metrics

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"

	"sightline/reader/analysis"
	"sightline/reader/export"
	"sightline/reader/study"
	"sightline/reader/transcript"
	"sightline/tracker"
)

// Output files, in Config.Out.
const (
	ZonesFile     = "zones.csv"
	CoverageFile  = "coverage.csv"
	AgreementFile = "agreement.csv"
	MomentsFile   = "moments.csv"
)

// Config is a metrics run.
type Config struct {
	Dir string // the dataset folder
	Out string // where the tables go (created)
	// Viewing converts between degrees and pixels; the zero value means tracker.PaperViewing.
	Viewing tracker.Viewing
	// RadiusDeg is the coverage radius around a fixation (0: 1°); SigmaDeg the Gaussian of the
	// agreement's fixation maps (0: 1°); WindowS the reporting moment before a phrase (0: 2 s).
	RadiusDeg, SigmaDeg, WindowS float64
	// Workers is how many images are worked on at once (0: GOMAXPROCS).
	Workers int
	// Progress, when not nil, is told after each image: images done and in all. It is called
	// from Run's goroutine.
	Progress func(done, total int)
}

// Result says what a run found and wrote.
type Result struct {
	Images, Screens, Pairs, Phrases int
	Masks                           int      // anatomy masks read (zones of their own)
	Written                         []string // files written, relative to Config.Out
	Notes                           []string // what could not be computed, and why
}

// screen is one read of an image: a session's fixations on it, with its reader.
type screen struct {
	analysis.Screen
	Reader string
}

// image is a case of the dataset with every read of it.
type image struct {
	c       study.Case
	boxes   []study.Box
	geom    geometry
	screens []screen
}

// rows are one image's output rows, in the tables' column order.
type rows struct {
	zones, coverage, agreement, moments [][]string
	phrases, masks                      int
	notes                               []string
}

// Run computes the four tables for the dataset in cfg.Dir and writes them to cfg.Out.
// Required: master_sheet.csv and fixations.csv; bounding_boxes.csv gives the zones, screens.csv
// the image sizes, sessions.csv the readers, and the transcripts the reporting moments (each
// part left empty, with a note, when its input is absent). Errors name the file and line.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.defaults(); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	in, err := load(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return nil, fmt.Errorf("metrics: output folder: %w", err)
	}
	res := &Result{Images: len(in.images), Notes: in.notes}
	out, err := compute(ctx, cfg, in)
	if err != nil {
		return nil, err
	}
	all := rows{}
	for _, r := range out {
		all.zones = append(all.zones, r.zones...)
		all.coverage = append(all.coverage, r.coverage...)
		all.agreement = append(all.agreement, r.agreement...)
		all.moments = append(all.moments, r.moments...)
		res.Phrases += r.phrases
		res.Masks += r.masks
		res.Notes = append(res.Notes, r.notes...)
	}
	for _, im := range in.images {
		res.Screens += len(im.screens)
	}
	res.Pairs = len(all.agreement) / 2
	for _, t := range []struct {
		name   string
		header []string
		rows   [][]string
	}{
		{ZonesFile, ZonesHeader, all.zones}, {CoverageFile, CoverageHeader, all.coverage},
		{AgreementFile, AgreementHeader, all.agreement}, {MomentsFile, MomentsHeader, all.moments},
	} {
		if err := writeTable(filepath.Join(cfg.Out, t.name), t.header, t.rows); err != nil {
			return nil, fmt.Errorf("metrics: %w", err)
		}
		res.Written = append(res.Written, t.name)
	}
	return res, nil
}

func (cfg *Config) defaults() error {
	if cfg.Viewing == (tracker.Viewing{}) {
		cfg.Viewing = tracker.PaperViewing()
	}
	if err := cfg.Viewing.Validate(); err != nil {
		return fmt.Errorf("viewing geometry: %w", err)
	}
	for _, p := range []struct {
		v    *float64
		def  float64
		what string
	}{{&cfg.RadiusDeg, 1, "coverage radius"}, {&cfg.SigmaDeg, 1, "map sigma"}, {&cfg.WindowS, 2, "moment window"}} {
		if *p.v == 0 {
			*p.v = p.def
		}
		if !(*p.v > 0) || math.IsInf(*p.v, 0) {
			return fmt.Errorf("%s %v, want a positive number", p.what, *p.v)
		}
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	return nil
}

// compute works on the images cfg.Workers at a time and returns their rows in image order.
func compute(ctx context.Context, cfg Config, in *input) ([]rows, error) {
	out := make([]rows, len(in.images))
	next := make(chan int)
	done := make(chan int)
	var wg sync.WaitGroup
	for range cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i] = in.image(cfg, in.images[i])
				done <- i
			}
		}()
	}
	go func() {
		defer close(next)
		for i := range in.images {
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(done) }()
	n := 0
	for range done {
		n++
		if cfg.Progress != nil {
			cfg.Progress(n, len(in.images))
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// input is a dataset read: its images with their reads, and what the sidecars of an export add.
type input struct {
	dir     string
	images  []*image
	offsets map[export.ScreenKey]float64 // audio start on the screen's clock (exports)
	firstOf map[string]string            // dicom_id → the SESSION_ID whose audio is in TranscriptsDir
	notes   []string
}

func load(dir string) (*input, error) {
	s, err := study.Load(dir)
	if err != nil {
		return nil, err
	}
	name := filepath.Join(dir, analysis.FixationsFile)
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("fixations: %w", err)
	}
	scs, err := analysis.ReadFixations(f, name)
	f.Close()
	if err != nil {
		return nil, err
	}
	sizes, _, err := export.ImageSizes(dir)
	if err != nil {
		return nil, err
	}
	readers, _, err := export.SessionReaders(dir)
	if err != nil {
		return nil, err
	}
	in := &input{dir: dir, firstOf: map[string]string{}}
	if in.offsets, err = export.AudioOffsets(dir); err != nil {
		return nil, err
	}
	if len(s.Boxes) == 0 {
		in.note("zones: no %s: every zone is absent", study.BoundingBoxes)
	}
	byID := map[string]*image{}
	for _, sc := range scs {
		c, ok := s.Case(sc.DicomID)
		if !ok {
			continue // a calibration screen
		}
		im := byID[sc.DicomID]
		if im == nil {
			im = &image{c: c, boxes: s.Boxes[sc.DicomID]}
			byID[sc.DicomID] = im
		}
		im.screens = append(im.screens, screen{Screen: sc, Reader: readers[sc.SessionID]})
		if first, ok := in.firstOf[sc.DicomID]; !ok || lessSession(sc.SessionID, first) {
			in.firstOf[sc.DicomID] = sc.SessionID
		}
	}
	for _, c := range s.Cases {
		im := byID[c.DicomID]
		if im == nil {
			continue
		}
		im.geom = geometryOf(s, c, sizes, im.screens)
		if !im.geom.ok {
			in.note("%s: image size unknown (no screens.csv row, too few fixations on the image to fit it): coverage and agreement left empty", c.DicomID)
		}
		in.images = append(in.images, im)
	}
	if len(in.images) == 0 {
		in.note("no fixations on any case of %s", study.MasterSheet)
	}
	return in, nil
}

func (in *input) note(format string, a ...any) {
	in.notes = append(in.notes, fmt.Sprintf(format, a...))
}

// lessSession orders SESSION_IDs as numbers when both are, else as strings.
func lessSession(a, b string) bool {
	x, err1 := strconv.Atoi(a)
	y, err2 := strconv.Atoi(b)
	if err1 == nil && err2 == nil {
		return x < y
	}
	return a < b
}

// image computes every table's rows for one image.
func (in *input) image(cfg Config, im *image) rows {
	var r rows
	masks, notes := in.masksOf(im)
	defer releaseMasks(masks)
	zs := append(zonesOf(im.boxes), masks...)
	r.notes, r.masks = append(r.notes, notes...), len(masks)
	for _, sc := range im.screens {
		hits := hitsOf(sc.Fixations, zs)
		r.zones = append(r.zones, zoneRows(im.c.DicomID, sc, zs, hits)...)
		r.coverage = append(r.coverage, coverageRow(cfg, im, sc, zs, hits))
		m, err := in.momentRows(cfg, im.c.DicomID, sc, zs, hits)
		if err != nil {
			r.notes = append(r.notes, err.Error())
		}
		r.moments = append(r.moments, m...)
		r.phrases += len(m)
	}
	r.agreement = agreementRows(cfg, im)
	return r
}

// transcriptOf reads the transcript of one read: audio_by_session/<SESSION_ID>/<dicom_id>/ in an
// export, else audio_segmentation_transcripts/<dicom_id>/ when that read is the one whose audio
// the dataset keeps there (the first session's). nil when there is none.
func (in *input) transcriptOf(sc screen) (*transcript.Transcript, error) {
	paths := []string{filepath.Join(in.dir, export.AudioBySessionDir, sc.SessionID, sc.DicomID, export.TranscriptFile)}
	if in.firstOf[sc.DicomID] == sc.SessionID {
		paths = append(paths, filepath.Join(in.dir, export.TranscriptsDir, sc.DicomID, export.TranscriptFile))
	}
	for _, p := range paths {
		f, err := os.Open(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		t, err := transcript.Read(f, p)
		f.Close()
		return t, err
	}
	return nil, nil
}
