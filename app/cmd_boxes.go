package app

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"sightline/reader/review"
	"sightline/reader/study"
)

// boxesCommand is `sightline boxes STUDY`: the study's anatomical boxes as corrected in the
// review store — exported with their audit, or edited in batch.
func boxesCommand(o *Options) *cobra.Command {
	var exportTo, apply, user, store string
	cmd := &cobra.Command{
		Use:   "boxes STUDY [--user NAME] [--apply EDITS.csv] [--export FILE.csv] [--store URL]",
		Short: "correct the study's 17 anatomical boxes: the editor, edits in batch, export with the audit",
		Long: "Without --apply or --export, opens the box editor on the study (as --user, default the login name).\n\n" +
			"Box corrections live in the study's review store: STUDY/review.db (SQLite), or a team's PostgreSQL\n" +
			"with --store postgres://USER@HOST:PORT/DB. Every change is kept with who made it and when.\n\n" +
			"--apply EDITS.csv --user NAME applies a file with the header dicom_id,bbox_name,x1,x2,y1,y2,status\n" +
			"(status edited, confirmed or absent; coordinates in DICOM pixels, empty for absent, and for\n" +
			"confirmed to keep the box where it is). Every row is checked against the study's images; if any\n" +
			"row is bad, each bad row is named with its line and nothing is applied.\n\n" +
			"--export FILE.csv writes the corrected boxes in the EGD-CXR bounding_boxes.csv layout and every\n" +
			"change beside it in FILE.audit.csv. With no edits FILE.csv equals the study's bounding_boxes.csv.\n" +
			"With both, the edits are applied first.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if exportTo == "" && apply == "" {
				return runBoxEditor(args[0], user, store)
			}
			if apply != "" && user == "" {
				return errors.New("boxes: --apply needs --user NAME: every change is stored with who made it")
			}
			s, err := study.Load(args[0])
			if err != nil {
				return err
			}
			if store == "" {
				store = args[0]
			}
			ctx := cmd.Context()
			st, err := review.Open(ctx, store, review.Options{})
			if err != nil {
				return err
			}
			defer st.Close()
			if apply != "" {
				if err := applyBoxEdits(cmd, o, s, st, apply, user); err != nil {
					return err
				}
			}
			if exportTo != "" {
				res, err := review.ExportBoxes(ctx, st, s, exportTo)
				if err != nil {
					return err
				}
				fmt.Fprintf(o.Out, "wrote %d boxes of %d images to %s, and the audit (%d changes) to %s\n",
					res.Boxes, res.Images, exportTo, res.Edits, res.Audit)
				if res.OpenConflicts > 0 {
					fmt.Fprintf(o.Err, "sightline: %d box(es) have conflicting edits awaiting adjudication; they are exported as they stand, the rival edits are in the audit\n", res.OpenConflicts)
				}
				if len(res.Outside) > 0 {
					fmt.Fprintf(o.Err, "sightline: edits of %d image(s) the worklist does not list are in the audit only (first: %s)\n", len(res.Outside), res.Outside[0])
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&exportTo, "export", "", "write the corrected boxes to FILE.csv and the audit to FILE.audit.csv")
	f.StringVar(&apply, "apply", "", "apply the edits in EDITS.csv (dicom_id,bbox_name,x1,x2,y1,y2,status)")
	f.StringVar(&user, "user", "", "who is making the changes (stored with every row)")
	f.StringVar(&store, "store", "", "the review store: a SQLite file or postgres://USER@HOST:PORT/DB (default STUDY/review.db)")
	return cmd
}

func applyBoxEdits(cmd *cobra.Command, o *Options, s *study.Study, st review.Store, path, user string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("boxes: %w", err)
	}
	rows, err := review.ReadBoxEdits(f, path)
	f.Close()
	if err != nil {
		return err
	}
	// Only the images the file names are opened for their sizes.
	ids := map[string]bool{}
	for _, r := range rows {
		ids[r.Key.DicomID] = true
	}
	images := review.Images(s, ids, func(c study.Case) (int, int, error) { return heatmapDicomSize(s, s.Dir, c) })
	res, err := review.ApplyBoxEdits(cmd.Context(), st, rows, path, images, user)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.Out, "applied %d edit(s) from %s as %s to %s\n", res.Applied, path, user, st.Location())
	if res.Conflicts > 0 {
		fmt.Fprintf(o.Err, "sightline: %d edit(s) met a box someone changed meanwhile; they are stored as conflicts awaiting adjudication\n", res.Conflicts)
	}
	return nil
}
