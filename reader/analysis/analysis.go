// Package analysis reproduces the technical validation of the EGD-CXR paper (docs/FORMATS.md §2) on a
// dataset in its layout: the calibration error, the transcripts' Type-B error, fixations vs
// anatomy with Student's (and Welch's) t-tests, per-screen data quality, and the paper's
// Figures 11 and 12. The tables the reference code wrote keep its names and shapes.
package analysis

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"sightline/reader/study"
	"sightline/reader/transcript"
	"sightline/tracker"
	"sightline/tracker/quality"
)

// Input files of a dataset folder in the EGD-CXR layout (docs/FORMATS.md §1).
const (
	FixationsFile  = "fixations.csv"
	EyeGazeFile    = "eye_gaze.csv"
	TranscriptsDir = "audio_segmentation_transcripts"
	TranscriptFile = "transcript.json"
)

// Output files, in Config.Out. The three fixations_vs_* tables are the reference's, by name and
// shape; the others are ours.
const (
	CalibrationErrorFile = "calibration_error.csv"
	CalibrationPtsFile   = "calibration_points.csv"
	TypeBFile            = "transcripts_type_b.csv"
	BoxCountsFile        = "fixations_vs_bounding_boxes.csv"
	BoxDurationFile      = "fixations_vs_bounding_boxes_time_duration.csv"
	PValuesFile          = "fixations_vs_anatomy_vs_condition.csv"
	PValuesWelchFile     = "fixations_vs_anatomy_vs_condition_welch.csv"
	TTestsFile           = "fixations_vs_anatomy_t_tests.csv"
	TotalsFile           = "fixation_totals_t_tests.csv"
	DataQualityFile      = "data_quality.csv"
	Figure11File         = "figure11_fixation_duration.png"
	Figure12File         = "figure12_p_values.png"
	SummaryFile          = "summary.txt"
)

// Config is an analysis run.
type Config struct {
	Dir string // the dataset folder
	Out string // where the tables and figures go (created)
	// Viewing converts calibration errors and precision to degrees; the zero value means
	// tracker.PaperViewing (71 cm from a 27-inch 1920×1080 monitor).
	Viewing tracker.Viewing
	// Rate is the tracker's nominal sampling rate for data loss, Hz; 0 means 60 (a GP3).
	Rate float64
	// Thresholds are the per-screen quality gate's; the zero value means
	// quality.DefaultThresholds (REFLACX's).
	Thresholds quality.Thresholds
	NoFigures  bool
	// Progress, when not nil, is told how far the reading of each large input has got: the
	// file's name, bytes read and its size. It is called from Run's goroutine.
	Progress func(file string, done, total int64)
}

// Report is what a run found. Parts whose inputs are absent are nil, with a note.
type Report struct {
	Calibration       CalibrationStats
	CalibrationPoints []CalibrationPoint
	CalibrationBad    int    // calibration screens whose last fixation had no usable FPOG
	TypeB             *TypeB // nil without transcripts
	Anatomy           *Anatomy
	Quality           []ScreenQuality // nil without eye_gaze.csv
	Written           []string        // files written, relative to Config.Out
	Notes             []string        // parts left out and why
}

