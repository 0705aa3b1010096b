package export

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sightline/reader/egd"
	"sightline/reader/session"
	"sightline/reader/study"
)

// publishedRows are the three fixation rows of docs/FORMATS.md §1, real data from EGD-CXR.
var publishedRows = []string{
	"1,0,1a3f39ce-ebe90275-9a66145a-af03360e-ee3b163b,45,0.72363,696216388878.0,0.45224,0.33879000000000004,0.01794,0.7056899999999999,2,1,0.46134,0.26619,1,0.37859,0.5943,18.33718,1.0527600000000001,1,0.6379,0.5979800000000001,18.19434,1.0606799999999998,1,0,0.0,20,3.5064800000000003,1,3.56681,1,0.0,0.0,0.0,998,1035",
	"1,0,1a3f39ce-ebe90275-9a66145a-af03360e-ee3b163b,68,1.09607,696220113269.0,0.44419,0.28933000000000003,0.73987,0.3562,3,1,0.37864000000000003,0.21775,1,0.37749,0.594,17.92645,1.0606799999999998,1,0.6367,0.59809,18.35567,1.06859,1,0,0.0,19,3.7337599999999997,1,3.7751099999999997,1,55.60791,106.13765,0.0,952,884",
	"1,0,1a3f39ce-ebe90275-9a66145a-af03360e-ee3b163b,86,1.3869,696223021482.0,0.39018,0.28168000000000004,1.11212,0.27478,4,1,0.38154,0.43718,1,0.37654,0.59767,18.143629999999998,1.0087899999999999,1,0.63485,0.60175,19.20525,1.0087899999999999,1,0,0.0,19,3.65403,1,3.8783199999999995,1,104.02783000000001,175.4447,0.0,642,860",
}

const publishedID = "1a3f39ce-ebe90275-9a66145a-af03360e-ee3b163b"

var gazeHeader = strings.Join(egd.GazeHeader, ",") + "\n"

// publishedSheet is a master_sheet in the dataset's layout for that image, its indication
// spread over two lines as in the published file.
const publishedSheet = "dicom_id,path,study_id,patient_id,stay_id,gender,anchor_age,image_top_pad,image_bottom_pad,image_left_pad,image_right_pad,dx1,dx1_icd,normal_reports,Normal,CHF,pneumonia,cxr_exam_indication\n" +
	publishedID + ",files/p15/p15628804/s58573295/" + publishedID + ".dcm,58573295,15628804,,F,50 - 60,0,0,534,534,\"Chest pain, unspecified\",R07.9,1,1,0,0,\"___F with chest pain\nr/o PNA\"\n"

// writeFolder writes a published-style folder from file name → content.
func writeFolder(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "egd")
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

