package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"sightline/reader/analysis"
	"sightline/reader/display"
	"sightline/reader/heatmap"
	"sightline/reader/reporting"
	"sightline/reader/study"
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
			if err := reporting.Write(args[0], out, rep, cfg.Viewing, cfg.Rate); err != nil {
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

// heatmapDicomSize reads a case's image size from its DICOM header under root; tests replace it.
var heatmapDicomSize = display.HeaderSize

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
	f.BoolVar(&a.kinds.Static, "static", true, "write <dicom_id>/heatmap.png")
	f.BoolVar(&a.kinds.Temporal, "temporal", false, "write the reference's temporal frames <dicom_id>/<k>_frame.png, k from 0, frame k showing fixation k+1 alone")
	f.BoolVar(&a.kinds.Cumulative, "cumulative", false, "write cumulative frames <dicom_id>/<n>_cumulative.png, n from 1, frame n showing fixations 1…n")
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
	out, images             string
	kinds                   heatmap.Kinds
	sigma, sigmaDeg         float64
	weightByDuration, quiet bool
	fixations               string // the fixation file inside the dataset
}

// runHeatmap writes the heatmaps of dataset dir.
func runHeatmap(ctx context.Context, o *Options, dir string, a heatmapArgs) error {
	if a.kinds == (heatmap.Kinds{}) {
		return errors.New("heatmap: nothing to do: --static=false and no --temporal or --cumulative")
	}
	plan, err := heatmap.PlanDataset(dir, heatmap.DatasetOptions{Fixations: a.fixations, Images: a.images, Size: heatmapDicomSize})
	if err != nil {
		return err
	}
	for _, err := range plan.Failed {
		fmt.Fprintln(o.Err, "sightline:", err)
	}
	opt := heatmap.Options{Sigma: a.sigma, SigmaDeg: a.sigmaDeg, Viewing: o.viewing(), WeightByDuration: a.weightByDuration}
	progress, exit := countBar(o.Err, "heatmaps", a.quiet)
	start := time.Now()
	t, err := plan.Render(ctx, a.out, a.kinds, opt, progress)
	exit()
	fmt.Fprintf(o.Out, "%d images, %d fixations (%d off the image, %d without a usable duration: skipped), %d frames, in %s under %s\n",
		t.Images, t.Fixations, t.OffImage, t.Unweighted, t.Frames, time.Since(start).Round(time.Millisecond), a.out)
	if t.Others > 0 {
		fmt.Fprintf(o.Out, "%d screens not in %s (calibration screens) skipped, %d fixations\n", t.Others, study.MasterSheet, t.OtherFix)
	}
	if err != nil {
		return err
	}
	if len(plan.Failed) > 0 {
		return fmt.Errorf("heatmap: %d cases could not be rendered (listed above)", len(plan.Failed))
	}
	return nil
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