// Run analyses the dataset in cfg.Dir and writes the tables, figures and summary.txt to
// cfg.Out. Required: master_sheet.csv and fixations.csv; eye_gaze.csv, bounding_boxes.csv and
// the transcripts are each optional (their parts are skipped with a note). Errors name the file
// and line; ctx cancels the run between and within the reads.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Viewing == (tracker.Viewing{}) {
		cfg.Viewing = tracker.PaperViewing()
	}
	if err := cfg.Viewing.Validate(); err != nil {
		return nil, fmt.Errorf("analysis: viewing geometry: %w", err)
	}
	if cfg.Rate == 0 {
		cfg.Rate = 60
	}
	if !(cfg.Rate > 0) || cfg.Rate > 1e6 {
		return nil, fmt.Errorf("analysis: tracker rate %v Hz, want a positive number", cfg.Rate)
	}
	if cfg.Thresholds == (quality.Thresholds{}) {
		cfg.Thresholds = quality.DefaultThresholds()
	}
	s, err := study.Load(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("analysis: %w", err)
	}
	isCase := func(id string) bool { _, ok := s.Case(id); return ok }
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return nil, fmt.Errorf("analysis: output folder: %w", err)
	}
	rep := &Report{}
	out := &writer{dir: cfg.Out, rep: rep}

	// Fixations: calibration, anatomy.
	var screens []Screen
	err = readFile(ctx, cfg, FixationsFile, func(r io.Reader, name string) error {
		var err error
		screens, err = ReadFixations(r, name)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("analysis: %w", err)
	}
	rep.CalibrationPoints, rep.CalibrationBad = CalibrationPoints(screens, isCase, cfg.Viewing)
	rep.Calibration = Calibration(rep.CalibrationPoints)
	if len(rep.CalibrationPoints) == 0 {
		rep.note("calibration: %s has no calibration screens (rows whose DICOM_ID is not in %s)", FixationsFile, study.MasterSheet)
	}
	if rep.CalibrationBad > 0 {
		rep.note("calibration: %d calibration screens left out: their last fixation has no FPOGX/FPOGY", rep.CalibrationBad)
	}
	out.calibration()

	if len(s.Boxes) == 0 {
		rep.note("anatomy: no %s", study.BoundingBoxes)
	} else {
		rep.Anatomy = Anatomize(s, screens)
		if len(rep.Anatomy.Images) == 0 {
			rep.note("anatomy: no fixations on any case of %s", study.MasterSheet)
		}
		for _, im := range rep.Anatomy.Images {
			if im.Condition != Normal && im.Condition != CHF && im.Condition != Pneumonia {
				rep.note("anatomy: case %s has condition %q, not one of normal, CHF, pneumonia: in the per-image table, left out of the tests", im.DicomID, im.Condition)
			}
		}
		out.anatomy()
		if !cfg.NoFigures {
			out.figures()
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// Transcripts.
	files, err := filepath.Glob(filepath.Join(cfg.Dir, TranscriptsDir, "*", TranscriptFile))
	if err != nil {
		return nil, fmt.Errorf("analysis: %w", err)
	}
	slices.Sort(files)
	if len(files) == 0 {
		rep.note("transcripts: no %s/*/%s", TranscriptsDir, TranscriptFile)
	} else {
		rep.TypeB = &TypeB{}
		for _, f := range files {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if isDraft(filepath.Dir(f)) {
				// A recogniser's draft has the phrases the recogniser made (one word each):
				// its Type-B error measures the recogniser, not the reader.
				rep.TypeB.Drafts++
				continue
			}
			t, err := readTranscriptFile(f)
			if err != nil {
				return nil, fmt.Errorf("analysis: %w", err)
			}
			rep.TypeB.Add(t)
		}
		if d := rep.TypeB.Drafts; d > 0 {
			rep.note("transcripts: %d uncorrected draft(s) of sightline transcribe left out of the Type-B error (corrected transcripts only)", d)
		}
		out.typeB()
	}

	// Raw gaze: data quality.
	err = readFile(ctx, cfg, EyeGazeFile, func(r io.Reader, name string) error {
		var err error
		rep.Quality, err = ReadQuality(r, name, isCase, QualityConfig{Rate: cfg.Rate, Viewing: cfg.Viewing, Thresholds: cfg.Thresholds})
		return err
	})
	switch {
	case errors.Is(err, fs.ErrNotExist):
		rep.note("data quality: no %s", EyeGazeFile)
	case err != nil:
		return nil, fmt.Errorf("analysis: %w", err)
	default:
		out.quality()
	}
	out.summary(cfg.Dir)
	if out.err != nil {
		return nil, fmt.Errorf("analysis: %w", out.err)
	}
	return rep, nil
}

func (r *Report) note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

// readFile opens cfg.Dir/base and hands it to read, through a reader that reports progress and
// stops when ctx is done. A missing file's error wraps fs.ErrNotExist.
func readFile(ctx context.Context, cfg Config, base string, read func(r io.Reader, name string) error) error {
	name := filepath.Join(cfg.Dir, base)
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	var size int64
	if st, err := f.Stat(); err == nil {
		size = st.Size()
	}
	pr := &progressReader{ctx: ctx, r: f, name: base, total: size, report: cfg.Progress}
	err = read(pr, name)
	pr.tell()
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	return err
}

type progressReader struct {
	ctx         context.Context
	r           io.Reader
	name        string
	done, total int64
	report      func(string, int64, int64)
	told        int64
}

func (p *progressReader) Read(b []byte) (int, error) {
	if err := p.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := p.r.Read(b)
	p.done += int64(n)
	if p.done-p.told >= 1<<20 {
		p.tell()
	}
	return n, err
}

func (p *progressReader) tell() {
	if p.report != nil {
		p.report(p.name, p.done, p.total)
	}
	p.told = p.done
}

func readTranscriptFile(path string) (*transcript.Transcript, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return transcript.Read(f, path)
}
