package app

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"sightline/reader/metrics"
)

// metricsCommand is `sightline metrics DATASET --out DIR`: per-zone measures, coverage,
// inter-reader agreement and reporting moments of a dataset in the EGD-CXR layout.
func metricsCommand(o *Options) *cobra.Command {
	var (
		out                   string
		radius, sigma, window float64
		workers               int
		quiet                 bool
	)
	cmd := &cobra.Command{
		Use:   "metrics DATASET",
		Short: "zone measures, coverage, inter-reader agreement and reporting moments of a dataset",
		Long: "DATASET is a folder in the EGD-CXR layout (an export, or the published dataset): fixations.csv and\n" +
			"master_sheet.csv, with bounding_boxes.csv for the zones, audio_segmentation_transcripts/ for the\n" +
			"reporting moments and the anatomy masks (zones of their own, and the lungs' area), and an export's\n" +
			"sessions.csv (readers) and screens.csv (image sizes).\n" +
			"Writes to --out: zones.csv (per dicom_id, session and zone: fixated, time to first fixation, dwell,\n" +
			"visits, fixations), coverage.csv (per read: zones fixated, lung area within --radius-deg of a\n" +
			"fixation, scanpath length, zones never fixated), agreement.csv (per image read by two or more\n" +
			"readers, per ordered reader pair: CC, SIM, KLD, NSS, AUC-Judd of their fixation maps) and\n" +
			"moments.csv (per transcript phrase: the fixations of the --window seconds before it).",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg := metrics.Config{Dir: args[0], Out: out, Viewing: o.viewing(),
				RadiusDeg: radius, SigmaDeg: sigma, WindowS: window, Workers: workers}
			var exit func()
			cfg.Progress, exit = countBar(o.Err, "images", quiet)
			start := time.Now()
			res, err := metrics.Run(analyzeContext(cmd), cfg)
			exit()
			if err != nil {
				return err
			}
			for _, n := range res.Notes {
				fmt.Fprintln(o.Out, "note:", n)
			}
			fmt.Fprintf(o.Out, "%d images, %d reads, %d reader pairs, %d phrases, %d anatomy masks in %s: wrote %d files to %s\n",
				res.Images, res.Screens, res.Pairs, res.Phrases, res.Masks, time.Since(start).Round(time.Millisecond), len(res.Written), out)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&out, "out", "", "folder for the tables (created)")
	f.Float64Var(&radius, "radius-deg", 1, "coverage: lung area within this visual angle of a fixation, degrees")
	f.Float64Var(&sigma, "sigma-deg", 1, "agreement: Gaussian σ of the fixation maps, degrees")
	f.Float64Var(&window, "window", 2, "reporting moment: seconds before each phrase")
	f.IntVar(&workers, "workers", 0, "images worked on at once (default: one per CPU)")
	f.BoolVar(&quiet, "quiet", false, "no progress bar on stderr")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}
