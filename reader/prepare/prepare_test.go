package prepare

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"sightline/internal/testkit"
	"sightline/reader/demo"
	"sightline/reader/demo/demotest"
	"sightline/reader/dicomimg"
	"sightline/reader/display"
	"sightline/reader/session"
	"sightline/reader/stage"
	"sightline/reader/study"
)

// fileCase is one real file put through Run.
type fileCase struct {
	name string
	src  func(t *testing.T) string // the file, copied into the DICOM root
	via  string                    // the transcoder that must have been used, "" for none
	// ref is the file dcm2pnm renders as the reference (default: the file itself); for a
	// lossless copy it is the uncompressed original, so the transcoding is checked too.
	ref    func(t *testing.T) string
	reason string // non-empty: the case is unreadable, with a reason saying this
}

func lib(name string) func(t *testing.T) string {
	return func(t *testing.T) string { return filepath.Join(libraryTestdata(t), name) }
}

func pyd(name string) func(t *testing.T) string {
	return func(t *testing.T) string { return filepath.Join(pydicomFiles(t), name) }
}

// made encodes suyashkumar's 4.dcm (a real 2140×1760 MONOCHROME1 CR, 12 bits, implicit VR)
// with a dcmtk or GDCM encoder.
func made(tool string, args ...string) func(t *testing.T) string {
	return madeFrom(lib("4.dcm"), tool, args...)
}

func madeFrom(src func(t *testing.T) string, tool string, args ...string) func(t *testing.T) string {
	return func(t *testing.T) string {
		out := filepath.Join(t.TempDir(), tool+".dcm")
		runTool(t, tool, append(append(args, src(t)), out)...)
		return out
	}
}

// img2dcm wraps a greyscale JPEG of our own in DICOM with dcmtk's img2dcm.
func img2dcm(t *testing.T) string {
	g := image.NewGray(image.Rect(0, 0, 300, 410))
	for y := range 410 {
		for x := range 300 {
			g.Pix[y*g.Stride+x] = uint8((x*x/300 + y/2) % 256)
		}
	}
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "in.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	if err := jpeg.Encode(f, g, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out := filepath.Join(dir, "img2dcm.dcm")
	runTool(t, "img2dcm", "-q", f.Name(), out)
	return out
}

func demoCase(i int) func(t *testing.T) string {
	return func(t *testing.T) string {
		dir := demotest.Dir(t)
		cases, err := demo.Write(dir) // idempotent: reads back what it wrote
		if err != nil {
			t.Fatal(err)
		}
		return filepath.Join(dir, filepath.FromSlash(cases[i].Path))
	}
}