// The three published rows survive import and export as the same text, and the folder's quirks
// (a calibration screen named after the previous case's id, begin_tim, quoted newlines) are
// taken in.
func TestPublishedRowsSurvive(t *testing.T) {
	calib := "1,1,1a3f39ce-ebe90275-9a66145a-af03360e-ee3b1" + publishedRows[0][len("1,0,"+publishedID):]
	dir := writeFolder(t, map[string]string{
		"master_sheet.csv": publishedSheet,
		"fixations.csv":    gazeHeader + strings.Join(publishedRows, "\n") + "\n" + calib + "\n",
		TranscriptsDir + "/" + publishedID + "/transcript.json": `{"full_text": " prominent heart.", "time_stamped_text": [{"phrase": "prominent", "begin_tim": 1.0, "end_time": 1.7}, {"phrase": "heart.", "begin_tim": 1.7, "end_time": 2.0}]}`,
		TranscriptsDir + "/" + publishedID + "/audio.wav":       "RIFF....WAVE",
		TranscriptsDir + "/" + publishedID + "/left_lung.png":   "\x89PNG mask",
	})
	studyDir := filepath.Join(t.TempDir(), "study")
	res, err := Import(dir, studyDir, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Renamed) != 1 || res.Renamed[0].DicomID != "calibration-egd-1-1" || res.Renamed[0].Published != "1a3f39ce-ebe90275-9a66145a-af03360e-ee3b1" {
		t.Errorf("renamed %+v", res.Renamed)
	}
	caseDir := study.CaseDir(studyDir, "egd-1", "00-"+publishedID)
	var lf layoutFile
	b, err := os.ReadFile(filepath.Join(caseDir, session.LayoutFile))
	if err != nil || json.Unmarshal(b, &lf) != nil || lf.Top != 0 || lf.Bottom != 0 || lf.Left != 534 || lf.Right != 534 || lf.Kind != "case" {
		t.Errorf("layout.json %s (%v)", b, err)
	}
	if b, _ := os.ReadFile(filepath.Join(studyDir, MasksDir, publishedID, "left_lung.png")); string(b) != "\x89PNG mask" {
		t.Errorf("mask %q", b)
	}

	out := filepath.Join(t.TempDir(), "export")
	if _, err := Export(studyDir, out, Options{}); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(out, FixationsFile))
	lines := strings.Split(strings.TrimSuffix(string(got), "\n"), "\n")
	if len(lines) != 5 || lines[0]+"\n" != gazeHeader {
		t.Fatalf("fixations.csv:\n%s", got)
	}
	for i, want := range publishedRows {
		if lines[i+1] != want {
			t.Errorf("row %d:\n got %s\nwant %s", i+1, lines[i+1], want)
		}
	}
	if want := "1,1,calibration-egd-1-1,"; !strings.HasPrefix(lines[4], want) {
		t.Errorf("calibration row %s, want it to start %s", lines[4][:60], want)
	}
	if b, _ := os.ReadFile(filepath.Join(out, GazeFile)); string(b) != gazeHeader {
		t.Errorf("eye_gaze.csv %q, want the header only", b)
	}
	sheet, _ := os.ReadFile(filepath.Join(out, "master_sheet.csv"))
	if !strings.Contains(string(sheet), ",0,0,534,534,") || !strings.Contains(string(sheet), "\"___F with chest pain\nr/o PNA\"") {
		t.Errorf("master_sheet.csv:\n%s", sheet)
	}
	tr, _ := os.ReadFile(filepath.Join(out, TranscriptsDir, publishedID, "transcript.json"))
	if want := `{"full_text": " prominent heart.", "time_stamped_text": [{"phrase": "prominent", "begin_time": 1.0, "end_time": 1.7}, {"phrase": "heart.", "begin_time": 1.7, "end_time": 2.0}]}`; string(tr) != want {
		t.Errorf("transcript.json\n got %s\nwant %s", tr, want)
	}
	for _, f := range []string{"audio.wav", "left_lung.png"} {
		if _, err := os.Stat(filepath.Join(out, TranscriptsDir, publishedID, f)); err != nil {
			t.Error(err)
		}
	}
	// Without --no-calibration-rows the reference heatmap code would meet the calibration
	// screen; with it, only the three case rows remain.
	out2 := filepath.Join(t.TempDir(), "export")
	if _, err := Export(studyDir, out2, Options{NoCalibrationRows: true}); err != nil {
		t.Fatal(err)
	}
	got, _ = os.ReadFile(filepath.Join(out2, FixationsFile))
	if want := gazeHeader + strings.Join(publishedRows, "\n") + "\n"; string(got) != want {
		t.Errorf("fixations.csv without calibration rows:\n%s", got)
	}
}

// importErrorCase is a folder (files beside the published master_sheet) that must not import.
type importErrorCase struct {
	name  string
	files map[string]string
	want  string // in the error
}

