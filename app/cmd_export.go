package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"sightline/reader/bids"
	"sightline/reader/export"
	"sightline/reader/review"
)

// exportCommand is `sightline export STUDY --out DIR`: the study's sessions as an EGD-CXR
// dataset folder, with Sightline's own records beside it.
func exportCommand(o *Options) *cobra.Command {
	var (
		out, store, bidsDir string
		opts                export.Options
	)
	cmd := &cobra.Command{
		Use:   "export STUDY --out DIR | --bids DIR",
		Short: "write the study's sessions as an EGD-CXR dataset folder (eye_gaze.csv, fixations.csv, master_sheet.csv, …)",
		Long: "Writes the complete and ended-early sessions of STUDY (or those named with --session) into DIR, laid out\n" +
			"as the public EGD-CXR dataset: SESSION_ID 1, 2, … in order of start time (sessions.csv maps them to the\n" +
			"session folders), MEDIA_ID the screen's position in its session, calibration screens named\n" +
			"calibration-<session>-<n>. Sightline's own records (our fixation filters, screens and layouts, calibration\n" +
			"checks, the event journal, quality, audio clocks) go in extra files beside, and qa.csv: every case folder's QA\n" +
			"measurements with its latest verdict from the review store (STUDY/review.db or --store). DIR must not exist or be empty.\n" +
			"--bids DIR writes a BIDS dataset instead (or as well): one subject per reader, one session per reading session,\n" +
			"per case the gaze as a physio file (PhysioType eyetrack) with its JSON, the session's events (each case's\n" +
			"onset, the space presses), the dictation as a _beh.wav with its transcript.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" && bidsDir == "" {
				return errors.New("export: give --out DIR (EGD-CXR layout), --bids DIR, or both")
			}
			if bidsDir != "" {
				res, err := bids.Export(args[0], bidsDir, bids.Options{Viewing: o.viewing()})
				if err != nil {
					return err
				}
				for _, s := range res.Skipped {
					fmt.Fprintf(o.Err, "sightline: not in the BIDS dataset: %s\n", s)
				}
				fmt.Fprintf(o.Out, "BIDS dataset: %d subject(s), %d session(s), %d run(s) in %s\n", res.Subjects, res.Sessions, res.Runs, bidsDir)
				if out == "" {
					return nil
				}
			}
			v, err := readVerdicts(cmd.Context(), args[0], store, storeOptions(o, true))
			switch {
			case err != nil && store != "":
				return err
			case err != nil:
				// The export's files need no verdicts: a damaged review.db costs only qa.csv's.
				fmt.Fprintf(o.Err, "sightline: qa.csv carries no verdicts: %v\n", err)
			}
			opts.Verdicts = v
			res, err := export.Export(args[0], out, opts)
			if err != nil {
				return err
			}
			for _, s := range res.Skipped {
				fmt.Fprintf(o.Err, "sightline: not exported: %s\n", s)
			}
			fmt.Fprintf(o.Out, "exported %d session(s), %d screen(s), %d gaze rows, %d fixation rows to %s\n",
				len(res.Sessions), res.Screens, res.GazeRows, res.FixationRows, out)
			for _, s := range res.Sessions {
				fmt.Fprintf(o.Out, "  SESSION_ID %d  %s\n", s.Number, s.ID)
			}
			if res.Superseded > 0 {
				fmt.Fprintf(o.Out, "  %d read(s) superseded by a later read of the case, beside the dataset in %s\n",
					res.Superseded, export.SupersededGazeFile)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&out, "out", "", "output folder (must not exist or be empty)")
	f.StringArrayVar(&opts.Sessions, "session", nil, "export only this session folder (repeatable; default: every complete or ended-early session)")
	f.BoolVar(&opts.NoCalibrationRows, "no-calibration-rows", false, "leave calibration screens out (the reference heatmap script crashes on them)")
	f.StringVar(&store, "store", "", "the review store whose QA verdicts go in qa.csv: a SQLite file or postgres://USER@HOST:PORT/DB (default STUDY/review.db when there is one)")
	f.BoolVar(&opts.IncludeInterrupted, "include-interrupted", false, "add cases cut off by a crash (their *.interrupted-K copies) to eye_gaze_interrupted.csv and fixations_interrupted.csv")
	f.StringVar(&bidsDir, "bids", "", "write a BIDS dataset (eye-tracking physio, events, dictation) to this folder (must not exist or be empty)")
	return cmd
}

// importCommand is `sightline import-egd DIR --out STUDY`: a published EGD-CXR folder (or a
// Sightline export) read into a new study.
func importCommand(o *Options) *cobra.Command {
	var (
		out  string
		opts export.ImportOptions
	)
	cmd := &cobra.Command{
		Use:   "import-egd DIR --out STUDY",
		Short: "read an EGD-CXR dataset folder into a new study, one session folder per SESSION_ID",
		Long: "Reads master_sheet.csv, bounding_boxes.csv, fixations.csv and eye_gaze.csv (split back per session and\n" +
			"image), and audio_segmentation_transcripts/ from DIR into a new study folder STUDY, so that existing data\n" +
			"can be analysed, replayed and corrected in the station. Published sessions become sessions/egd-<SESSION_ID>/;\n" +
			"a Sightline export comes back with its own session folders. Pads are recorded as given (the published ones\n" +
			"describe a 1920×1024 stretched image). STUDY must not exist or be empty.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := export.Import(args[0], out, opts)
			if err != nil {
				return err
			}
			fmt.Fprintf(o.Out, "imported %d session(s), %d screen(s), %d gaze rows, %d fixation rows into %s\n",
				len(res.Sessions), res.Screens, res.GazeRows, res.FixationRows, out)
			for _, s := range res.Sessions {
				fmt.Fprintf(o.Out, "  SESSION_ID %s  → sessions/%s\n", s.Published, s.ID)
			}
			if n := len(res.Renamed); n > 0 {
				fmt.Fprintf(o.Out, "  %d calibration screen(s) renamed calibration-<session>-<n> (the published ids are in %s)\n", n, export.ImportRecord)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&out, "out", "", "the study folder to create (must not exist or be empty)")
	f.StringVar(&opts.DicomRoot, "dicom-root", "", "MIMIC-CXR root that master_sheet's paths are relative to: read each image's size from its DICOM (otherwise recorded as unknown, 0×0)")
	cmd.MarkFlagRequired("out")
	return cmd
}

// readVerdicts reads the QA verdicts for qa.csv: from store, or STUDY/review.db when the study
// has one (an export never creates a store); none without either. opt says a wait of more than
// a second on stderr, as every command that opens the store does.
func readVerdicts(ctx context.Context, studyDir, store string, opt review.Options) ([]review.Verdict, error) {
	st, err := review.OpenExisting(ctx, studyDir, store, opt)
	if err != nil || st == nil {
		return nil, err
	}
	defer st.Close()
	v, err := st.Verdicts(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("read the QA verdicts: %w", err)
	}
	return v, nil
}
