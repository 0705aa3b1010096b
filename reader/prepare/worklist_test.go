package prepare

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sightline/reader/display"
	"sightline/reader/stage"
	"sightline/reader/study"
)

// smallRoot is a DICOM root with one real file (suyashkumar's 3.dcm, a 176×176 MR) at
// files/a.dcm, and a worklist folder beside it.
func smallRoot(t *testing.T) (root, sheetDir string) {
	t.Helper()
	base := t.TempDir()
	root = filepath.Join(base, "root")
	copyFile(t, filepath.Join(libraryTestdata(t), "3.dcm"), filepath.Join(root, "files", "a.dcm"))
	sheetDir = filepath.Join(base, "sheet")
	if err := os.MkdirAll(sheetDir, 0o755); err != nil {
		t.Fatal(err)
	}
	return root, sheetDir
}

// TestPrepareRefusesWorklist: a worklist that cannot be trusted stops the run, with its line.
func TestPrepareRefusesWorklist(t *testing.T) {
	cases := []struct {
		name  string
		sheet string
		setup func(t *testing.T, root string)
		want  string
	}{
		{"missing dicom_id", "id,path\na,files/a.dcm\n", nil, `worklist.csv:1: missing required column "dicom_id"`},
		{"missing path", "dicom_id,file\na,files/a.dcm\n", nil, `worklist.csv:1: missing required column "path"`},
		{"duplicate id", "dicom_id,path\na,files/a.dcm\nb,files/a.dcm\na,files/a.dcm\n", nil,
			`worklist.csv:4: duplicate dicom_id "a" (first on line 2)`},
		{"absolute path", "dicom_id,path\na,/etc/passwd\n", nil, `worklist.csv:2: path "/etc/passwd" is absolute`},
		{"dot-dot path", "dicom_id,path\na,files/../../secret.dcm\n", nil, `worklist.csv:2: path "files/../../secret.dcm" escapes`},
		{"id that cannot name a file", "dicom_id,path\na/b,files/a.dcm\n", nil, `worklist.csv:2: dicom_id "a/b" cannot name a file`},
		{"ragged row", "dicom_id,path,x\na,files/a.dcm\n", nil, "worklist.csv:2: wrong number of fields"},
		{"symlink out of the root", "dicom_id,path\na,files/a.dcm\nb,files/out.dcm\n",
			func(t *testing.T, root string) {
				outside := filepath.Join(t.TempDir(), "outside.dcm")
				copyFile(t, filepath.Join(root, "files", "a.dcm"), outside)
				if err := os.Symlink(outside, filepath.Join(root, "files", "out.dcm")); err != nil {
					t.Fatal(err)
				}
			}, `worklist.csv:3: path "files/out.dcm" leads outside `},
		{"empty worklist file", "", nil, "worklist.csv: empty file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root, sheetDir := smallRoot(t)
			if tc.setup != nil {
				tc.setup(t, root)
			}
			sheet := filepath.Join(sheetDir, "worklist.csv")
			if err := os.WriteFile(sheet, []byte(tc.sheet), 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(t.TempDir(), "study")
			_, err := Run(context.Background(), Options{Worklist: sheet, DicomRoot: root, Out: out})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error saying %q", err, tc.want)
			}
			if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a refused worklist left %s behind (%v)", out, err)
			}
		})
	}
}

