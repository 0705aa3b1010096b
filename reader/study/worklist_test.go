package study

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sightline/reader/stage"
)

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const worklistSheet = "dicom_id,path,Normal,note\n" +
	"a,files/a.dcm,1,\"two\nlines, and a comma\"\n" +
	"b,files/b.dcm,0,plain\n"

func TestLoadWorklist(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"list/master_sheet.csv": worklistSheet,
		"list/bounding_boxes.csv": "dicom_id,bbox_name,x1,x2,y1,y2\n" +
			"a,right lung,1.0,2.5,3.0,4.0\n" +
			"elsewhere,right lung,1.0,2.0,3.0,4.0\n" + // a case the worklist leaves out: dropped
			"b,left lung,5.0,6.0,7.0,8.0\n",
		"dicoms/files/a.dcm": "",
		"dicoms/files/b.dcm": "",
	})
	s, err := LoadWorklist(filepath.Join(dir, "list", "master_sheet.csv"), filepath.Join(dir, "dicoms"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Dir != filepath.Join(dir, "dicoms") || len(s.Cases) != 2 || s.Cases[0].Fields[3] != "two\nlines, and a comma" || s.Cases[1].Line != 4 {
		t.Fatalf("study %+v", s)
	}
	want := map[string][]Box{
		"a": {{Name: "right lung", X1: 1, X2: 2.5, Y1: 3, Y2: 4}},
		"b": {{Name: "left lung", X1: 5, X2: 6, Y1: 7, Y2: 8}},
	}
	if !reflect.DeepEqual(s.Boxes, want) {
		t.Errorf("boxes %v, want %v", s.Boxes, want)
	}
	p, err := s.DicomPath(s.Cases[0])
	if err != nil {
		t.Fatal(err)
	}
	root, _ := filepath.EvalSymlinks(filepath.Join(dir, "dicoms"))
	if p != filepath.Join(root, "files", "a.dcm") {
		t.Errorf("DicomPath %s, want it under the DICOM root", p)
	}

	t.Run("Keep and write back", func(t *testing.T) {
		out := t.TempDir()
		k := s.Keep(func(c Case) bool { return c.DicomID == "b" })
		if len(s.Cases) != 2 {
			t.Fatal("Keep changed the study")
		}
		if err := k.WriteMasterSheet(filepath.Join(out, MasterSheet), map[string]stage.Layout{"b": {Top: 1, Bottom: 2, Left: 3, Right: 4}}); err != nil {
			t.Fatal(err)
		}
		if err := k.WriteBoxes(filepath.Join(out, BoundingBoxes)); err != nil {
			t.Fatal(err)
		}
		back, err := Load(out)
		if err != nil {
			t.Fatal(err)
		}
		if len(back.Cases) != 1 || back.Cases[0].DicomID != "b" || !reflect.DeepEqual(back.Boxes, map[string][]Box{"b": want["b"]}) {
			t.Errorf("read back %+v", back)
		}
		if _, ok := back.Case("a"); ok {
			t.Error("a case left out by Keep is in the written sheet")
		}
		b, _ := os.ReadFile(filepath.Join(out, BoundingBoxes))
		if got := string(b); got != "dicom_id,bbox_name,x1,x2,y1,y2\nb,left lung,5.0,6.0,7.0,8.0\n" {
			t.Errorf("bounding_boxes.csv:\n%s", got)
		}
	})
}

func TestLoadWorklistRefuses(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		root  string
		want  string
	}{
		{"no DICOM root", map[string]string{"list/master_sheet.csv": worklistSheet}, "nope", "DICOM root"},
		{"DICOM root is a file", map[string]string{"list/master_sheet.csv": worklistSheet, "afile": "x"}, "afile", "is not a folder"},
		{"bad box", map[string]string{"list/master_sheet.csv": worklistSheet, "d/x": "",
			"list/bounding_boxes.csv": "dicom_id,bbox_name,x1,x2,y1,y2\na,right lung,1.0,x,3.0,4.0\n"}, "d",
			"bounding_boxes.csv:2: column x2"},
		{"box file without its columns", map[string]string{"list/master_sheet.csv": worklistSheet, "d/x": "",
			"list/bounding_boxes.csv": "dicom_id,x1\n"}, "d", `bounding_boxes.csv:1: missing required column "bbox_name"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t, tc.files)
			_, err := LoadWorklist(filepath.Join(dir, "list", "master_sheet.csv"), filepath.Join(dir, tc.root))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestCoord(t *testing.T) {
	for x, want := range map[float64]string{1007: "1007.0", 20.5: "20.5", 0: "0.0", -3: "-3.0", 1e21: "1000000000000000000000.0"} {
		if got := coord(x); got != want {
			t.Errorf("coord(%v) = %q, want %q", x, got, want)
		}
	}
}
