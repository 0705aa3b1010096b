package demo

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"

	"sightline/internal/testkit"
	"sightline/reader/stage"
)

// The study is generated once for the whole package's tests.
var (
	studyOnce  sync.Once
	studyDir   string
	studyCases []Case
	studyErr   error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sightline-demo-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	studyDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// study is the demo study the tests read. make test writes it once before the suites
// (reader/demo/demotest/writestudy.go: this package's Write) and names it in SIGHTLINE_DEMO_STUDY
// (demotest.StudyEnv): read there, it is not written again here, where -race makes that
// slow; TestDeterminism writes it twice itself, under the race detector, and compares.
// Nothing here writes into it.
func study(t testing.TB) (string, []Case) {
	t.Helper()
	studyOnce.Do(func() {
		if d := os.Getenv("SIGHTLINE_DEMO_STUDY"); d != "" {
			if _, err := os.Stat(filepath.Join(d, MasterSheet)); err == nil {
				studyDir = d
			}
		}
		studyCases, studyErr = Write(studyDir)
	})
	if studyErr != nil {
		t.Fatalf("Write: %v", studyErr)
	}
	return studyDir, studyCases
}

// parse reads a file with the library, native pixel data as its raw bytes (display decodes
// them): the library's own native path reads one sample a call, and took three minutes of the
// package's time under -race for the twelve files. Encapsulated (JPEG) data it still parses.
func parse(t *testing.T, path string) dicom.Dataset {
	t.Helper()
	ds, err := dicom.ParseFile(path, nil, dicom.SkipProcessingPixelDataValue())
	if err != nil {
		t.Fatalf("suyashkumar/dicom cannot parse %s: %v", path, err)
	}
	return ds
}

// parseHeader is parse without the pixel data, which the library reads a sample at a time.
func parseHeader(t *testing.T, path string) dicom.Dataset {
	t.Helper()
	ds, err := dicom.ParseFile(path, nil, dicom.SkipPixelData())
	if err != nil {
		t.Fatalf("suyashkumar/dicom cannot parse %s: %v", path, err)
	}
	return ds
}

func intOf(t *testing.T, ds dicom.Dataset, tg tag.Tag) int {
	t.Helper()
	e, err := ds.FindElementByTag(tg)
	if err != nil {
		t.Fatalf("%v: %v", tg, err)
	}
	return dicom.MustGetInts(e.Value)[0]
}

func strOf(t *testing.T, ds dicom.Dataset, tg tag.Tag) string {
	t.Helper()
	e, err := ds.FindElementByTag(tg)
	if err != nil {
		t.Fatalf("%v: %v", tg, err)
	}
	return strings.TrimRight(strings.Join(dicom.MustGetStrings(e.Value), `\`), " \x00")
}

func floatOf(t *testing.T, ds dicom.Dataset, tg tag.Tag) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(strings.TrimSpace(strOf(t, ds, tg)), 64)
	if err != nil {
		t.Fatalf("%v: %v", tg, err)
	}
	return v
}

// display returns the case's pixels as the reading station must show them: rescaled, windowed
// to [0, 1], and inverted for MONOCHROME1 so that 1 is always white.
func display(t *testing.T, c Case, ds dicom.Dataset) []float64 {
	t.Helper()
	e, err := ds.FindElementByTag(tag.PixelData)
	if err != nil {
		t.Fatal(err)
	}
	info := dicom.MustGetPixelDataInfo(e.Value)
	n := c.Rows * c.Cols
	raw := make([]float64, n)
	if info.IntentionallyUnprocessed { // native: 16-bit little-endian samples (TestProperties)
		b := info.UnprocessedValueData
		if len(b) < 2*n || intOf(t, ds, tag.BitsAllocated) != 16 {
			t.Fatalf("native pixel data of %d bytes, %d bits allocated; want %d 16-bit samples", len(b), intOf(t, ds, tag.BitsAllocated), n)
		}
		for i := range raw {
			v := binary.LittleEndian.Uint16(b[2*i:])
			if c.Signed {
				raw[i] = float64(int16(v))
			} else {
				raw[i] = float64(v)
			}
		}
	} else {
		if len(info.Frames) != 1 || !info.Frames[0].Encapsulated {
			t.Fatalf("%d frames (encapsulated: %v), want 1 encapsulated", len(info.Frames), len(info.Frames) > 0 && info.Frames[0].Encapsulated)
		}
		img, err := info.Frames[0].GetImage()
		if err != nil {
			t.Fatalf("decode JPEG frame: %v", err)
		}
		g, ok := img.(*image.Gray)
		if !ok {
			t.Fatalf("JPEG frame decodes to %T, want *image.Gray", img)
		}
		if g.Bounds().Dx() != c.Cols || g.Bounds().Dy() != c.Rows {
			t.Fatalf("JPEG frame is %v, want %dx%d", g.Bounds(), c.Cols, c.Rows)
		}
		for y := range c.Rows {
			for x := range c.Cols {
				raw[y*c.Cols+x] = float64(g.Pix[y*g.Stride+x])
			}
		}
	}
	slope, inter := floatOf(t, ds, tag.RescaleSlope), floatOf(t, ds, tag.RescaleIntercept)
	wc, ww := floatOf(t, ds, tag.WindowCenter), floatOf(t, ds, tag.WindowWidth)
	mono1 := strOf(t, ds, tag.PhotometricInterpretation) == "MONOCHROME1"
	for i, v := range raw {
		d := min(1, max(0, (v*slope+inter-(wc-ww/2))/ww))
		if mono1 {
			d = 1 - d
		}
		raw[i] = d
	}
	return raw
}

// central is the middle half of a box, each way.
func central(b Box) Box {
	w, h := b.X2-b.X1, b.Y2-b.Y1
	return Box{Name: b.Name, X1: b.X1 + w/4, X2: b.X2 - w/4, Y1: b.Y1 + h/4, Y2: b.Y2 - h/4}
}

func boxMean(pix []float64, cols int, b Box) float64 {
	var sum float64
	var n int
	for y := int(b.Y1); y <= int(b.Y2); y += 3 {
		for x := int(b.X1); x <= int(b.X2); x += 3 {
			sum += pix[y*cols+x]
			n++
		}
	}
	return sum / float64(n)
}

// TestFiles checks every DICOM file with suyashkumar/dicom, against its Case, and its pixels
// against its boxes.
func TestFiles(t *testing.T) {
	dir, cases := study(t)
	for i, c := range cases {
		t.Run(fmt.Sprintf("%02d_%s", i, c.Condition), func(t *testing.T) {
			ds := parse(t, filepath.Join(dir, c.Path))
			if got := intOf(t, ds, tag.Rows); got != c.Rows {
				t.Errorf("Rows = %d, Case says %d", got, c.Rows)
			}
			if got := intOf(t, ds, tag.Columns); got != c.Cols {
				t.Errorf("Columns = %d, Case says %d", got, c.Cols)
			}
			if got := strOf(t, ds, tag.PhotometricInterpretation); got != c.Photometric {
				t.Errorf("PhotometricInterpretation = %q, Case says %q", got, c.Photometric)
			}
			if got := strOf(t, ds, tag.TransferSyntaxUID); got != c.TransferSyntax {
				t.Errorf("TransferSyntaxUID = %q, Case says %q", got, c.TransferSyntax)
			}
			if got := intOf(t, ds, tag.BitsAllocated); got != c.BitsAllocated {
				t.Errorf("BitsAllocated = %d, Case says %d", got, c.BitsAllocated)
			}
			if got := intOf(t, ds, tag.BitsStored); got != c.BitsStored || intOf(t, ds, tag.HighBit) != c.BitsStored-1 {
				t.Errorf("BitsStored = %d (HighBit %d), Case says %d", got, intOf(t, ds, tag.HighBit), c.BitsStored)
			}
			if got := intOf(t, ds, tag.PixelRepresentation) == 1; got != c.Signed {
				t.Errorf("PixelRepresentation signed = %v, Case says %v", got, c.Signed)
			}
			if got := intOf(t, ds, tag.SamplesPerPixel); got != 1 {
				t.Errorf("SamplesPerPixel = %d", got)
			}
			if got := strOf(t, ds, tag.SOPInstanceUID); got != strOf(t, ds, tag.MediaStorageSOPInstanceUID) {
				t.Errorf("SOPInstanceUID %q differs from MediaStorageSOPInstanceUID %q", got, strOf(t, ds, tag.MediaStorageSOPInstanceUID))
			}
			for _, tg := range []tag.Tag{tag.StudyInstanceUID, tag.SeriesInstanceUID, tag.SOPInstanceUID} {
				if u := strOf(t, ds, tg); !regexp.MustCompile(`^2\.25\.[1-9][0-9]*$`).MatchString(u) || len(u) > 64 {
					t.Errorf("%v = %q, want a 2.25 UID of at most 64 characters", tg, u)
				}
			}
			if got := strOf(t, ds, tag.PatientName); !strings.HasPrefix(got, "DEMO^PHANTOM") {
				t.Errorf("PatientName = %q", got)
			}

			// Box sanity against the pixels: the middle of each lung's box is aerated lung, the
			// middle of the cardiac silhouette's is heart.
			pix := display(t, c, ds)
			rl, _ := c.Box("right mid lung zone")
			ll, _ := c.Box("left mid lung zone")
			heart, _ := c.Box("cardiac silhouette")
			lungs := (boxMean(pix, c.Cols, central(rl)) + boxMean(pix, c.Cols, central(ll))) / 2
			h := boxMean(pix, c.Cols, central(heart))
			if !(lungs+0.2 < h) {
				t.Errorf("displayed lungs (mean %.2f) are not clearly darker than the heart (mean %.2f)", lungs, h)
			}
			// The corners above the shoulders are air: dark on display, whatever the encoding.
			if v := pix[5*c.Cols+5]; v > 0.2 {
				t.Errorf("top-left corner displays at %.2f, want dark", v)
			}
		})
	}
}

// TestDcmtk has dcmtk read and render every file: dcmdump must report no error or warning,
// dcm2pnm (dcmj2pnm for the JPEG one) must render it.
func TestDcmtk(t *testing.T) {
	dir, cases := study(t)
	for _, tool := range []string{"dcmdump", "dcm2pnm", "dcmj2pnm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found (the Makefile installs dcmtk): %v", tool, err)
		}
	}
	out := t.TempDir()
	for i, c := range cases {
		t.Run(fmt.Sprintf("%02d_%s", i, c.Condition), func(t *testing.T) {
			path := filepath.Join(dir, c.Path)
			cmd := exec.Command("dcmdump", "-ll", "warn", path)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("dcmdump: %v\n%s", err, stderr.String())
			}
			for _, line := range strings.Split(stdout.String()+stderr.String(), "\n") {
				if strings.HasPrefix(line, "E:") || strings.HasPrefix(line, "W:") {
					t.Errorf("dcmdump: %s", line)
				}
			}
			render := "dcm2pnm"
			if c.TransferSyntax == JPEGBaseline8Bit {
				render = "dcmj2pnm"
			}
			png := filepath.Join(out, fmt.Sprintf("%02d.png", i))
			b, err := exec.Command(render, "-ll", "warn", "+on", "+Wi", "1", "+Sxv", "256", path, png).CombinedOutput()
			if err != nil || len(bytes.TrimSpace(b)) > 0 {
				t.Fatalf("%s: %v\n%s", render, err, b)
			}
			if st, err := os.Stat(png); err != nil || st.Size() == 0 {
				t.Fatalf("%s wrote no image: %v", render, err)
			}
		})
	}
}

// TestProperties checks the variety that other packages' tests rely on, from the files.
func TestProperties(t *testing.T) {
	dir, cases := study(t)
	if len(cases) != 12 {
		t.Fatalf("%d cases, want 12", len(cases))
	}
	count := map[string]int{}
	for _, c := range cases {
		count[c.Condition]++
		ds := parseHeader(t, filepath.Join(dir, c.Path))
		if strOf(t, ds, tag.PhotometricInterpretation) == "MONOCHROME1" {
			count["MONOCHROME1"]++
		}
		rows, cols := intOf(t, ds, tag.Rows), intOf(t, ds, tag.Columns)
		if cols > rows {
			count["landscape"]++
		}
		if rows%2 == 1 && cols%2 == 1 {
			count["odd"]++
		}
		if max(rows, cols) < 2000 {
			t.Errorf("%s is %dx%d, want at least 2000 on the long side", c.DicomID, cols, rows)
		}
		switch strOf(t, ds, tag.TransferSyntaxUID) {
		case JPEGBaseline8Bit:
			if intOf(t, ds, tag.BitsAllocated) == 8 {
				count["jpeg"]++
			}
		case ExplicitVRLittleEndian, ImplicitVRLittleEndian:
			if intOf(t, ds, tag.BitsAllocated) != 16 {
				t.Errorf("%s: native with BitsAllocated %d", c.DicomID, intOf(t, ds, tag.BitsAllocated))
			}
		default:
			t.Errorf("%s: unexpected transfer syntax %s", c.DicomID, strOf(t, ds, tag.TransferSyntaxUID))
		}
		if intOf(t, ds, tag.PixelRepresentation) == 1 && floatOf(t, ds, tag.RescaleIntercept) != 0 {
			count["signed"]++
		}
		if floatOf(t, ds, tag.RescaleSlope) != 1 {
			count["slope"]++
		}
	}
	want := map[string]int{"Normal": 4, "CHF": 4, "pneumonia": 4}
	for k, v := range want {
		if count[k] != v {
			t.Errorf("%d %s cases, want %d", count[k], k, v)
		}
	}
	for _, k := range []string{"MONOCHROME1", "landscape", "odd", "jpeg", "signed", "slope"} {
		if count[k] < 1 {
			t.Errorf("no case with property %q", k)
		}
	}
}

var dicomIDPattern = regexp.MustCompile(`^[0-9a-f]{8}(-[0-9a-f]{8}){4}$`)
var pathPattern = regexp.MustCompile(`^files/p1[0-9]/p1[0-9]{7}/s[0-9]{8}/([0-9a-f-]+)\.dcm$`)

func TestCases(t *testing.T) {
	dir, cases := study(t)
	seen := map[string]bool{}
	for _, c := range cases {
		if !dicomIDPattern.MatchString(c.DicomID) || seen[c.DicomID] {
			t.Errorf("DicomID %q is malformed or repeated", c.DicomID)
		}
		seen[c.DicomID] = true
		m := pathPattern.FindStringSubmatch(c.Path)
		if m == nil || m[1] != c.DicomID || !strings.HasPrefix(c.Path, "files/p"+c.PatientID[:2]+"/p"+c.PatientID+"/s"+c.StudyID+"/") {
			t.Errorf("Path %q does not follow the MIMIC layout for %s", c.Path, c.DicomID)
		}
		if _, err := os.Stat(filepath.Join(dir, c.Path)); err != nil {
			t.Error(err)
		}
	}
	// No temporary file is left behind.
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), ".tmp-") {
			t.Errorf("leftover temporary file %s", p)
		}
		return nil
	})
}

func TestBoxes(t *testing.T) {
	_, cases := study(t)
	for _, c := range cases {
		if len(c.Boxes) != len(BoxNames) {
			t.Errorf("%s: %d boxes, want %d", c.DicomID, len(c.Boxes), len(BoxNames))
			continue
		}
		for i, b := range c.Boxes {
			if b.Name != BoxNames[i] {
				t.Errorf("%s: box %d is %q, want %q", c.DicomID, i, b.Name, BoxNames[i])
			}
			if !(0 <= b.X1 && b.X1 < b.X2 && b.X2 < float64(c.Cols) && 0 <= b.Y1 && b.Y1 < b.Y2 && b.Y2 < float64(c.Rows)) {
				t.Errorf("%s: %s %+v is empty or outside the %dx%d image", c.DicomID, b.Name, b, c.Cols, c.Rows)
			}
		}
		get := func(name string) Box { b, _ := c.Box(name); return b }
		rl, ll, heart := get("right lung"), get("left lung"), get("cardiac silhouette")
		// Radiological convention: the right lung is on the image's left.
		if !(rl.X1 < ll.X1 && (rl.X1+rl.X2)/2 < (heart.X1+heart.X2)/2 && (heart.X1+heart.X2)/2 < (ll.X1+ll.X2)/2) {
			t.Errorf("%s: right lung %+v, heart %+v, left lung %+v are not laid out right to left", c.DicomID, rl, heart, ll)
		}
		for _, side := range []string{"right", "left"} {
			lung := get(side + " lung")
			up, mid, low := get(side+" upper lung zone"), get(side+" mid lung zone"), get(side+" lower lung zone")
			if !(up.Y1 == lung.Y1 && up.Y2 <= mid.Y1+1 && mid.Y2 <= low.Y1+1 && low.Y2 == lung.Y2) {
				t.Errorf("%s: %s zones %v %v %v do not split the lung %v in thirds", c.DicomID, side, up, mid, low, lung)
			}
			cp := get(side + " costophrenic angle")
			if cp.Y2 < lung.Y2-5 || cp.Y1 > lung.Y2 {
				t.Errorf("%s: %s costophrenic angle %v is not at the lung base %v", c.DicomID, side, cp, lung)
			}
			clav := get(side + " clavicle")
			if clav.Y1 > (lung.Y1+lung.Y2)/2 {
				t.Errorf("%s: %s clavicle %v is below mid lung", c.DicomID, side, clav)
			}
		}
		tr, med := get("trachea"), get("upper mediastinum")
		// Compared in pixels after a slight rotation: allow a few.
		if tol := 0.01 * float64(c.Rows); tr.Y2 > heart.Y1+tol || med.Y2 > heart.Y1+tol {
			t.Errorf("%s: trachea %v or upper mediastinum %v reaches below the heart's top %v", c.DicomID, tr, med, heart)
		}
	}
}

// ctr is the cardiothoracic ratio measured on the boxes.
func ctr(c Case) float64 {
	h, _ := c.Box("cardiac silhouette")
	r, _ := c.Box("right lung")
	l, _ := c.Box("left lung")
	return (h.X2 - h.X1) / (l.X2 - r.X1)
}

func TestCardiothoracicRatio(t *testing.T) {
	_, cases := study(t)
	var normal, chf []float64
	for _, c := range cases {
		switch c.Condition {
		case "Normal":
			normal = append(normal, ctr(c))
		case "CHF":
			chf = append(chf, ctr(c))
		}
	}
	mean := func(v []float64) float64 {
		s := 0.0
		for _, x := range v {
			s += x
		}
		return s / float64(len(v))
	}
	if mean(chf) < mean(normal)+0.08 {
		t.Errorf("mean CTR: CHF %.2f, Normal %.2f; want CHF hearts clearly wider", mean(chf), mean(normal))
	}
	if slices.Max(normal) >= 0.5 || slices.Min(chf) <= 0.5 {
		t.Errorf("CTR Normal %v, CHF %v: want Normal < 0.5 < CHF", normal, chf)
	}
}

func TestMasterSheet(t *testing.T) {
	dir, cases := study(t)
	recs := testkit.ReadCSV(t, filepath.Join(dir, MasterSheet))
	if !reflect.DeepEqual(recs[0], MasterSheetHeader) || len(recs[0]) != 59 {
		t.Fatalf("header = %v (%d columns), want the 59 EGD-CXR columns", recs[0], len(recs[0]))
	}
	rows := recs[1:]
	if len(rows) != len(cases) {
		t.Fatalf("%d rows, want %d", len(rows), len(cases))
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	var comma, newline bool
	for i, r := range rows {
		c := cases[i]
		if r[col["dicom_id"]] != c.DicomID || r[col["path"]] != c.Path || r[col["patient_id"]] != c.PatientID || r[col["study_id"]] != c.StudyID {
			t.Errorf("row %d: %v does not match case %+v", i, r[:4], c)
		}
		for _, cond := range []string{"Normal", "CHF", "pneumonia"} {
			want := "0"
			if cond == c.Condition {
				want = "1"
			}
			if r[col[cond]] != want {
				t.Errorf("row %d: %s = %q, want %q", i, cond, r[col[cond]], want)
			}
		}
		l := stage.Fit(c.Cols, c.Rows)
		pads := []string{r[col["image_top_pad"]], r[col["image_bottom_pad"]], r[col["image_left_pad"]], r[col["image_right_pad"]]}
		if want := []string{strconv.Itoa(l.Top), strconv.Itoa(l.Bottom), strconv.Itoa(l.Left), strconv.Itoa(l.Right)}; !reflect.DeepEqual(pads, want) {
			t.Errorf("row %d: pads %v, want %v", i, pads, want)
		}
		ind := r[col["cxr_exam_indication"]]
		comma = comma || strings.Contains(ind, ",")
		newline = newline || strings.Contains(ind, "\n")
		if ind == "" || r[col["dx1"]] == "" || r[col["dx1_icd"]] == "" {
			t.Errorf("row %d: empty indication or diagnosis", i)
		}
	}
	if !comma || !newline {
		t.Errorf("indications: comma %v, newline %v; want both exercised", comma, newline)
	}
}

var oneDecimal = regexp.MustCompile(`^[0-9]+\.[0-9]$`)

func TestBoundingBoxesCSV(t *testing.T) {
	dir, cases := study(t)
	recs := testkit.ReadCSV(t, filepath.Join(dir, BoundingBoxes))
	if !reflect.DeepEqual(recs[0], []string{"dicom_id", "bbox_name", "x1", "x2", "y1", "y2"}) {
		t.Fatalf("header = %v", recs[0])
	}
	got := map[string]Box{}
	for _, r := range recs[1:] {
		var v [4]float64
		for i, s := range r[2:] {
			if !oneDecimal.MatchString(s) {
				t.Errorf("%v: %q is not formatted like 1007.0", r, s)
			}
			v[i], _ = strconv.ParseFloat(s, 64)
		}
		got[r[0]+"/"+r[1]] = Box{Name: r[1], X1: v[0], X2: v[1], Y1: v[2], Y2: v[3]}
	}
	if len(recs)-1 != 17*len(cases) || len(got) != 17*len(cases) {
		t.Errorf("%d rows (%d distinct), want %d", len(recs)-1, len(got), 17*len(cases))
	}
	for _, c := range cases {
		for _, b := range c.Boxes {
			if got[c.DicomID+"/"+b.Name] != b {
				t.Errorf("%s %s: csv has %+v, case has %+v", c.DicomID, b.Name, got[c.DicomID+"/"+b.Name], b)
			}
		}
	}
}

func TestIdempotent(t *testing.T) {
	dir, cases := study(t)
	sheet := filepath.Join(dir, MasterSheet)
	before, err := os.Stat(sheet)
	if err != nil {
		t.Fatal(err)
	}
	again, err := WriteSeed(dir, 99) // a different seed must not matter: the study is there
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again, cases) {
		t.Errorf("second Write returned different cases")
	}
	after, _ := os.Stat(sheet)
	if !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("second Write rewrote %s", MasterSheet)
	}

	foreign := t.TempDir()
	os.WriteFile(filepath.Join(foreign, MasterSheet), []byte("dicom_id\n"), 0o644)
	if _, err := Write(foreign); !errors.Is(err, ErrNotDemo) {
		t.Errorf("Write over a foreign study: %v, want ErrNotDemo", err)
	}
}

func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[rel], err = os.ReadFile(p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestDeterminism regenerates the study: another seed gives other files, and the same seed
// byte-identical ones. The second is written over the first with its master sheet removed, as an
// interrupted earlier run leaves it: it must be redone, not trusted. (Two generations, not three:
// the demo's is the slowest part of the suite under -race.)
func TestDeterminism(t *testing.T) {
	dir, cases := study(t)
	want := readTree(t, dir)

	again := t.TempDir()
	oc, err := WriteSeed(again, 7)
	if err != nil {
		t.Fatal(err)
	}
	og := readTree(t, again)
	for i, c := range oc {
		if c.DicomID == cases[i].DicomID {
			t.Errorf("case %d: same DicomID with another seed", i)
		}
		if bytes.Equal(og[filepath.FromSlash(c.Path)], want[filepath.FromSlash(cases[i].Path)]) {
			t.Errorf("case %d: same file with another seed", i)
		}
		if reflect.DeepEqual(c.Boxes, cases[i].Boxes) {
			t.Errorf("case %d: same anatomy with another seed", i)
		}
	}

	os.Remove(filepath.Join(again, MasterSheet))
	same, err := Write(again)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(same, cases) {
		t.Errorf("same seed, different cases")
	}
	got := readTree(t, again)
	for name, b := range want {
		if !bytes.Equal(got[name], b) {
			t.Errorf("%s differs between two runs with the same seed", name)
		}
	}
}

// TestDICOMEncoding checks the writer's rules on small values: even lengths and padding.
func TestDICOMEncoding(t *testing.T) {
	cases := []struct {
		name, vr string
		in, want []byte
	}{
		{"odd UI pads with NUL", "UI", []byte("1.2.3"), []byte("1.2.3\x00")},
		{"odd CS pads with space", "CS", []byte("ABC"), []byte("ABC ")},
		{"odd LO pads with space", "LO", []byte("abc"), []byte("abc ")},
		{"odd OB pads with NUL", "OB", []byte{1, 2, 3}, []byte{1, 2, 3, 0}},
		{"even stays", "SH", []byte("ab"), []byte("ab")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := padded(c.vr, c.in); !bytes.Equal(got, c.want) {
				t.Errorf("padded(%s, %q) = %q, want %q", c.vr, c.in, got, c.want)
			}
		})
	}
	var ds dataset
	ds.str(0x0010, 0x0010, "PN", "A^B")
	ds.str(0x0008, 0x0060, "CS", "CR")
	var buf bytes.Buffer
	if err := writePart10(&buf, &ds, crImageStorage, "1.2.3", ExplicitVRLittleEndian); err != nil {
		t.Fatal(err)
	}
	parsed, err := dicom.Parse(bytes.NewReader(buf.Bytes()), int64(buf.Len()), nil)
	if err != nil {
		t.Fatalf("parse a minimal file: %v", err)
	}
	if e, err := parsed.FindElementByTag(tag.PatientName); err != nil || strings.TrimSpace(dicom.MustGetStrings(e.Value)[0]) != "A^B" {
		t.Errorf("PatientName read back as %v (%v)", e, err)
	}
	if buf.Len()%2 != 0 {
		t.Errorf("file length %d is odd", buf.Len())
	}
}

func BenchmarkGenerate(b *testing.B) {
	for b.Loop() {
		dir := b.TempDir()
		if _, err := WriteSeed(dir, DefaultSeed); err != nil {
			b.Fatal(err)
		}
	}
}

// Guard against NaN sneaking into a raster (a negative blur value under a power once did).
func TestRenderFinite(t *testing.T) {
	specs := studySpecs(DefaultSeed)
	for _, i := range []int{1, 2} {
		s := specs[i]
		_, d := drawCase(DefaultSeed, s)
		for k, v := range d.pix {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("case %d: pixel %d is %v", i, k, v)
			}
		}
	}
}
