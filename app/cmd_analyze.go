package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"sightline/reader/analysis"
	"sightline/reader/atomicfile"
	"sightline/reader/dicomimg"
	"sightline/reader/export"
	"sightline/reader/heatmap"
	"sightline/reader/reporting"
	"sightline/reader/study"
	"sightline/tracker"
)

// analyzeCommand is `sightline analyze DATASET --out DIR`: the EGD-CXR paper's technical
// validation (docs/FORMATS.md §2) on a dataset folder in the EGD-CXR layout.
func analyzeCommand(o *Options) *cobra.Command {
	var (
		out       string
		rate      float64
		noFigures bool
		quiet     bool
	)
	cmd := &cobra.Command{
		Use:   "analyze DATASET",
		Short: "reproduce the EGD-CXR paper's technical validation on a dataset (tables, figures, summary)",
		Long: "DATASET is a folder in the EGD-CXR layout: fixations.csv, master_sheet.csv, and optionally\n" +
			"eye_gaze.csv, bounding_boxes.csv and audio_segmentation_transcripts/*/transcript.json.\n" +
			"Writes to --out: calibration_error.csv, transcripts_type_b.csv, the reference's\n" +
			"fixations_vs_bounding_boxes.csv, fixations_vs_bounding_boxes_time_duration.csv and\n" +
			"fixations_vs_anatomy_vs_condition.csv (Student's t-test p-values; a _welch twin), the t-tests\n" +
			"in full, data_quality.csv, Figures 11 and 12 as PNG, and summary.txt (also printed).",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg := analysis.Config{
				Dir: args[0], Out: out, Viewing: o.viewing(), Rate: rate, NoFigures: noFigures,
			}
			var bars *analyzeBars
			if !quiet {
				bars = &analyzeBars{w: o.Err, bars: map[string]*progressbar.ProgressBar{}}
				cfg.Progress = bars.update
			}
			rep, err := analysis.Run(analyzeContext(cmd), cfg)
			bars.finish()
			if err != nil {
				return err
			}
			if err := writeReporting(args[0], out, rep, cfg); err != nil {
				return err
			}
			rep.Written = append(rep.Written, reporting.File)
			fmt.Fprint(o.Out, rep.Summary(args[0]))
			fmt.Fprintf(o.Out, "Wrote %d files to %s\n", len(rep.Written), out)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&out, "out", "", "folder for the tables and figures (created)")
	f.Float64Var(&rate, "tracker-rate", 60, "the eye tracker's nominal sampling rate, Hz, for data loss (GP3: 60)")
	f.BoolVar(&noFigures, "no-figures", false, "write the tables only")
	f.BoolVar(&quiet, "quiet", false, "no progress bar on stderr")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

// writeReporting writes reporting.md beside the analysis: the reporting guideline's items filled
// in from the dataset, the analysis and this program's build.
func writeReporting(dir, out string, rep *analysis.Report, cfg analysis.Config) error {
	s, err := study.Load(dir)
	if err != nil {
		return fmt.Errorf("analysis: %w", err)
	}
	in := reporting.Input{Dataset: filepath.Base(filepath.Clean(dir)), Study: s, Report: rep,
		Viewing: cfg.Viewing, Rate: cfg.Rate, Software: softwareVersions()}
	if in.Viewing == (tracker.Viewing{}) {
		in.Viewing = tracker.PaperViewing()
	}
	if in.Rate == 0 {
		in.Rate = 60
	}
	if err := reporting.Load(dir, &in); err != nil {
		return err
	}
	return atomicfile.WriteBytes(filepath.Join(out, reporting.File), []byte(reporting.Markdown(in)))
}

// softwareVersions names this program's build: its module version and commit when the build
// recorded them, and the Go release.
func softwareVersions() []string {
	v := "sightline (version not recorded in this build)"
	if bi, ok := debug.ReadBuildInfo(); ok {
		v = "sightline " + bi.Main.Version
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				v += ", commit " + s.Value
			}
		}
	}
	return []string{v, "Go " + runtime.Version()}
}

// heatmapDicomSize reads a case's image size from its DICOM header under root; tests replace it.
var heatmapDicomSize = func(s *study.Study, root string, c study.Case) (int, int, error) {
	at := *s
	at.Dir = root
	p, err := at.DicomPath(c)
	if err != nil {
		return 0, 0, err
	}
	return dicomimg.Size(p)
}

