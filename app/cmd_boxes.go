package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

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

// runBoxes is `boxes STUDY --apply/--export`. Everything that can be checked without the
// store is checked first (the user, the edits file whole, the export's folder), so a failed
// command has touched nothing; a review.db this command made is removed again if it fails.
func runBoxes(cmd *cobra.Command, o *Options, dir, store, apply, exportTo, user string) (err error) {
	if err := checkBoxesArgs(apply, exportTo, user); err != nil {
		return err
	}
	s, err := study.Load(dir)
	if err != nil {
		return err
	}
	var batch review.Batch
	if apply != "" {
		if batch, err = readBatch(s, apply, user); err != nil {
			return err
		}
	}
	ctx := cmd.Context()
	store, fresh := studyStore(dir, store)
	if fresh && apply == "" {
		// Nothing edited yet and nothing to apply: export the study's boxes, make no store.
		return exportBoxes(o, nil, s, exportTo, "")
	}
	if fresh {
		// err is the command's result (named): a store this command made is removed when the
		// command fails.
		defer func() {
			if err != nil {
				removeStore(filepath.Join(dir, review.FileName))
			}
		}()
	}
	st, err := review.Open(ctx, store, storeOptions(o, apply == ""))
	if apply == "" && errors.Is(err, review.ErrNoStore) && review.IsPostgres(store) {
		return exportBoxes(o, nil, s, exportTo, "an empty PostgreSQL database: the study's boxes as they are")
	}
	if err != nil {
		return err
	}
	defer st.Close()
	return applyAndExport(ctx, o, st, s, batch, apply != "", exportTo)
}

// applyAndExport applies the batch of edits (with apply), then exports the boxes as the store
// now holds them (with exportTo).
func applyAndExport(ctx context.Context, o *Options, st review.Store, s *study.Study, batch review.Batch, apply bool, exportTo string) error {
	if apply {
		if err := applyBatch(ctx, o, st, batch); err != nil {
			return err
		}
	}
	if exportTo == "" {
		return nil
	}
	log, err := st.BoxLog(ctx, "")
	if err != nil {
		return err
	}
	return exportBoxes(o, log, s, exportTo, st.Location())
}

// studyStore resolves --store: none, or the study folder, is the study's own store file;
// fresh reports that file is not there yet (the command would make it).
func studyStore(dir, store string) (resolved string, fresh bool) {
	if store != "" && filepath.Clean(store) != filepath.Clean(dir) {
		return store, false
	}
	_, err := os.Stat(filepath.Join(dir, review.FileName))
	return dir, errors.Is(err, os.ErrNotExist)
}

// checkBoxesArgs refuses flags that cannot work before anything is opened: --apply without a
// valid --user, --export into a folder that is not there.
func checkBoxesArgs(apply, exportTo, user string) error {
	if apply != "" {
		if user == "" {
			return errors.New("boxes: --apply needs --user NAME: every change is stored with who made it")
		}
		if err := review.CheckUser(user); err != nil {
			return fmt.Errorf("boxes: --user: %w", err)
		}
	}
	if exportTo != "" {
		if d := filepath.Dir(exportTo); d != "" {
			if st, err := os.Stat(d); err != nil || !st.IsDir() {
				return fmt.Errorf("boxes: --export %s: the folder %s does not exist", exportTo, d)
			}
		}
	}
	return nil
}

// storeOptions are a command's review store options: a wait of more than a second (on a
// writer's lock, or a server that does not answer) is said on stderr, with who holds the lock.
func storeOptions(o *Options, readOnly bool) review.Options {
	return review.Options{ReadOnly: readOnly, Waiting: func(what string) { fmt.Fprintf(o.Err, "sightline: %s\n", what) }}
}

// removeStore removes a SQLite store and its WAL files.
func removeStore(path string) {
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		os.Remove(p)
	}
}

// readBatch reads and checks an edits file and the sizes of the images it names, from their
// DICOM headers.
func readBatch(s *study.Study, path, user string) (review.Batch, error) {
	f, err := os.Open(path)
	if err != nil {
		return review.Batch{}, fmt.Errorf("boxes: --apply: %w", err)
	}
	rows, err := review.ReadBoxEdits(f, path)
	f.Close()
	var bad *review.RowErrors
	if err != nil && !errors.As(err, &bad) {
		return review.Batch{}, err
	}
	// Only the images the file names are opened for their sizes.
	ids := map[string]bool{}
	for _, r := range rows {
		ids[r.Key.DicomID] = true
	}
	images := review.Images(s, ids, func(c study.Case) (int, int, error) { return heatmapDicomSize(s, s.Dir, c) })
	return review.Batch{Name: path, Rows: rows, Bad: bad, Images: images, Who: user}, nil
}

func applyBatch(ctx context.Context, o *Options, st review.Store, b review.Batch) error {
	res, err := review.ApplyBatch(ctx, st, b)
	if err != nil {
		return err
	}
	switch {
	case res.Applied == 0 && res.Unchanged > 0:
		fmt.Fprintf(o.Out, "nothing new in %s: its %d row(s) are already in %s, nothing stored\n", b.Name, res.Unchanged, st.Location())
	case res.Unchanged > 0:
		fmt.Fprintf(o.Out, "applied %d edit(s) from %s as %s to %s; %d row(s) already stood so and were not stored\n",
			res.Applied, b.Name, b.Who, st.Location(), res.Unchanged)
	default:
		fmt.Fprintf(o.Out, "applied %d edit(s) from %s as %s to %s\n", res.Applied, b.Name, b.Who, st.Location())
	}
	if res.Conflicts > 0 {
		return fmt.Errorf("boxes: %d edit(s) met a box someone changed meanwhile; they are stored as conflicts awaiting adjudication in the editor", res.Conflicts)
	}
	return nil
}

func exportBoxes(o *Options, log []review.BoxEdit, s *study.Study, path, from string) error {
	res, err := review.ExportLog(log, s, path)
	if err != nil {
		return err
	}
	if from == "" {
		from = "no review store yet: the study's boxes as they are"
	}
	fmt.Fprintf(o.Out, "wrote %d boxes of %d images to %s, and the audit (%d changes) to %s; from %s\n",
		res.Boxes, res.Images, path, res.Edits, res.Audit, from)
	if res.OpenConflicts > 0 {
		fmt.Fprintf(o.Err, "sightline: %d box(es) have conflicting edits awaiting adjudication; they are exported as they stand, the rival edits are in the audit\n", res.OpenConflicts)
	}
	if len(res.Outside) > 0 {
		fmt.Fprintf(o.Err, "sightline: edits of %d image(s) the worklist does not list are in the audit only (first: %s)\n", len(res.Outside), res.Outside[0])
	}
	return nil
}
