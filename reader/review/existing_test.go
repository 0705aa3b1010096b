package review

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestOpenExisting: a reading command opens the store it is given, or the study's own
// review.db when there is one, and makes none in a study without one.
func TestOpenExisting(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "master_sheet.csv"), []byte("dicom_id,path\n"), 0o644)
	st, err := OpenExisting(ctx, dir, "", Options{ReadOnly: true})
	if st != nil || err != nil {
		t.Fatalf("a study without a store: %v %v", st, err)
	}
	if _, err := os.Stat(filepath.Join(dir, FileName)); err == nil {
		t.Fatal("OpenExisting made a review.db")
	}
	made, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	made.Close()
	st, err = OpenExisting(ctx, dir, "", Options{ReadOnly: true})
	if err != nil || st == nil {
		t.Fatalf("the study's review.db: %v %v", st, err)
	}
	st.Close()
	if _, err := OpenExisting(ctx, dir, filepath.Join(t.TempDir(), "nowhere", "x.db"), Options{ReadOnly: true}); err == nil {
		t.Error("a store given that is not there: no error")
	}
}