func garbage(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "garbage.dcm")
	if err := os.WriteFile(p, []byte(strings.Repeat("not a DICOM file ", 100)), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// realFiles is a representative subset of every source the issue names: the DICOM library's
// testdata, Debian's pydicom test files, files made with dcmtk and GDCM, and the demo phantoms.
func realFiles() []fileCase {
	const (
		colour     = "3 samples per pixel (colour) is not read"
		multiFrame = "multi-frame images are not read"
	)
	return []fileCase{
		{name: "lib PET signed slope 1.dcm", src: lib("1.dcm")},
		{name: "lib MR 3.dcm", src: lib("3.dcm")},
		{name: "lib CR MONOCHROME1 4.dcm", src: lib("4.dcm")},
		{name: "lib multi-frame 5.dcm", src: lib("5.dcm"), reason: "2 frames: " + multiFrame},
		{name: "lib deflated 6.dcm", src: lib("6.dcm")},

		{name: "pydicom CT_small", src: pyd("CT_small.dcm")},
		{name: "pydicom MR big endian", src: pyd("MR_small_bigendian.dcm")},
		{name: "pydicom MR implicit", src: pyd("MR_small_implicit.dcm")},
		{name: "pydicom deflated", src: pyd("image_dfl.dcm")},
		{name: "pydicom no file meta", src: pyd("no_meta.dcm"), ref: pyd("CT_small.dcm")}, // the same data set with its meta
		{name: "pydicom RLE", src: pyd("MR_small_RLE.dcm"), via: "dcmdrle", ref: pyd("MR_small.dcm")},
		{name: "pydicom JPEG-LS lossless", src: pyd("MR_small_jpeg_ls_lossless.dcm"), via: "dcmdjpls", ref: pyd("MR_small.dcm")},
		{name: "pydicom JPEG 2000 lossless", src: pyd("MR_small_jp2klossless.dcm"), via: "gdcmconv", ref: pyd("MR_small.dcm")},
		{name: "pydicom JPEG 2000 lossy 16-bit", src: pyd("JPEG2000.dcm"), via: "gdcmconv", ref: gdcmRaw(pyd("JPEG2000.dcm"))},
		{name: "pydicom JPEG 2000 lossy 14-bit", src: pyd("693_J2KI.dcm"), via: "gdcmconv", ref: gdcmRaw(pyd("693_J2KI.dcm"))},
		{name: "pydicom JPEG extended 12-bit", src: pyd("JPEG-lossy.dcm"), via: "dcmdjpeg"},
		{name: "pydicom JPEG 2000 GDCM cannot read", src: pyd("JPEG2000-embedded-sequence-delimiter.dcm"),
			reason: "JPEG 2000 transfer syntax 1.2.840.10008.1.2.4.91 is not decoded; gdcmconv could not transcode it"},
		{name: "pydicom RGB", src: pyd("SC_rgb_small_odd.dcm"), reason: colour},
		{name: "pydicom RGB JPEG", src: pyd("SC_rgb_jpeg_dcmtk.dcm"), reason: colour},
		{name: "pydicom RGB RLE 2 frames", src: pyd("SC_rgb_rle_2frame.dcm"), reason: colour},
		{name: "pydicom RT dose 15 frames", src: pyd("rtdose.dcm"), reason: "15 frames: " + multiFrame},
		{name: "pydicom 1-bit", src: pyd("liver_1frame.dcm"), reason: "1 bits allocated per sample is not read"},
		{name: "pydicom 32-bit RLE", src: pyd("rtdose_rle_1frame.dcm"), reason: "32 bits allocated per sample is not read"},
		{name: "pydicom RT plan", src: pyd("rtplan.dcm"), reason: "no pixel data (not an image)"},
		{name: "pydicom truncated", src: pyd("MR_truncated.dcm"), reason: "malformed DICOM"},

		{name: "dcmtk img2dcm JPEG baseline", src: img2dcm},
		{name: "dcmtk dcmcjpeg lossless", src: made("dcmcjpeg"), via: "dcmdjpeg", ref: lib("4.dcm")},
		{name: "dcmtk dcmcjpeg 12-bit extended", src: made("dcmcjpeg", "+ee"), via: "dcmdjpeg"},
		{name: "dcmtk dcmcjpls", src: made("dcmcjpls"), via: "dcmdjpls", ref: lib("4.dcm")},
		{name: "dcmtk dcmcrle", src: made("dcmcrle"), via: "dcmdrle", ref: lib("4.dcm")},
		{name: "gdcm JPEG 2000 lossless", src: madeFrom(made("dcmconv", "+te"), "gdcmconv", "--j2k"), via: "gdcmconv", ref: lib("4.dcm")},
		// GDCM writes the sequences of an implicit VR file as UN of undefined length (CP-246)
		// when it re-encodes it as explicit VR: valid DICOM, read (these were refused once).
		{name: "gdcm JPEG 2000 with CP-246 UN sequences", src: made("gdcmconv", "--j2k"), via: "gdcmconv", ref: lib("4.dcm")},
		{name: "gdcm uncompressed with CP-246 UN sequences", src: madeFrom(made("gdcmconv", "--j2k"), "gdcmconv", "--raw"), ref: lib("4.dcm")},

		{name: "demo 0 MIMIC size 12-bit", src: demoCase(0)},
		{name: "demo 1 MONOCHROME1", src: demoCase(1)},
		{name: "demo 2 landscape", src: demoCase(2)},
		{name: "demo 3 odd size", src: demoCase(3)},
		{name: "demo 4 JPEG baseline", src: demoCase(4)},
		{name: "demo 5 signed", src: demoCase(5)},

		{name: "not DICOM", src: garbage, reason: "malformed DICOM"},
		{name: "missing file", reason: "file not found under the DICOM root"},
	}
}

// gdcmRaw is the reference for a lossy JPEG 2000 file, which dcmtk cannot render: the file
// uncompressed by GDCM, rendered by dcm2pnm.
func gdcmRaw(src func(t *testing.T) string) func(t *testing.T) string {
	return func(t *testing.T) string {
		out := filepath.Join(t.TempDir(), "raw.dcm")
		runTool(t, "gdcmconv", "--raw", src(t), out)
		return out
	}
}

// prepared is one Run over realFiles, shared by the tests that check its output.
type prepared struct {
	root, sheet, out string
	cases            []fileCase
	ids              []string // dicom_id per case
	paths            []string // worklist path per case
	res              Result
	err              error
	progress         [][2]int
}

var runOnce once[*prepared]

const note = "indication, with a comma\nand a \"quoted\" line"

func runReal(t *testing.T) *prepared {
	return runOnce.get(t, func() (*prepared, error) {
		p := &prepared{cases: realFiles()}
		p.root = filepath.Join(fixtures, "root")
		p.out = filepath.Join(fixtures, "study")
		p.sheet = filepath.Join(p.root, "worklist.csv")
		rows := [][]string{{"dicom_id", "path", "Normal", "CHF", "pneumonia", "cxr_exam_indication", "site"}}
		for i, c := range p.cases {
			id := fmt.Sprintf("case-%02d", i)
			rel := fmt.Sprintf("files/p%02d/%s.dcm", i%3, id)
			if c.src != nil {
				copyFile(t, c.src(t), filepath.Join(p.root, filepath.FromSlash(rel)))
			}
			p.ids, p.paths = append(p.ids, id), append(p.paths, rel)
			rows = append(rows, []string{id, rel, fmt.Sprint(i % 2), "0", "", note, "St. Elsewhere, ward 7"})
		}
		if err := writeCSVFile(p.sheet, rows); err != nil {
			return nil, err
		}
		// Boxes beside the worklist: two for a case in it, one for a case that is not.
		boxes := [][]string{{"dicom_id", "bbox_name", "x1", "x2", "y1", "y2"},
			{p.ids[0], "right lung", "10.0", "20.5", "30.0", "40.0"},
			{p.ids[0], "left lung", "50.0", "60.0", "70.0", "80.0"},
			{"not-in-worklist", "right lung", "1.0", "2.0", "3.0", "4.0"}}
		if err := writeCSVFile(filepath.Join(p.root, study.BoundingBoxes), boxes); err != nil {
			return nil, err
		}
		var mu sync.Mutex
		p.res, p.err = Run(context.Background(), Options{
			Worklist: p.sheet, DicomRoot: p.root, Out: p.out, Seed: 7,
			Readers: []string{"reader1", "reader2"}, SessionSize: 8, CalibEvery: 4, Jobs: 2,
			Progress: func(done, total int) {
				mu.Lock()
				p.progress = append(p.progress, [2]int{done, total})
				mu.Unlock()
			},
		})
		return p, nil
	})
}

func writeCSVFile(path string, rows [][]string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(f)
	cw.WriteAll(rows)
	if err := cw.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// TestPrepareRealFiles: every file either prepares, with pixels as dcmtk renders them (before
// resampling) and a display image that is exactly the stage as the station draws it, or is
// listed unreadable with its specific reason.
func TestPrepareRealFiles(t *testing.T) {
	p := runReal(t)
	if p.err != nil {
		t.Fatal(p.err)
	}
	unreadable := map[string]Unreadable{}
	for _, u := range p.res.Unreadable {
		unreadable[u.DicomID] = u
	}
	sheet, err := study.Load(p.out)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range p.cases {
		id := p.ids[i]
		t.Run(c.name, func(t *testing.T) {
			u, bad := unreadable[id]
			_, inSheet := sheet.Case(id)
			_, pngErr := os.Stat(display.Path(p.out, id))
			if c.reason != "" {
				if !bad {
					t.Fatalf("prepared, want unreadable: %s", c.reason)
				}
				if !strings.Contains(u.Reason, c.reason) {
					t.Errorf("reason %q does not say %q", u.Reason, c.reason)
				}
				// Every row spans two lines: the note holds a newline.
				if u.Line != 2+2*i || u.Path != p.paths[i] {
					t.Errorf("listed as line %d path %q, want line %d path %q", u.Line, u.Path, 2+2*i, p.paths[i])
				}
				if inSheet || pngErr == nil {
					t.Errorf("an unreadable case is in the study (sheet %v, display image %v)", inSheet, pngErr == nil)
				}
				return
			}
			if bad {
				t.Fatalf("unreadable: %s", u.Reason)
			}
			if !inSheet {
				t.Fatal("prepared but not in the study's master_sheet.csv")
			}
			img, l, err := display.LoadPNG(display.Path(p.out, id))
			if err != nil {
				t.Fatal(err)
			}
			side, err := display.ReadSidecar(display.Path(p.out, id))
			if err != nil {
				t.Fatal(err)
			}
			if side.TranscodedWith != c.via {
				t.Errorf("transcoded with %q, want %q", side.TranscodedWith, c.via)
			}

			// Before resampling: the decoded image against dcmtk's rendering, same window.
			src := filepath.Join(p.root, filepath.FromSlash(p.paths[i]))
			full, info, _, err := decode(context.Background(), src, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			ref := src
			if c.ref != nil {
				ref = c.ref(t)
			}
			args := []string{"+Wi", "1"}
			if info.Windowing == dicomimg.MinMax {
				args = []string{"+Wm"}
			}
			mean, worst := diff(t, full, dcm2pnm(t, ref, args...))
			t.Logf("%v %s, %s: against dcm2pnm %v of %s: mean |Δ| %.3f, max %d", full.Bounds().Size(), info.Photometric,
				info.Windowing, args, filepath.Base(ref), mean, worst)
			if mean > 1 {
				t.Errorf("mean |Δ| %.3f grey levels from dcm2pnm, want ≤ 1", mean)
			}

			// After: the display image is the stage as drawn, the pads where master_sheet says.
			b := full.Bounds()
			if want := stage.Fit(b.Dx(), b.Dy()); l != want {
				t.Fatalf("layout %+v, want %+v", l, want)
			}
			r := l.Rect()
			want := dicomimg.Fit(full, r.Dx(), r.Dy())
			if got := img.(*image.Gray); got.Rect != want.Rect || !slices.Equal(got.Pix, want.Pix) {
				t.Errorf("display image differs from the decoded image fitted to %v", r)
			}
			checkBlackPads(t, display.Path(p.out, id), r)
			c, _ := sheet.Case(id)
			if got := pads(t, sheet, c); got != [4]int{l.Top, l.Bottom, l.Left, l.Right} {
				t.Errorf("master_sheet pads %v, layout %+v", got, l)
			}
		})
	}
}

// checkBlackPads decodes the stage PNG and checks that it is 1920×1080 and black outside r (the
// rows' pads counted with bytes.Count: a loop a pixel cost seconds under -race).
func checkBlackPads(t *testing.T, path string, r image.Rectangle) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	g := img.(*image.Gray)
	if g.Rect != image.Rect(0, 0, stage.Width, stage.Height) {
		t.Fatalf("stage PNG is %v", g.Rect)
	}
	for y := 0; y < stage.Height; y++ {
		row := g.Pix[y*g.Stride : y*g.Stride+stage.Width]
		segs := [][2]int{{0, stage.Width}} // the pads of this row: all of it above and below r
		if y >= r.Min.Y && y < r.Max.Y {
			segs = [][2]int{{0, r.Min.X}, {r.Max.X, stage.Width}}
		}
		for _, sg := range segs {
			if seg := row[sg[0]:sg[1]]; bytes.Count(seg, []byte{0}) != len(seg) {
				x := sg[0] + slices.IndexFunc(seg, func(v byte) bool { return v != 0 })
				t.Fatalf("pad pixel (%d,%d) is %d, want black", x, y, row[x])
			}
		}
	}
}

func pads(t *testing.T, s *study.Study, c study.Case) [4]int {
	t.Helper()
	var out [4]int
	for k, name := range study.PadColumns {
		j := slices.Index(s.Header, name)
		if j < 0 {
			t.Fatalf("no %s column", name)
		}
		if _, err := fmt.Sscan(c.Fields[j], &out[k]); err != nil {
			t.Fatalf("%s = %q: %v", name, c.Fields[j], err)
		}
	}
	return out
}

// TestPrepareStudyFolder checks what Run wrote besides the images: the worklist carried
// through with pads, the unreadable list, the boxes, the plans, the record, the progress.
func TestPrepareStudyFolder(t *testing.T) {
	p := runReal(t)
	if p.err != nil {
		t.Fatal(p.err)
	}
	var wantBad []string
	for i, c := range p.cases {
		if c.reason != "" {
			wantBad = append(wantBad, p.ids[i])
		}
	}
	var gotBad []string
	for _, u := range p.res.Unreadable {
		gotBad = append(gotBad, u.DicomID)
	}
	if !slices.Equal(gotBad, wantBad) {
		t.Errorf("unreadable %v, want %v (in worklist order)", gotBad, wantBad)
	}
	if p.res.Cases != len(p.cases) || p.res.Prepared != len(p.cases)-len(wantBad) {
		t.Errorf("result %d cases, %d prepared; want %d, %d", p.res.Cases, p.res.Prepared, len(p.cases), len(p.cases)-len(wantBad))
	}
	wantVia := map[string]int{}
	for _, c := range p.cases {
		if c.via != "" {
			wantVia[c.via]++
		}
	}
	if !reflect.DeepEqual(p.res.Transcoded, wantVia) {
		t.Errorf("transcoded %v, want %v", p.res.Transcoded, wantVia)
	}

	t.Run("unreadable.csv", func(t *testing.T) {
		rows := testkit.ReadCSV(t, filepath.Join(p.out, UnreadableFile))
		if !slices.Equal(rows[0], []string{"line", "dicom_id", "path", "reason"}) || len(rows) != len(p.res.Unreadable)+1 {
			t.Fatalf("unreadable.csv: %q", rows)
		}
		for i, u := range p.res.Unreadable {
			if want := []string{fmt.Sprint(u.Line), u.DicomID, u.Path, u.Reason}; !slices.Equal(rows[i+1], want) {
				t.Errorf("row %d %q, want %q", i+1, rows[i+1], want)
			}
		}
	})
	t.Run("master_sheet carries the worklist", func(t *testing.T) {
		in := testkit.ReadCSV(t, p.sheet)
		out := testkit.ReadCSV(t, filepath.Join(p.out, study.MasterSheet))
		if want := append(slices.Clone(in[0]), study.PadColumns...); !slices.Equal(out[0], want) {
			t.Fatalf("header %q, want %q", out[0], want)
		}
		j := 1
		for _, row := range in[1:] {
			if slices.Contains(wantBad, row[0]) {
				continue
			}
			if !slices.Equal(out[j][:len(row)], row) {
				t.Errorf("row %d: %q, want the worklist's %q", j, out[j][:len(row)], row)
			}
			j++
		}
		if j != len(out) {
			t.Errorf("%d rows, want %d", len(out)-1, j-1)
		}
	})
	t.Run("boxes of prepared cases only", func(t *testing.T) {
		s, err := study.Load(p.out)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][]study.Box{p.ids[0]: {
			{Name: "right lung", X1: 10, X2: 20.5, Y1: 30, Y2: 40}, {Name: "left lung", X1: 50, X2: 60, Y1: 70, Y2: 80}}}
		if !reflect.DeepEqual(s.Boxes, want) {
			t.Errorf("boxes %v, want %v", s.Boxes, want)
		}
	})
	t.Run("plans", func(t *testing.T) {
		prepared := caseIDs(mustLoad(t, p.out))
		var orders [][]string
		for _, r := range []string{"reader1", "reader2"} {
			pl, err := LoadPlan(p.out, r)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(pl, p.res.Plans[len(orders)]) {
				t.Errorf("%s: plan on disk differs from Result.Plans", r)
			}
			checkPlan(t, pl, prepared)
			orders = append(orders, screenIDs(pl))
		}
		if slices.Equal(orders[0], orders[1]) {
			t.Error("two readers got the same order")
		}
	})
	t.Run("record", func(t *testing.T) {
		rec, err := ReadRecord(p.out)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Seed != 7 || rec.SessionSize != 8 || rec.CalibEvery != 4 || rec.Cases != p.res.Cases ||
			rec.Prepared != p.res.Prepared || rec.Unreadable != len(wantBad) || !reflect.DeepEqual(rec.Transcoded, wantVia) {
			t.Errorf("record %+v", rec)
		}
	})
	t.Run("progress", func(t *testing.T) {
		// First the cases settled before any decoding (one missing file), then one by one.
		total := len(p.cases)
		want := [][2]int{}
		for done := 1; done <= total; done++ {
			want = append(want, [2]int{done, total})
		}
		if !slices.Equal(p.progress, want) {
			t.Errorf("progress calls %v, want %v", p.progress, want)
		}
	})
	t.Run("nothing from the DICOM headers", func(t *testing.T) {
		// The demo phantoms carry a patient name; the worklist does not. It must appear nowhere.
		filepath.WalkDir(p.out, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, phi := range []string{"PHANTOM", "DEMO^"} {
				if strings.Contains(string(b), phi) {
					t.Errorf("%s holds %q, from a DICOM header", path, phi)
				}
			}
			if strings.HasSuffix(path, ".dcm") {
				t.Errorf("%s: a DICOM file in the study", path)
			}
			return nil
		})
	})
}

