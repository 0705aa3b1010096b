package export

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestImageSizes(t *testing.T) {
	head := strings.Join(screensHeader, ",") + "\n"
	for _, tc := range []struct {
		name, csv string
		want      map[string]Size
		err       string
	}{
		{name: "export", csv: head +
			"1,0,calibration-1-1,calibration,0,,,,,,,5,1\n" +
			"1,1,a,case,0,2544,3056,0,0,536,536,5,1\n" +
			"1,2,b,case,0,0,0,0,0,0,0,5,1\n" + // imported without --dicom-root: unknown
			"2,1,a,case,0,2544,3056,0,0,536,536,5,1\n",
			want: map[string]Size{"a": {2544, 3056}}},
		{name: "two sizes", csv: head + "1,1,a,case,0,2544,3056,0,0,536,536,5,1\n2,1,a,case,0,2000,3056,0,0,536,536,5,1\n",
			err: "screens.csv:3: case a is 2000×3056 here and 2544×3056 on line 2"},
		{name: "not a number", csv: head + "1,1,a,case,0,wide,3056,0,0,536,536,5,1\n",
			err: `screens.csv:2: column image_width: "wide" is not an integer`},
		{name: "no size column", csv: "SESSION_ID,DICOM_ID,kind\n1,a,case\n",
			err: `screens.csv:1: missing column "image_width"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, ScreensFile), []byte(tc.csv), 0o644); err != nil {
				t.Fatal(err)
			}
			got, ok, err := ImageSizes(dir)
			if tc.err != "" {
				if err == nil || !strings.HasSuffix(err.Error(), tc.err) {
					t.Fatalf("err %v, want …%s", err, tc.err)
				}
				return
			}
			if err != nil || !ok || len(got) != len(tc.want) {
				t.Fatalf("%v %v %v", got, ok, err)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s: %v, want %v", k, got[k], v)
				}
			}
		})
	}
	if got, ok, err := ImageSizes(t.TempDir()); got != nil || ok || err != nil {
		t.Errorf("a folder without screens.csv: %v %v %v", got, ok, err)
	}
}

// ImageSizes never panics, and a size it returns is positive.
func FuzzImageSizes(f *testing.F) {
	head := strings.Join(screensHeader, ",") + "\n"
	f.Add(head + "1,1,a,case,0,2544,3056,0,0,536,536,5,1\n")
	f.Add(head + "1,1,a,case,0,-1,3056,0,0,536,536,5,1\n1,1,a,case,0,,,,,,,5,1\n")
	f.Add("DICOM_ID,kind,image_width,image_height\n\"a\nb\",case,1,1\n")
	f.Fuzz(func(t *testing.T, csv string) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, ScreensFile), []byte(csv), 0o644); err != nil {
			t.Fatal(err)
		}
		sizes, _, err := ImageSizes(dir)
		if err != nil {
			return
		}
		for id, s := range sizes {
			if s.W <= 0 || s.H <= 0 {
				t.Fatalf("%s: %v", id, s)
			}
		}
	})
}
