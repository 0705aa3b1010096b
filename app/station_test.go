package app

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sightline/internal/testkit"
	"sightline/reader/display"
	"sightline/reader/session"
	"sightline/reader/study"
)

// writeStudy makes a study folder whose worklist names the given files (relative paths).
func writeStudy(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	sheet := "dicom_id,path,Normal,CHF,pneumonia\n"
	i := 0
	for name, data := range files {
		i++
		id := strings.TrimSuffix(filepath.Base(name), ".dcm")
		sheet += id + "," + name + ",1,0,0\n"
		if data != nil {
			p := filepath.Join(dir, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "master_sheet.csv"), []byte(sheet), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestLoaderSkipsBadFilesWithReasons(t *testing.T) {
	dir := writeStudy(t, map[string][]byte{
		"files/good.dcm":    testkit.RealDICOM(t),
		"files/garbage.dcm": []byte("this is not a DICOM file at all, just text"),
		"files/missing.dcm": nil,
	})
	st, err := study.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	load := display.Loader(st)
	cases := []struct {
		id, want string
	}{
		{"garbage", "garbage.dcm"},
		{"missing", "missing.dcm"},
	}
	for _, c := range cases {
		t.Run(c.id, func(t *testing.T) {
			_, err := load(context.Background(), session.Screen{Kind: session.KindCase, DicomID: c.id})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("load %s: err = %v, want one naming %s", c.id, err, c.want)
			}
		})
	}
	f, err := load(context.Background(), session.Screen{Kind: session.KindCase, DicomID: "good"})
	if err != nil {
		t.Fatalf("good file: %v", err)
	}
	r := f.Layout.Rect()
	if b := f.Image.Bounds(); b.Dx() != r.Dx() || b.Dy() != r.Dy() {
		t.Fatalf("display image %v, drawn rectangle %v", b, r)
	}
}

func TestUnwritableSessionFolderFailsAtStart(t *testing.T) {
	dir := writeStudy(t, map[string][]byte{"files/good.dcm": testkit.RealDICOM(t)})
	// sessions/ is a regular file: nothing can be created under it (even as root).
	if err := os.WriteFile(study.SessionsRoot(dir), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := prepare(&Options{Reader: "r", CalibEvery: 20, Rate: 60, TrackerSpec: "mouse", Audio: "none", Err: io.Discard}, dir)
	if err == nil || !strings.Contains(err.Error(), study.SessionsRoot(dir)) {
		t.Fatalf("prepare: err = %v, want one naming the sessions folder", err)
	}
}

func TestSecondSessionInTheSameSecond(t *testing.T) {
	dir := writeStudy(t, map[string][]byte{"files/good.dcm": testkit.RealDICOM(t)})
	o := &Options{Reader: "r", CalibEvery: 20, Rate: 60, TrackerSpec: "mouse", Audio: "none", Seed: 9, SeedSet: true, Err: io.Discard}
	a, err := prepare(o, dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := prepare(o, dir)
	if err != nil {
		t.Fatal(err)
	}
	if a.dir == b.dir {
		t.Fatalf("two sessions share %s", a.dir)
	}
	_ = a.rec.Close(session.StatusEnded)
	_ = b.rec.Close(session.StatusEnded)
}

func TestCommandLine(t *testing.T) {
	cmd := Command()
	var out strings.Builder
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"--help"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"demo", "read", "--fullscreen", "--seed"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q", want)
		}
	}
	cmd = Command()
	cmd.SetArgs([]string{"read"})
	if err := cmd.Execute(); err == nil {
		t.Error("read without a study folder must fail")
	}
}

func TestGazeSources(t *testing.T) {
	clock := func() time.Duration { return 0 }
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cases := []struct {
		spec, wantErr string
		calibrates    bool
	}{
		{"mouse", "", false},
		{"opengaze://127.0.0.1:4242", "", true},
		{"sim", "", true},
		{"opengaze://nohost", "want opengaze://HOST:PORT", false},
		{"replay:/does/not/exist.csv", "/does/not/exist.csv", false},
		{"eyelink", "want mouse, sim", false},
	}
	for _, c := range cases {
		t.Run(c.spec, func(t *testing.T) {
			g, err := openGaze(c.spec, 60, 1, nil, clock, log)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer g.close()
			if (g.calibrator != nil) != c.calibrates {
				t.Fatalf("calibrator %v, want calibrates=%v", g.calibrator, c.calibrates)
			}
		})
	}
}