// heatmapCommand is `sightline heatmap DATASET --out DIR`: fixation heatmaps in the layout the
// EGD-CXR reference ML code reads.
func heatmapCommand(o *Options) *cobra.Command {
	var a heatmapArgs
	cmd := &cobra.Command{
		Use:   "heatmap DATASET",
		Short: "write fixation heatmaps (OUT/<dicom_id>/heatmap.png, k_frame.png) for the reference ML code",
		Long: "Reads DATASET/fixations.csv and DATASET/master_sheet.csv. The canvas is each case's image size:\n" +
			"from DATASET/screens.csv when DATASET is a Sightline export, otherwise (or with --images) from the\n" +
			"case's DICOM header (its master_sheet path under --images, default DATASET).\n" +
			"Static: OUT/<dicom_id>/heatmap.png. Temporal (the reference's): one OUT/<dicom_id>/<k>_frame.png per\n" +
			"fixation row, 0-based as the reference numbers them, frame k showing fixation k+1 alone.\n" +
			"Cumulative: OUT/<dicom_id>/<n>_cumulative.png, 1-based, frame n showing fixations 1…n. Gaussian σ = 150 px (or\n" +
			"--sigma, or --sigma-deg of visual angle through the viewing geometry and the case's pads),\n" +
			"min–max normalised, viridis. Fixations off the image (X_ORIGINAL −1) add nothing and are\n" +
			"counted; calibration screens are skipped.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runHeatmap(analyzeContext(cmd), o, args[0], a)
		},
	}
	f := cmd.Flags()
	f.StringVar(&a.out, "out", "", "root folder of the heatmaps (created)")
	f.StringVar(&a.images, "images", "", "folder the master_sheet paths are relative to, for the DICOM sizes (default: DATASET)")
	f.BoolVar(&a.static, "static", true, "write <dicom_id>/heatmap.png")
	f.BoolVar(&a.temporal, "temporal", false, "write the reference's temporal frames <dicom_id>/<k>_frame.png, k from 0, frame k showing fixation k+1 alone")
	f.BoolVar(&a.cumulative, "cumulative", false, "write cumulative frames <dicom_id>/<n>_cumulative.png, n from 1, frame n showing fixations 1…n")
	f.Float64Var(&a.sigma, "sigma", heatmap.DefaultSigma, "Gaussian σ in DICOM pixels")
	f.Float64Var(&a.sigmaDeg, "sigma-deg", 0, "Gaussian σ in degrees of visual angle (overrides --sigma)")
	f.BoolVar(&a.weightByDuration, "weight-duration", false, "weight each fixation by its duration (FPOGD)")
	f.StringVar(&a.fixations, "fixations", analysis.FixationsFile, "fixation file inside DATASET (eye_gaze.csv for raw-gaze heatmaps)")
	f.BoolVar(&a.quiet, "quiet", false, "no progress bar on stderr")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

// heatmapArgs are the heatmap command's flags.
type heatmapArgs struct {
	out, images                  string
	static, temporal, cumulative bool
	sigma, sigmaDeg              float64
	weightByDuration, quiet      bool
	fixations                    string // the fixation file inside the dataset
}

// runHeatmap writes the heatmaps of dataset dir.
func runHeatmap(ctx context.Context, o *Options, dir string, a heatmapArgs) error {
	if !a.static && !a.temporal && !a.cumulative {
		return errors.New("heatmap: nothing to do: --static=false and no --temporal or --cumulative")
	}
	jobs, others, failed, err := heatmapJobs(dir, a)
	if err != nil {
		return err
	}
	for _, err := range failed {
		fmt.Fprintln(o.Err, "sightline:", err)
	}
	opt := heatmap.Options{Sigma: a.sigma, SigmaDeg: a.sigmaDeg, Viewing: o.viewing(), WeightByDuration: a.weightByDuration}
	progress, exit := countBar(o.Err, "heatmaps", a.quiet)
	start := time.Now()
	stats, err := renderHeatmaps(ctx, a, jobs, opt, progress)
	exit()
	var fix, off, unweighted, frames, calib int
	for _, st := range stats {
		fix, off, unweighted, frames = fix+st.Fixations, off+st.OffImage, unweighted+st.Unweighted, frames+st.Frames
	}
	for _, im := range others {
		calib += len(im.Fixations)
	}
	fmt.Fprintf(o.Out, "%d images, %d fixations (%d off the image, %d without a usable duration: skipped), %d frames, in %s under %s\n",
		len(jobs), fix, off, unweighted, frames, time.Since(start).Round(time.Millisecond), a.out)
	if len(others) > 0 {
		fmt.Fprintf(o.Out, "%d screens not in %s (calibration screens) skipped, %d fixations\n", len(others), study.MasterSheet, calib)
	}
	if err != nil {
		return err
	}
	if len(failed) > 0 {
		return fmt.Errorf("heatmap: %d cases could not be rendered (listed above)", len(failed))
	}
	return nil
}

