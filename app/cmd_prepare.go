package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	// Imported under another name: this package has a func prepare of its own (station.go).
	"sightline/internal/progress"
	studyprep "sightline/reader/prepare"
)

// prepareCommand is `sightline prepare`: a worklist of DICOMs into a study folder. It reads
// --seed, --calibration-every and --reader from the root's persistent flags.
func prepareCommand(o *Options) *cobra.Command {
	var a prepareArgs
	cmd := &cobra.Command{
		Use:   "prepare --worklist master_sheet.csv --dicom-root DIR --out STUDY",
		Short: "turn a worklist of DICOMs into a study folder: display images, pads, reading plans",
		Long: `Reads a worklist in the EGD-CXR master_sheet layout (dicom_id, path relative to --dicom-root,
any other columns) and writes a study folder that "sightline read STUDY" reads:

  master_sheet.csv         the worklist's rows and columns, pads filled in as drawn
  display/<dicom_id>.png   each case on the 1920x1080 stage as the station draws it
  display/<dicom_id>.json  its layout (DICOM size, pads) and how it was rendered
  plans/<reader>.json      the reader's sessions and blinded screen order
  unreadable.csv           the cases left out: line, dicom_id, path, reason
  prepare.json             seed, session size, calibration interval, counts

No DICOM is copied and nothing is read from one but geometry and pixel encoding. JPEG
Lossless/Extended, JPEG-LS and RLE files are transcoded with dcmtk (dcmdjpeg, dcmdjpls,
dcmdrle), JPEG 2000 with GDCM (gdcmconv --raw). The exit status is non-zero when a case is
unreadable.

--readers alice,bob,carol gives each reader a plan of their own (an independent order); with
--overlap N, N cases (picked by the seed) are read by every reader and the others are split
among them, and each plan lists the shared cases. Without --overlap every reader reads every case.

With --out alone, adds a plan for --reader to a prepared study.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runPrepare(cmd, o, a) },
	}
	f := cmd.Flags()
	f.StringVar(&a.worklist, "worklist", "", "master_sheet.csv: dicom_id, path (relative to --dicom-root), labels, any other columns")
	f.StringVar(&a.root, "dicom-root", "", "folder the worklist's paths are relative to")
	f.StringVar(&a.out, "out", "", "study folder to write (must not hold a study already)")
	f.IntVar(&a.sessionSize, "session-size", studyprep.DefaultSessionSize, "screens per session at most, calibration screens included")
	f.IntVar(&a.jobs, "jobs", runtime.NumCPU(), "cases prepared at once")
	f.StringSliceVar(&a.readers, "readers", nil, "readers of the study, comma-separated: a plan each (default: --reader)")
	f.IntVar(&a.overlap, "overlap", 0, "with --readers: cases every reader reads; the others are split among them")
	return cmd
}

// prepareArgs are the prepare command's own flags.
type prepareArgs struct {
	worklist, root, out        string
	sessionSize, jobs, overlap int
	readers                    []string
}

// runPrepare prepares a study, or adds a reader's plan to one (--out alone).
func runPrepare(cmd *cobra.Command, o *Options, a prepareArgs) error {
	reader := o.Reader
	if f := cmd.Flags().Lookup("reader"); f != nil {
		reader = f.Value.String()
	}
	if a.out == "" {
		return errors.New("prepare: --out is needed")
	}
	if a.worklist == "" && a.root == "" {
		if len(a.readers) > 0 {
			return errors.New("prepare: --readers is for a new study; add a reader to a study with --reader")
		}
		return addReader(o, a.out, reader)
	}
	opts, err := prepareOptions(cmd, o, a, reader)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(cmdContext(cmd), os.Interrupt)
	defer stop()
	bar := progress.New(o.Err, "preparing", "images")
	opts.Progress = bar.Update
	start := time.Now()
	res, err := studyprep.Run(ctx, opts)
	bar.Finish()
	if err != nil {
		listUnreadable(o.Err, a.out, res.Unreadable)
		return err
	}
	report(o.Out, o.Err, a.out, opts.Seed, res, time.Since(start))
	if n := len(res.Unreadable); n > 0 {
		return fmt.Errorf("prepare: %d of %d cases could not be prepared (listed in %s)", n, res.Cases, filepath.Join(a.out, studyprep.UnreadableFile))
	}
	return nil
}

// prepareOptions checks the flags of a new study and makes them the preparation's options.
func prepareOptions(cmd *cobra.Command, o *Options, a prepareArgs, reader string) (studyprep.Options, error) {
	readers := a.readers
	if len(readers) == 0 {
		readers = []string{reader}
	}
	split := cmd.Flags().Changed("overlap")
	if split && len(readers) < 2 {
		return studyprep.Options{}, errors.New("prepare: --overlap splits the cases among several --readers")
	}
	if a.worklist == "" || a.root == "" {
		return studyprep.Options{}, errors.New("prepare: --worklist and --dicom-root go together (or give neither, to add a reader to a study)")
	}
	// The persistent flags belong to the root command, and may be bound to another
	// Options than o; read them from the flag set.
	seed, calib := o.Seed, o.CalibEvery
	if v, err := cmd.Flags().GetInt64("seed"); err == nil {
		seed = v
	}
	if v, err := cmd.Flags().GetInt("calibration-every"); err == nil {
		calib = v
	}
	if !cmd.Flags().Changed("seed") {
		seed = time.Now().UnixNano()
	}
	return studyprep.Options{Worklist: a.worklist, DicomRoot: a.root, Out: a.out, Seed: seed,
		Readers: readers, Split: split, Overlap: a.overlap, SessionSize: a.sessionSize, CalibEvery: calib, Jobs: a.jobs}, nil
}

func cmdContext(cmd *cobra.Command) context.Context {
	if ctx := cmd.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}

// addReader gives another reader a plan over a prepared study.
func addReader(o *Options, study, reader string) error {
	p, err := studyprep.AddReader(study, reader)
	if err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	fmt.Fprintf(o.Out, "plan for %s: %s, in %s\n", reader, p.Summary(), studyprep.PlanPath(study, reader))
	return nil
}

// report prints what a run did: the summary and plans on out, the unreadable cases on errw.
func report(out, errw io.Writer, study string, seed int64, res studyprep.Result, took time.Duration) {
	rate := float64(res.Prepared) / max(took.Seconds(), 1e-9)
	fmt.Fprintf(out, "prepared %d of %d cases into %s in %.1f s (%.1f images/s)", res.Prepared, res.Cases, study, took.Seconds(), rate)
	if len(res.Transcoded) > 0 {
		var tools []string
		for t, n := range res.Transcoded {
			tools = append(tools, fmt.Sprintf("%d by %s", n, t))
		}
		slices.Sort(tools)
		fmt.Fprintf(out, "; transcoded %s", strings.Join(tools, ", "))
	}
	fmt.Fprintf(out, "\nseed %d\n", seed)
	for _, p := range res.Plans {
		fmt.Fprintf(out, "plan for %s: %s, in %s\n", p.Reader, p.Summary(), studyprep.PlanPath(study, p.Reader))
	}
	if len(res.Plans) > 1 && len(res.Plans[0].Shared) > 0 {
		fmt.Fprintf(out, "%d cases read by every reader (listed in each plan's \"shared\")\n", len(res.Plans[0].Shared))
	}
	listUnreadable(errw, study, res.Unreadable)
}

// listUnreadable names the cases left out, with line and reason (the first 20).
func listUnreadable(errw io.Writer, study string, list []studyprep.Unreadable) {
	if n := len(list); n > 0 {
		fmt.Fprintf(errw, "%d unreadable, listed in %s:\n", n, filepath.Join(study, studyprep.UnreadableFile))
		const show = 20
		for _, u := range list[:min(n, show)] {
			fmt.Fprintf(errw, "  line %d, %s (%s): %s\n", u.Line, u.DicomID, u.Path, u.Reason)
		}
		if n > show {
			fmt.Fprintf(errw, "  … and %d more\n", n-show)
		}
	}
}