func importErrorCases() []importErrorCase {
	row := publishedRows[0]
	fields := strings.Split(row, ",")
	with := func(i int, v string) string {
		f := append([]string(nil), fields...)
		f[i] = v
		return strings.Join(f, ",")
	}
	sessions := strings.Join(sessionsHeader, ",") + "\n"
	return []importErrorCase{

		{"no master_sheet", map[string]string{"fixations.csv": gazeHeader + row + "\n"}, "master_sheet.csv"},
		{"bad header", map[string]string{"fixations.csv": strings.Replace(gazeHeader, "FPOGX", "FPOG_X", 1) + row + "\n"}, "fixations.csv:1: header column 7"},
		{"short row", map[string]string{"fixations.csv": gazeHeader + row + "\n" + row[:100] + "\n"}, "fixations.csv:3: row has"},
		{"not a number", map[string]string{"eye_gaze.csv": gazeHeader + with(6, "0.4x") + "\n"}, "eye_gaze.csv:2: column 7 (FPOGX)"},
		{"session not an integer", map[string]string{"fixations.csv": gazeHeader + row + "\n" + with(0, "one") + "\n"}, `fixations.csv:3: SESSION_ID "one" is not`},
		{"negative media", map[string]string{"fixations.csv": gazeHeader + with(1, "-1") + "\n"}, "fixations.csv:2: MEDIA_ID -1 is negative"},
		{"id that cannot name a folder", map[string]string{"fixations.csv": gazeHeader + with(2, "a/b") + "\n"}, `fixations.csv:2: DICOM_ID: "a/b" cannot name`},
		{"bad pad", map[string]string{"master_sheet.csv": strings.Replace(publishedSheet, ",534,534,", ",534,5x,", 1), "fixations.csv": gazeHeader + row + "\n"}, "master_sheet.csv:2: column image_right_pad"},
		{"box of an unknown image", map[string]string{"bounding_boxes.csv": "dicom_id,bbox_name,x1,x2,y1,y2\nnope,trachea,1.0,2.0,3.0,4.0\n"}, "bounding_boxes.csv:2"},
		{"transcript not JSON", map[string]string{"fixations.csv": gazeHeader + row + "\n", TranscriptsDir + "/" + publishedID + "/transcript.json": "{"}, "transcript.json"},
		{"transcript without phrases", map[string]string{"fixations.csv": gazeHeader + row + "\n", TranscriptsDir + "/" + publishedID + "/transcript.json": `{"full_text": ""}`}, "time_stamped_text"},
		{"stray file in a transcripts folder", map[string]string{"fixations.csv": gazeHeader + row + "\n", TranscriptsDir + "/" + publishedID + "/notes.txt": "x"}, "unexpected file"},
		{"audio of a case nobody read", map[string]string{TranscriptsDir + "/" + publishedID + "/audio.wav": "x"}, "no session read case"},
		{"transcript of an unknown image", map[string]string{TranscriptsDir + "/nope/audio.wav": "x"}, "nope is not in master_sheet.csv"},
		{"screens without sessions", map[string]string{ScreensFile: strings.Join(screensHeader, ",") + "\n"}, "needs the sessions.csv"},
		{"session status", map[string]string{SessionsFile: sessions + "1,s1,r,1,,t,recording,,60.0,device,0,0,,0,\n"}, "sessions.csv:2: status"},
		{"row of an unlisted session", map[string]string{SessionsFile: sessions, "fixations.csv": gazeHeader + row + "\n"}, `fixations.csv:2: SESSION_ID "1" is not in sessions.csv`},
		{"interrupted rows without screens", map[string]string{InterruptedGazeFile: gazeHeader}, "needs the screens.csv"},
		// A folder with a worklist and no gaze is not a dataset: one sentence, no study written.
		{"no gaze files", map[string]string{}, "has no eye_gaze.csv and no fixations.csv: nothing to import"},
		{"gaze files without rows", map[string]string{"eye_gaze.csv": gazeHeader, "fixations.csv": gazeHeader},
			"eye_gaze.csv and fixations.csv hold no rows: nothing to import"},
	}
}

// Real errors stop the import with the file and the line; nothing is left behind.
func TestImportErrors(t *testing.T) {
	tests := importErrorCases()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{"master_sheet.csv": publishedSheet}
			for k, v := range tc.files {
				files[k] = v
			}
			if tc.name == "no master_sheet" {
				delete(files, "master_sheet.csv")
			}
			dir := writeFolder(t, files)
			parent := t.TempDir()
			_, err := Import(dir, filepath.Join(parent, "study"), ImportOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if ents, _ := os.ReadDir(parent); len(ents) != 0 {
				t.Errorf("failed import left %v", ents)
			}
		})
	}
}

