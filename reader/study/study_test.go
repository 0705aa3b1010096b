package study

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sightline/reader/stage"
)

const (
	id1 = "1a3f39ce-ebe90275-9a66145a-af03360e-ee3b163b"
	id2 = "002da0d9-ce49c30d-4dfcc1f8-746d2401-d8044d48"
	id3 = "3c7d71b0-383da7fc-80f78f8c-6be2da46-3614e059"
)

// goodSheet has an extra unknown column, a quoted indication with a comma and a newline, and the
// three label columns.
var goodSheet = "dicom_id,path,study_id,image_top_pad,image_bottom_pad,image_left_pad,image_right_pad,Normal,CHF,pneumonia,cxr_exam_indication,extra\n" +
	id1 + ",files/p15/p15628804/s58573295/" + id1 + ".dcm,58573295,0,0,534,534,0,1,0,\"Dyspnea, r/o CHF\nsecond line\",x\n" +
	id2 + ",files/p10/p10000032/s50414267/" + id2 + ".dcm,50414267,,,,,1,0,0,\"He said \"\"fine\"\"\",\n" +
	id3 + ",files/p11/p11000000/s50000000/" + id3 + ".dcm,50000000,,,,,0,0,1.0,,y\n"

var goodBoxes = "dicom_id,bbox_name,x1,x2,y1,y2\n" +
	id2 + ",cardiac silhouette,1007.0,1743.0,1278.0,2040.0\n" +
	id2 + ",right lung,200,900,300,2500\n" +
	id1 + ",trachea,1200.5,1300.5,10,400\n"

func writeStudy(t *testing.T, sheet, boxes string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, MasterSheet), []byte(sheet), 0o644); err != nil {
		t.Fatal(err)
	}
	if boxes != "" {
		if err := os.WriteFile(filepath.Join(dir, BoundingBoxes), []byte(boxes), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoad(t *testing.T) {
	s, err := Load(writeStudy(t, goodSheet, goodBoxes))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Header) != 12 || s.Header[11] != "extra" {
		t.Fatalf("header %q", s.Header)
	}
	if len(s.Cases) != 3 {
		t.Fatalf("%d cases", len(s.Cases))
	}
	c := s.Cases[0]
	if c.DicomID != id1 || c.Path != "files/p15/p15628804/s58573295/"+id1+".dcm" || c.Condition != "CHF" || c.Line != 2 {
		t.Fatalf("case 0: %+v", c)
	}
	if c.Fields[10] != "Dyspnea, r/o CHF\nsecond line" || c.Fields[11] != "x" {
		t.Fatalf("fields %q", c.Fields)
	}
	// The quoted newline puts the next row on line 4.
	if s.Cases[1].Line != 4 || s.Cases[1].Condition != "normal" || s.Cases[1].Fields[10] != `He said "fine"` {
		t.Fatalf("case 1: %+v", s.Cases[1])
	}
	if s.Cases[2].Condition != "pneumonia" {
		t.Fatalf("case 2: %+v", s.Cases[2])
	}
	want := []Box{{"cardiac silhouette", 1007, 1743, 1278, 2040}, {"right lung", 200, 900, 300, 2500}}
	if !reflect.DeepEqual(s.Boxes[id2], want) || len(s.Boxes[id1]) != 1 || s.Boxes[id1][0].X1 != 1200.5 {
		t.Fatalf("boxes %+v", s.Boxes)
	}
	if got, ok := s.Case(id3); !ok || got.Line != 5 {
		t.Fatalf("Case(%s) = %+v, %v", id3, got, ok)
	}
}

func TestLoadWithoutBoxes(t *testing.T) {
	s, err := Load(writeStudy(t, goodSheet, ""))
	if err != nil {
		t.Fatal(err)
	}
	if s.Boxes == nil || len(s.Boxes) != 0 {
		t.Fatalf("boxes %v", s.Boxes)
	}
}

func TestLoadMissingSheet(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(dir)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, MasterSheet)) {
		t.Fatalf("error %v, want it to name the file", err)
	}
}