// heatmapJobs reads the dataset's fixations and plans a heatmap per case, its canvas the
// case's image size: from screens.csv when the dataset is an export (no DICOMs needed),
// otherwise (or with --images) from the DICOM header.
func heatmapJobs(dir string, a heatmapArgs) (jobs []heatmap.Job, others []heatmap.Image, failed []error, err error) {
	var sizes map[string]export.Size
	images := a.images
	if images == "" {
		images = dir
		if sizes, _, err = export.ImageSizes(dir); err != nil {
			return nil, nil, nil, fmt.Errorf("heatmap: %w", err)
		}
	}
	s, err := study.Load(dir)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("heatmap: %w", err)
	}
	name := filepath.Join(dir, a.fixations)
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("heatmap: %w", err)
	}
	ims, err := heatmap.ReadFixations(f, name)
	f.Close()
	if err != nil {
		return nil, nil, nil, err
	}
	jobs, others, failed = heatmap.Plan(s, ims, func(c study.Case) (int, int, error) {
		if sz, ok := sizes[c.DicomID]; ok {
			return sz.W, sz.H, nil
		}
		return heatmapDicomSize(s, images, c)
	})
	return jobs, others, failed, nil
}

// renderHeatmaps renders the static and temporal heatmaps, then the cumulative frames under
// their own name (a second pass over the images); the stats count every frame written.
func renderHeatmaps(ctx context.Context, a heatmapArgs, jobs []heatmap.Job, opt heatmap.Options, progress func(done, total int)) ([]heatmap.Stats, error) {
	stats, err := heatmap.Render(ctx, a.out, jobs, a.static, a.temporal, opt, progress)
	if err != nil || !a.cumulative {
		return stats, err
	}
	opt.Cumulative = true
	cs, err := heatmap.Render(ctx, a.out, jobs, false, true, opt, progress)
	if err != nil {
		return stats, err
	}
	for i := range stats {
		if a.static || a.temporal {
			stats[i].Frames += cs[i].Frames
		} else {
			stats[i] = cs[i]
		}
	}
	return stats, nil
}

// countBar is a progress bar of images done on w (none when quiet), drawn from the first
// report; exit ends it.
func countBar(w io.Writer, what string, quiet bool) (progress func(done, total int), exit func()) {
	var bar *progressbar.ProgressBar
	if quiet {
		return nil, func() {}
	}
	progress = func(done, total int) {
		if bar == nil {
			bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(w),
				progressbar.OptionSetDescription(what), progressbar.OptionShowCount(),
				progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(100*time.Millisecond),
				progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }))
		}
		_ = bar.Set(done)
	}
	return progress, func() {
		if bar != nil {
			_ = bar.Exit()
		}
	}
}

// analyzeBars is one progress bar per input file of an analysis run, on stderr.
type analyzeBars struct {
	w    io.Writer
	bars map[string]*progressbar.ProgressBar
}

func (b *analyzeBars) update(file string, done, total int64) {
	bar, ok := b.bars[file]
	if !ok {
		// No rate: the bar's is bytes over the time since its last update, which on a file read
		// from the page cache comes out as hundreds of GB/s.
		bar = progressbar.NewOptions64(total, progressbar.OptionSetWriter(b.w),
			progressbar.OptionSetDescription("reading "+file),
			progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(b.w) }))
		b.bars[file] = bar
	}
	_ = bar.Set64(done)
}

func (b *analyzeBars) finish() {
	if b == nil {
		return
	}
	for _, bar := range b.bars {
		_ = bar.Exit()
	}
}

func analyzeContext(cmd *cobra.Command) context.Context {
	if ctx := cmd.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}