func mustLoad(t *testing.T, dir string) *study.Study {
	t.Helper()
	s, err := study.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// checkPlan checks the promises of a plan: sessions within the size, every case once,
// calibration screens named for their session, about every CalibEvery cases.
func checkPlan(t *testing.T, p Plan, cases []string) {
	t.Helper()
	var got []string
	for n, s := range p.Sessions {
		if len(s.Screens) > p.SessionSize {
			t.Errorf("session %d has %d screens, more than %d", n+1, len(s.Screens), p.SessionSize)
		}
		if !reflect.DeepEqual(p.Session(n+1), s.Screens) {
			t.Errorf("Session(%d) is not the session's screens", n+1)
		}
		ncase, ncal := 0, 0
		for _, sc := range s.Screens {
			if sc.Kind == session.KindCase {
				got = append(got, sc.DicomID)
				ncase++
			} else {
				ncal++
				if want := fmt.Sprintf("calibration-%s-s%02d-%d", p.Reader, n+1, ncal); sc.DicomID != want {
					t.Errorf("calibration screen %q, want %q", sc.DicomID, want)
				}
			}
		}
		if ncal != calibrations(ncase, p.CalibEvery) {
			t.Errorf("session %d: %d calibration screens for %d cases every %d", n+1, ncal, ncase, p.CalibEvery)
		}
	}
	if p.Session(0) != nil || p.Session(len(p.Sessions)+1) != nil {
		t.Error("Session out of range is not nil")
	}
	slices.Sort(got)
	want := slices.Sorted(slices.Values(cases))
	if !slices.Equal(got, want) {
		t.Errorf("plan holds cases %v, want each of %v once", got, want)
	}
}

func screenIDs(p Plan) []string {
	var out []string
	for _, s := range p.Sessions {
		for _, sc := range s.Screens {
			out = append(out, sc.DicomID)
		}
	}
	return out
}

// TestPrepareNoTranscoder: with no transcoder on PATH, a compressed file is unreadable with
// what to install.
func TestPrepareNoTranscoder(t *testing.T) {
	src := filepath.Join(pydicomFiles(t), "MR_small_RLE.dcm")
	t.Setenv("PATH", t.TempDir())
	_, _, _, err := decode(context.Background(), src, t.TempDir())
	want := "RLE transfer syntax 1.2.840.10008.1.2.5 is not decoded; no transcoder is installed: install dcmdrle (Debian package dcmtk) or gdcmconv (Debian package libgdcm-tools)"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want %q", err, want)
	}
	if !errors.Is(err, dicomimg.ErrUnsupported) {
		t.Errorf("%v is not ErrUnsupported", err)
	}
}