var sheetErrors = []struct {
	name, sheet, want string
}{
	{"empty file", "", "master_sheet.csv: empty file"},
	{"missing dicom_id", "path,study_id\na.dcm,1\n", `master_sheet.csv:1: missing required column "dicom_id"`},
	{"missing path", "dicom_id,study_id\na,1\n", `master_sheet.csv:1: missing required column "path"`},
	{"column name case", "DICOM_ID,path\na,a.dcm\n", `missing required column "dicom_id"`},
	{"empty dicom_id", "dicom_id,path\na,a.dcm\n,b.dcm\n", "master_sheet.csv:3: empty dicom_id"},
	{"duplicate dicom_id", "dicom_id,path\na,a.dcm\nb,b.dcm\na,c.dcm\n", `master_sheet.csv:4: duplicate dicom_id "a" (first on line 2)`},
	{"dicom_id with slash", "dicom_id,path\na/b,a.dcm\n", `master_sheet.csv:2: dicom_id "a/b" cannot name a file`},
	{"absolute path", "dicom_id,path\na,/etc/passwd\n", `master_sheet.csv:2: path "/etc/passwd" is absolute`},
	{"dotdot path", "dicom_id,path\na,files/../../x.dcm\n", `master_sheet.csv:2: path "files/../../x.dcm" escapes`},
	{"empty path", "dicom_id,path\na,\n", "master_sheet.csv:2: empty path"},
	{"bad label", "dicom_id,path,Normal\na,a.dcm,yes\n", `master_sheet.csv:2: column Normal: label "yes"`},
	{"short row", "dicom_id,path,x\na,a.dcm,1\nb,b.dcm\n", "master_sheet.csv:3: wrong number of fields (every row must be as wide as the header)"},
	{"bare quote", "dicom_id,path\na,a\"b.dcm\n", `master_sheet.csv:2: column 4: bare " in non-quoted-field`},
	{"line after quoted newline", "dicom_id,path,note\na,a.dcm,\"x\ny\"\n,b.dcm,\n", "master_sheet.csv:4: empty dicom_id"},
}

func TestLoadSheetErrors(t *testing.T) {
	for _, c := range sheetErrors {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(writeStudy(t, c.sheet, ""))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want it to contain %q", err, c.want)
			}
		})
	}
}

var boxErrors = []struct {
	name, boxes, want string
}{
	{"missing column", "dicom_id,bbox_name,x1,x2,y1\n", `bounding_boxes.csv:1: missing required column "y2"`},
	{"unknown dicom_id", "dicom_id,bbox_name,x1,x2,y1,y2\n" + id1 + ",trachea,1,2,3,4\nnope,trachea,1,2,3,4\n", `bounding_boxes.csv:3: box for dicom_id "nope"`},
	{"bad number", "dicom_id,bbox_name,x1,x2,y1,y2\n" + id1 + ",trachea,1,2,3,4x\n", `bounding_boxes.csv:2: column y2: "4x" is not a number`},
	{"nan", "dicom_id,bbox_name,x1,x2,y1,y2\n" + id1 + ",trachea,NaN,2,3,4\n", `bounding_boxes.csv:2: column x1: "NaN" is not a number`},
	{"x1 > x2", "dicom_id,bbox_name,x1,x2,y1,y2\n" + id1 + ",trachea,1,2,3,4\n" + id1 + ",left lung,5,2,3,4\n", `bounding_boxes.csv:3: box "left lung" has x1 5 > x2 2`},
	{"y1 > y2", "dicom_id,bbox_name,x1,x2,y1,y2\n" + id1 + ",trachea,1,2,30,4\n", `bounding_boxes.csv:2: box "trachea" has y1 30 > y2 4`},
	{"empty name", "dicom_id,bbox_name,x1,x2,y1,y2\n" + id1 + ",,1,2,3,4\n", "bounding_boxes.csv:2: empty bbox_name"},
	{"short row", "dicom_id,bbox_name,x1,x2,y1,y2\n" + id1 + ",trachea,1,2,3\n", "bounding_boxes.csv:2: wrong number of fields (every row must be as wide as the header)"},
}

