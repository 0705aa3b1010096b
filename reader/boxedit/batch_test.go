package boxedit

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sightline/reader/review"
	"sightline/reader/study"
)

// TestCheckBatch: what cannot work is refused before anything is opened.
func TestCheckBatch(t *testing.T) {
	for _, c := range []struct {
		opt  BatchOptions
		want string
	}{
		{BatchOptions{Apply: "e.csv"}, "--apply needs --user NAME"},
		{BatchOptions{Apply: "e.csv", User: " "}, "--user: "},
		{BatchOptions{Export: filepath.Join(t.TempDir(), "nowhere", "b.csv")}, "does not exist"},
		{BatchOptions{Apply: "e.csv", User: "ann", Export: filepath.Join(t.TempDir(), "b.csv")}, ""},
	} {
		err := CheckBatch(c.opt)
		if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%+v: %v, want %q", c.opt, err, c.want)
		}
	}
}

// TestRunBatchLeavesNoStoreWhenItFails: an edits file with a bad row applies nothing, and the
// review.db the run would have made is not left in the study.
func TestRunBatchLeavesNoStoreWhenItFails(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "master_sheet.csv"), []byte("dicom_id,path\na,a.dcm\n"), 0o644)
	edits := filepath.Join(t.TempDir(), "edits.csv")
	os.WriteFile(edits, []byte("dicom_id,bbox_name,x1,x2,y1,y2,status\na,no such zone,1,2,3,4,edited\n"), 0o644)
	size := func(*study.Study, string, study.Case) (int, int, error) { return 100, 100, nil }
	res, err := RunBatch(context.Background(), dir, BatchOptions{Apply: edits, User: "ann", Size: size})
	if err == nil || !strings.Contains(err.Error(), `unknown zone "no such zone"`) || res.Applied != nil {
		t.Fatalf("%+v %v", res, err)
	}
	if _, err := os.Stat(filepath.Join(dir, review.FileName)); err == nil {
		t.Error("a failed run left a review.db")
	}
}