// Published folders split per session and image; a screen met again later is appended to.
func TestImportSplit(t *testing.T) {
	r := publishedRows
	other := strings.Replace(r[1], "1,0,", "2,0,", 1)
	dir := writeFolder(t, map[string]string{
		"master_sheet.csv": publishedSheet,
		"eye_gaze.csv":     gazeHeader + r[0] + "\n" + other + "\n" + r[1] + "\n" + r[2] + "\n",
	})
	studyDir := filepath.Join(t.TempDir(), "study")
	res, err := Import(dir, studyDir, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Sessions) != 2 || res.GazeRows != 4 || res.Screens != 2 {
		t.Errorf("result %+v", res)
	}
	b, _ := os.ReadFile(filepath.Join(study.CaseDir(studyDir, "egd-1", "00-"+publishedID), "eye_gaze.csv"))
	if n := strings.Count(string(b), "\n"); n != 4 {
		t.Errorf("session 1's case has %d lines, want the header and 3 rows:\n%s", n, b)
	}
	st, err := session.ReadState(study.SessionDir(studyDir, "egd-2"))
	if err != nil || st.Status != session.StatusComplete || len(st.Done) != 1 {
		t.Errorf("session egd-2: %+v %v", st, err)
	}
}

// FuzzImport feeds the published-folder readers a fixations.csv and a master_sheet.csv: an
// import either fails with an error or makes a study whose export, imported and exported again,
// is the same bytes. Seeded from the tests' folders.
func FuzzImport(f *testing.F) {
	calib := "1,1,1a3f39ce-ebe90275-9a66145a-af03360e-ee3b1" + publishedRows[0][len("1,0,"+publishedID):]
	f.Add(publishedSheet, gazeHeader+strings.Join(publishedRows, "\n")+"\n"+calib+"\n")
	f.Add(publishedSheet, gazeHeader+publishedRows[0]+"\n"+strings.Replace(publishedRows[1], "1,0,", "2,0,", 1)+"\n"+publishedRows[2])
	f.Add(strings.Replace(publishedSheet, ",534,534,", ",534,5x,", 1), gazeHeader+publishedRows[0]+"\n")
	f.Add(publishedSheet, gazeHeader+withField(6, "1e-05")+"\n"+withField(27, "20.0")+"\n")
	for _, tc := range fastCases {
		f.Add(publishedSheet, gazeHeader+tc.line+"\n")
	}
	for _, tc := range importErrorCases() {
		sheet, ok := tc.files["master_sheet.csv"]
		if !ok {
			sheet = publishedSheet
		}
		f.Add(sheet, tc.files["fixations.csv"]+tc.files["eye_gaze.csv"])
	}
	f.Fuzz(func(t *testing.T, sheet, fixations string) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "master_sheet.csv"), []byte(sheet), 0o644)
		os.WriteFile(filepath.Join(dir, "fixations.csv"), []byte(fixations), 0o644)
		studyDir := filepath.Join(t.TempDir(), "s")
		res, err := Import(dir, studyDir, ImportOptions{})
		if err != nil {
			if !strings.Contains(err.Error(), ".csv") {
				t.Fatalf("error names no file: %v", err)
			}
			return
		}
		out1 := filepath.Join(t.TempDir(), "e")
		r1, err := Export(studyDir, out1, Options{})
		if err != nil {
			t.Fatalf("export of an imported study: %v", err)
		}
		if r1.FixationRows != res.FixationRows {
			t.Fatalf("imported %d fixation rows, exported %d", res.FixationRows, r1.FixationRows)
		}
		study2 := filepath.Join(t.TempDir(), "s")
		if _, err := Import(out1, study2, ImportOptions{}); err != nil {
			t.Fatalf("import of an export: %v", err)
		}
		out2 := filepath.Join(t.TempDir(), "e")
		if _, err := Export(study2, out2, Options{}); err != nil {
			t.Fatalf("second export: %v", err)
		}
		sameTrees(t, tree(t, out1), tree(t, out2))
	})
}