func TestLoadBoxErrors(t *testing.T) {
	for _, c := range boxErrors {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(writeStudy(t, goodSheet, c.boxes))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestDicomPath(t *testing.T) {
	dir := writeStudy(t, "dicom_id,path\na,files/a.dcm\nb,files/b.dcm\nc,link/c.dcm\nd,files/missing.dcm\ne,files/inner.dcm\n", "")
	outside := t.TempDir()
	mustWrite(t, filepath.Join(outside, "c.dcm"))
	mustWrite(t, filepath.Join(dir, "files", "a.dcm"))
	mustWrite(t, filepath.Join(outside, "b.dcm"))
	if err := os.Symlink(filepath.Join(outside, "b.dcm"), filepath.Join(dir, "files", "b.dcm")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("a.dcm", filepath.Join(dir, "files", "inner.dcm")); err != nil {
		t.Fatal(err)
	}
	s, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := filepath.EvalSymlinks(dir)
	cases := []struct {
		id, want, err string
	}{
		{"a", filepath.Join(root, "files", "a.dcm"), ""},
		{"b", "", "leads outside " + dir},
		{"c", "", "leads outside " + dir},
		{"d", "", "no such file"},
		{"e", filepath.Join(root, "files", "a.dcm"), ""}, // a symlink that stays inside is fine
	}
	for _, c := range cases {
		t.Run(c.id, func(t *testing.T) {
			cs, _ := s.Case(c.id)
			got, err := s.DicomPath(cs)
			if c.err != "" {
				// The file is named; the case is the caller's to name (once).
				if err == nil || !strings.Contains(err.Error(), c.err) || !strings.Contains(err.Error(), cs.Path) || strings.Contains(err.Error(), "case "+c.id) {
					t.Fatalf("DicomPath = %q, %v; want error containing %q", got, err, c.err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("DicomPath = %q, %v; want %q", got, err, c.want)
			}
		})
	}
	// A path changed after loading is checked again.
	if _, err := s.DicomPath(Case{DicomID: "x", Path: "../x.dcm"}); err == nil || !strings.Contains(err.Error(), "escapes") {
		t.Fatalf("dotdot: %v", err)
	}
}

func mustWrite(t *testing.T, p string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("DICM"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestWriteMasterSheet(t *testing.T) {
	dir := writeStudy(t, goodSheet, "")
	s, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, MasterSheet)
	pads := map[string]stage.Layout{id2: stage.Fit(3000, 2000)}
	if err := s.WriteMasterSheet(out, pads); err != nil {
		t.Fatal(err)
	}
	back, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Header, s.Header) {
		t.Fatalf("header changed: %q", back.Header)
	}
	for i, c := range back.Cases {
		want := append([]string(nil), s.Cases[i].Fields...)
		if c.DicomID == id2 {
			want[3], want[4], want[5], want[6] = "0", "0", "150", "150"
		}
		if !reflect.DeepEqual(c.Fields, want) {
			t.Errorf("case %d fields\n got %q\nwant %q", i, c.Fields, want)
		}
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("mode %v, %v", fi.Mode(), err)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".*tmp")); len(m) != 0 {
		t.Fatalf("temporary files left: %v", m)
	}
}

func TestWriteMasterSheetAddsPads(t *testing.T) {
	dir := writeStudy(t, "dicom_id,path,note\na,a.dcm,\"x,\ny\"\nb,b.dcm,\n", "")
	s, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out.csv")
	if err := s.WriteMasterSheet(out, map[string]stage.Layout{"b": {W: 2544, H: 3056, Left: 510, Right: 511}}); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(out)
	want := "dicom_id,path,note,image_top_pad,image_bottom_pad,image_left_pad,image_right_pad\n" +
		"a,a.dcm,\"x,\ny\",,,,\n" +
		"b,b.dcm,,0,0,510,511\n"
	if string(got) != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if err := s.WriteMasterSheet(out, map[string]stage.Layout{"zz": {}}); err == nil || !strings.Contains(err.Error(), `"zz"`) {
		t.Fatalf("unknown id: %v", err)
	}
	if err := s.WriteMasterSheet(filepath.Join(out, "x.csv"), nil); err == nil {
		t.Fatal("write under a file succeeded")
	}
}

func FuzzReadMasterSheet(f *testing.F) {
	f.Add([]byte(goodSheet))
	for _, c := range sheetErrors {
		f.Add([]byte(c.sheet))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := readMasterSheet(bytes.NewReader(data), "fuzz.csv")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.csv") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for _, c := range s.Cases {
			if c.Line < 2 || len(c.Fields) != len(s.Header) {
				t.Fatalf("case %+v", c)
			}
		}
		// What was read writes back to a sheet that reads the same.
		var buf bytes.Buffer
		rows := make([][]string, len(s.Cases))
		for i, c := range s.Cases {
			rows[i] = c.Fields
		}
		if err := writeCSV(&buf, s.Header, rows); err != nil {
			t.Fatal(err)
		}
		back, err := readMasterSheet(&buf, "again.csv")
		if err != nil {
			t.Fatalf("re-read: %v\n%q", err, buf.String())
		}
		if !reflect.DeepEqual(back.Header, s.Header) || len(back.Cases) != len(s.Cases) {
			t.Fatalf("header/cases changed: %q vs %q", back.Header, s.Header)
		}
		for i := range s.Cases {
			if !reflect.DeepEqual(back.Cases[i].Fields, s.Cases[i].Fields) || back.Cases[i].Condition != s.Cases[i].Condition {
				t.Fatalf("case %d changed: %q vs %q", i, back.Cases[i].Fields, s.Cases[i].Fields)
			}
		}
	})
}

func FuzzReadBoxes(f *testing.F) {
	f.Add([]byte(goodBoxes))
	for _, c := range boxErrors {
		f.Add([]byte(c.boxes))
	}
	known := map[string]int{id1: 0, id2: 1, id3: 2}
	f.Fuzz(func(t *testing.T, data []byte) {
		boxes, err := readBoxes(bytes.NewReader(data), "fuzz.csv", known)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.csv") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for id, bs := range boxes {
			if _, ok := known[id]; !ok {
				t.Fatalf("box for unknown %q", id)
			}
			for _, b := range bs {
				if b.X1 > b.X2 || b.Y1 > b.Y2 || b.Name == "" {
					t.Fatalf("invalid box accepted: %+v", b)
				}
			}
		}
	})
}
