package app

import (
	"fmt"

	"github.com/spf13/cobra"

	"sightline/reader/boxedit"
	"sightline/reader/review"
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
			return runBoxes(cmd, o, args[0], store, apply, exportTo, user)
		},
	}
	f := cmd.Flags()
	f.StringVar(&exportTo, "export", "", "write the corrected boxes to FILE.csv and the audit to FILE.audit.csv")
	f.StringVar(&apply, "apply", "", "apply the edits in EDITS.csv (dicom_id,bbox_name,x1,x2,y1,y2,status)")
	f.StringVar(&user, "user", "", "who is making the changes (stored with every row)")
	f.StringVar(&store, "store", "", "the review store: a SQLite file or postgres://USER@HOST:PORT/DB (default STUDY/review.db)")
	return cmd
}

// runBoxes is `boxes STUDY --apply/--export` (boxedit.RunBatch), printed.
func runBoxes(cmd *cobra.Command, o *Options, dir, store, apply, exportTo, user string) error {
	res, err := boxedit.RunBatch(cmd.Context(), dir, boxedit.BatchOptions{Store: store, Apply: apply, Export: exportTo, User: user,
		StoreOptions: func(readOnly bool) review.Options { return storeOptions(o, readOnly) }, Size: heatmapDicomSize})
	if a := res.Applied; a != nil {
		switch {
		case a.Applied == 0 && a.Unchanged > 0:
			fmt.Fprintf(o.Out, "nothing new in %s: its %d row(s) are already in %s, nothing stored\n", res.Edits, a.Unchanged, res.From)
		case a.Unchanged > 0:
			fmt.Fprintf(o.Out, "applied %d edit(s) from %s as %s to %s; %d row(s) already stood so and were not stored\n",
				a.Applied, res.Edits, user, res.From, a.Unchanged)
		default:
			fmt.Fprintf(o.Out, "applied %d edit(s) from %s as %s to %s\n", a.Applied, res.Edits, user, res.From)
		}
	}
	if e := res.Exported; e != nil {
		fmt.Fprintf(o.Out, "wrote %d boxes of %d images to %s, and the audit (%d changes) to %s; from %s\n",
			e.Boxes, e.Images, exportTo, e.Edits, e.Audit, res.From)
		if e.OpenConflicts > 0 {
			fmt.Fprintf(o.Err, "sightline: %d box(es) have conflicting edits awaiting adjudication; they are exported as they stand, the rival edits are in the audit\n", e.OpenConflicts)
		}
		if len(e.Outside) > 0 {
			fmt.Fprintf(o.Err, "sightline: edits of %d image(s) the worklist does not list are in the audit only (first: %s)\n", len(e.Outside), e.Outside[0])
		}
	}
	return err
}

// storeOptions are a command's review store options: a wait of more than a second (on a
// writer's lock, or a server that does not answer) is said on stderr, with who holds the lock.
func storeOptions(o *Options, readOnly bool) review.Options {
	return review.Options{ReadOnly: readOnly, Waiting: func(what string) { fmt.Fprintf(o.Err, "sightline: %s\n", what) }}
}