func TestPrepareRefusesOptions(t *testing.T) {
	root, sheetDir := smallRoot(t)
	sheet := filepath.Join(sheetDir, "worklist.csv")
	if err := os.WriteFile(sheet, []byte("dicom_id,path\na,files/a.dcm\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	done := filepath.Join(t.TempDir(), "done")
	if _, err := Run(context.Background(), Options{Worklist: sheet, DicomRoot: root, Out: done}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		o    Options
		want string
	}{
		{"no output folder", Options{Worklist: sheet, DicomRoot: root}, "are all needed"},
		{"no DICOM root", Options{Worklist: sheet, Out: "x"}, "are all needed"},
		{"DICOM root missing", Options{Worklist: sheet, DicomRoot: filepath.Join(root, "nope"), Out: "x"}, "DICOM root"},
		{"worklist missing", Options{Worklist: sheet + ".nope", DicomRoot: root, Out: "x"}, sheet + ".nope: no such file or directory"},
		{"bad reader", Options{Worklist: sheet, DicomRoot: root, Out: "x", Readers: []string{"../r"}}, `reader name "../r"`},
		{"reader twice", Options{Worklist: sheet, DicomRoot: root, Out: "x", Readers: []string{"r", "r"}}, "reader r named twice"},
		{"session too small", Options{Worklist: sheet, DicomRoot: root, Out: "x", SessionSize: 1, CalibEvery: 20}, "a session of 1 screens"},
		{"study already there", Options{Worklist: sheet, DicomRoot: root, Out: done}, "folder already holds a study"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Run(context.Background(), tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := Run(context.Background(), Options{Worklist: sheet, DicomRoot: root, Out: done}); !errors.Is(err, ErrStudyExists) {
		t.Errorf("preparing into a study: %v, want ErrStudyExists", err)
	}
}

// TestPrepareNothingReadable: when no case can be shown there is no study, only the list.
func TestPrepareNothingReadable(t *testing.T) {
	root, sheetDir := smallRoot(t)
	copyFile(t, filepath.Join(libraryTestdata(t), "5.dcm"), filepath.Join(root, "files", "multi.dcm"))
	sheet := filepath.Join(sheetDir, "worklist.csv")
	if err := os.WriteFile(sheet, []byte("dicom_id,path\nm,files/multi.dcm\ngone,files/gone.dcm\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "study")
	res, err := Run(context.Background(), Options{Worklist: sheet, DicomRoot: root, Out: out})
	if err == nil || !strings.Contains(err.Error(), "none of the 2 cases could be prepared") {
		t.Fatalf("got %v", err)
	}
	if len(res.Unreadable) != 2 {
		t.Errorf("unreadable %+v", res.Unreadable)
	}
	if _, err := os.Stat(filepath.Join(out, study.MasterSheet)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("master_sheet.csv written for an empty study: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, UnreadableFile)); err != nil {
		t.Errorf("no unreadable.csv: %v", err)
	}
}

// TestPrepareCancelled: a cancelled run stops and leaves no study behind.
func TestPrepareCancelled(t *testing.T) {
	root, sheetDir := smallRoot(t)
	sheet := filepath.Join(sheetDir, "worklist.csv")
	if err := os.WriteFile(sheet, []byte("dicom_id,path\na,files/a.dcm\nb,files/a.dcm\nc,files/a.dcm\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := filepath.Join(t.TempDir(), "study")
	// Cancelled from the progress hook after the first case: the others are not started.
	calls := 0
	_, err := Run(ctx, Options{Worklist: sheet, DicomRoot: root, Out: out, Jobs: 1, Progress: func(done, total int) {
		calls++
		if done == 1 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if _, err := os.Stat(filepath.Join(out, study.MasterSheet)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a cancelled run wrote master_sheet.csv: %v", err)
	}
}

func TestLoadDisplayRefuses(t *testing.T) {
	root, sheetDir := smallRoot(t)
	sheet := filepath.Join(sheetDir, "worklist.csv")
	if err := os.WriteFile(sheet, []byte("dicom_id,path\na,files/a.dcm\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "study")
	if _, err := Run(context.Background(), Options{Worklist: sheet, DicomRoot: root, Out: out}); err != nil {
		t.Fatal(err)
	}
	good := display.Path(out, "a")
	img, l, err := display.LoadPNG(good)
	if err != nil {
		t.Fatal(err)
	}
	if l != stage.Fit(176, 176) || img.Bounds() != image.Rect(0, 0, 1080, 1080) {
		t.Fatalf("layout %+v, image %v", l, img.Bounds())
	}
	side, _ := os.ReadFile(display.SidecarPath(good))
	pngBytes, _ := os.ReadFile(good)
	small := filepath.Join(t.TempDir(), "small.png")
	f, _ := os.Create(small)
	png.Encode(f, image.NewGray(image.Rect(0, 0, 960, 540)))
	f.Close()
	smallBytes, _ := os.ReadFile(small)

	cases := []struct {
		name      string
		side, png []byte
		want      string
	}{
		{"no sidecar", nil, pngBytes, "display layout"},
		{"pads not as drawn", []byte(strings.Replace(string(side), `"Left": 420`, `"Left": 421`, 1)), pngBytes, "is not how the station draws it"},
		{"sidecar not JSON", []byte("{"), pngBytes, "display layout"},
		{"image not the stage", side, smallBytes, "is 960x540, want the 1920x1080 stage"},
		{"image not PNG", side, []byte("GIF89a"), "display image"},
		{"no image", side, nil, "display image"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "x.png")
			if tc.png != nil {
				os.WriteFile(p, tc.png, 0o644)
			}
			if tc.side != nil {
				os.WriteFile(display.SidecarPath(p), tc.side, 0o644)
			}
			_, _, err := display.LoadPNG(p)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestEncodeGray(t *testing.T) {
	for _, size := range []image.Point{{1, 1}, {3, 2}, {17, 5}, {stage.Width, stage.Height}} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			g := image.NewGray(image.Rect(0, 0, size.X, size.Y))
			for i := range g.Pix {
				g.Pix[i] = uint8(i*7 + i/size.X*13)
			}
			var buf bytes.Buffer
			if err := encodeGray(&buf, g); err != nil {
				t.Fatal(err)
			}
			back, err := png.Decode(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if bg, ok := back.(*image.Gray); !ok || bg.Rect != g.Rect || !bytes.Equal(bg.Pix, g.Pix) {
				t.Errorf("decodes to a different image (%T)", back)
			}
		})
	}
	// A sub-image (origin not at 0,0) encodes its own pixels.
	g := image.NewGray(image.Rect(0, 0, 8, 8))
	for i := range g.Pix {
		g.Pix[i] = uint8(i)
	}
	sub := g.SubImage(image.Rect(2, 3, 6, 7)).(*image.Gray)
	var buf bytes.Buffer
	if err := encodeGray(&buf, sub); err != nil {
		t.Fatal(err)
	}
	back, _ := png.Decode(&buf)
	for y := range 4 {
		for x := range 4 {
			if got, want := back.(*image.Gray).GrayAt(x, y).Y, sub.GrayAt(x+2, y+3).Y; got != want {
				t.Fatalf("(%d,%d) = %d, want %d", x, y, got, want)
			}
		}
	}
}

// TestPrepareWriteFails: a display image that cannot be written stops the run (it is not the
// case's fault, and the study would be incomplete).
func TestPrepareWriteFails(t *testing.T) {
	root, sheetDir := smallRoot(t)
	sheet := filepath.Join(sheetDir, "worklist.csv")
	if err := os.WriteFile(sheet, []byte("dicom_id,path\na,files/a.dcm\nb,files/a.dcm\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "study")
	// A folder where a's image goes: the rename onto it fails, even for root.
	if err := os.MkdirAll(filepath.Join(display.Path(out, "a"), "in-the-way"), 0o755); err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), Options{Worklist: sheet, DicomRoot: root, Out: out})
	if err == nil || !strings.Contains(err.Error(), "write "+display.Path(out, "a")) {
		t.Fatalf("got %v, want the failed write", err)
	}
	if len(res.Unreadable) != 0 {
		t.Errorf("a write failure was blamed on the case: %+v", res.Unreadable)
	}
	if _, err := os.Stat(filepath.Join(out, study.MasterSheet)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("master_sheet.csv written after a failed write: %v", err)
	}
}
