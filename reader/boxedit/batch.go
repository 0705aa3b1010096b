package boxedit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"sightline/reader/display"
	"sightline/reader/review"
	"sightline/reader/study"
)

// Boxes in batch (`sightline boxes STUDY --apply EDITS.csv --export FILE.csv`): a file of edits
// applied to the review store, the boxes as the store then holds them exported with their audit.

// BatchOptions are a batch run's files and store.
type BatchOptions struct {
	Store  string // the review store ("", or the study's folder: the study's own review.db)
	Apply  string // the edits file to apply ("": none)
	Export string // FILE.csv to export the boxes to, the audit beside it ("": none)
	User   string // who makes the changes (needed with Apply)
	// StoreOptions open the store: read only when nothing is applied.
	StoreOptions func(readOnly bool) review.Options
	// Size reads an image's size from its DICOM header (nil: display.HeaderSize).
	Size func(s *study.Study, root string, c study.Case) (w, h int, err error)
}

// BatchResult says what a batch run did.
type BatchResult struct {
	Applied  *review.ApplyResult // nil: nothing applied
	Edits    string              // the edits file applied
	Exported *review.ExportResult
	// From is where the exported boxes come from: the store's location, or why there is none.
	From string
}

// CheckBatch refuses what cannot work before anything is opened: Apply without a valid User,
// Export into a folder that is not there.
func CheckBatch(opt BatchOptions) error {
	if opt.Apply != "" {
		if opt.User == "" {
			return errors.New("boxes: --apply needs --user NAME: every change is stored with who made it")
		}
		if err := review.CheckUser(opt.User); err != nil {
			return fmt.Errorf("boxes: --user: %w", err)
		}
	}
	if opt.Export != "" {
		if d := filepath.Dir(opt.Export); d != "" {
			if st, err := os.Stat(d); err != nil || !st.IsDir() {
				return fmt.Errorf("boxes: --export %s: the folder %s does not exist", opt.Export, d)
			}
		}
	}
	return nil
}

// RunBatch applies the edits (opt.Apply), then exports the boxes (opt.Export), of study dir.
// Everything that can be checked without the store is checked first (the user, the edits file
// whole, the export's folder), so a failed run has touched nothing; a review.db it made is
// removed again when it fails. The result holds what was done even when it fails (an apply
// that met conflicts: stored, and said, and nothing exported).
func RunBatch(ctx context.Context, dir string, opt BatchOptions) (res BatchResult, err error) {
	if err := CheckBatch(opt); err != nil {
		return res, err
	}
	s, err := study.Load(dir)
	if err != nil {
		return res, err
	}
	var batch review.Batch
	if opt.Apply != "" {
		if batch, err = readBatch(s, opt); err != nil {
			return res, err
		}
	}
	store, fresh := studyStore(dir, opt.Store)
	if fresh && opt.Apply == "" {
		// Nothing edited yet and nothing to apply: export the study's boxes, make no store.
		return res, res.export(nil, s, opt.Export, "")
	}
	if fresh {
		// err is the run's result (named): a store this run made is removed when it fails.
		defer func() {
			if err != nil {
				removeStore(filepath.Join(dir, review.FileName))
			}
		}()
	}
	var sopt review.Options
	if opt.StoreOptions != nil {
		sopt = opt.StoreOptions(opt.Apply == "")
	}
	st, err := review.Open(ctx, store, sopt)
	if opt.Apply == "" && errors.Is(err, review.ErrNoStore) && review.IsPostgres(store) {
		return res, res.export(nil, s, opt.Export, "an empty PostgreSQL database: the study's boxes as they are")
	}
	if err != nil {
		return res, err
	}
	defer st.Close()
	return res, res.applyAndExport(ctx, st, s, batch, opt)
}

// applyAndExport applies the batch of edits (with opt.Apply), then exports the boxes as the
// store now holds them (with opt.Export).
func (res *BatchResult) applyAndExport(ctx context.Context, st review.Store, s *study.Study, batch review.Batch, opt BatchOptions) error {
	if opt.Apply != "" {
		a, err := review.ApplyBatch(ctx, st, batch)
		if err != nil {
			return err
		}
		res.Applied, res.Edits, res.From = &a, batch.Name, st.Location()
		if a.Conflicts > 0 {
			return fmt.Errorf("boxes: %d edit(s) met a box someone changed meanwhile; they are stored as conflicts awaiting adjudication in the editor", a.Conflicts)
		}
	}
	if opt.Export == "" {
		return nil
	}
	log, err := st.BoxLog(ctx, "")
	if err != nil {
		return err
	}
	return res.export(log, s, opt.Export, st.Location())
}

func (res *BatchResult) export(log []review.BoxEdit, s *study.Study, path, from string) error {
	e, err := review.ExportLog(log, s, path)
	if err != nil {
		return err
	}
	if from == "" {
		from = "no review store yet: the study's boxes as they are"
	}
	res.Exported, res.From = &e, from
	return nil
}

// studyStore resolves the store: none, or the study folder, is the study's own store file;
// fresh reports that file is not there yet (the run would make it).
func studyStore(dir, store string) (resolved string, fresh bool) {
	if store != "" && filepath.Clean(store) != filepath.Clean(dir) {
		return store, false
	}
	_, err := os.Stat(filepath.Join(dir, review.FileName))
	return dir, errors.Is(err, os.ErrNotExist)
}

// removeStore removes a SQLite store and its WAL files.
func removeStore(path string) {
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		os.Remove(p)
	}
}

// readBatch reads and checks an edits file and the sizes of the images it names, from their
// DICOM headers.
func readBatch(s *study.Study, opt BatchOptions) (review.Batch, error) {
	f, err := os.Open(opt.Apply)
	if err != nil {
		return review.Batch{}, fmt.Errorf("boxes: --apply: %w", err)
	}
	rows, err := review.ReadBoxEdits(f, opt.Apply)
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
	size := opt.Size
	if size == nil {
		size = display.HeaderSize
	}
	images := review.Images(s, ids, func(c study.Case) (int, int, error) { return size(s, s.Dir, c) })
	return review.Batch{Name: opt.Apply, Rows: rows, Bad: bad, Images: images, Who: opt.User}, nil
}
