package review

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sightline/reader/export/exporttest"
	"sightline/reader/study"
)

const editsHead = "dicom_id,bbox_name,x1,x2,y1,y2,status\n"

var readEditsTable = []struct {
	name, in string
	want     int    // rows read when no error
	err      string // substring of the error
}{
	{"good", editsHead + "a,trachea,1,2,3,4,edited\na,left lung,,,,,absent\na,right lung,,,,,confirmed\na,cardiac silhouette,1.5,2.25,3,4e2,confirmed\n", 4, ""},
	{"columns in another order", "status,y2,y1,x2,x1,bbox_name,dicom_id\nedited,4,3,2,1,trachea,a\n", 1, ""},
	{"BOM and CRLF", "\ufeff" + strings.ReplaceAll(editsHead+"a,trachea,1,2,3,4,edited\n", "\n", "\r\n"), 1, ""},
	{"header only", editsHead, 0, ""},
	{"empty", "", 0, "empty file"},
	{"missing column", "dicom_id,bbox_name,x1,x2,y1,y2\n", 0, `e.csv:1: missing column "status"`},
	{"duplicate column", "dicom_id,bbox_name,x1,x2,y1,y2,status,x1\n", 0, `column "x1" appears twice`},
	{"unknown status", editsHead + "a,trachea,1,2,3,4,moved\n", 0, `e.csv:2: column status: "moved", want edited, confirmed or absent`},
	{"bad number", editsHead + "a,trachea,1,2,3,4,edited\na,trachea2,1,two,3,4,edited\n", 0, `e.csv:3: column x2: "two" is not a number`},
	{"NaN", editsHead + "a,trachea,NaN,2,3,4,edited\n", 0, `column x1: "NaN" is not a number`},
	{"x1 = x2", editsHead + "a,trachea,2,2,3,4,edited\n", 0, "e.csv:2: x1 2 ≥ x2 2"},
	{"y1 > y2", editsHead + "a,trachea,1,2,5,4,edited\n", 0, "e.csv:2: y1 5 ≥ y2 4"},
	{"absent with coordinates", editsHead + "a,trachea,1,2,3,4,absent\n", 0, "status absent takes no coordinates"},
	{"edited without coordinates", editsHead + "a,trachea,,,,,edited\n", 0, "status edited needs the coordinates"},
	{"some coordinates", editsHead + "a,trachea,1,,3,4,edited\n", 0, "all four coordinates"},
	{"same zone twice", editsHead + "a,trachea,1,2,3,4,edited\na,trachea,,,,,absent\n", 0, `e.csv:3: a second edit of a "trachea" (the first is on line 2)`},
	{"short row", editsHead + "a,trachea,1,2\n", 0, "e.csv:2: 4 fields, want 7"},
	{"empty id", editsHead + ",trachea,1,2,3,4,edited\n", 0, "e.csv:2: empty dicom_id"},
	{"broken quote", editsHead + "a,\"trachea,1,2,3,4,edited\n", 0, "e.csv"},
	{"every bad line named", editsHead + "a,trachea,1,2,3,4,bad\nb,trachea,1,2,3,4,edited\nc,trachea,1,x,3,4,edited\n", 0, "2 bad row(s)"},
}

func TestReadBoxEdits(t *testing.T) {
	for _, tc := range readEditsTable {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := ReadBoxEdits(strings.NewReader(tc.in), "e.csv")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != tc.want {
				t.Fatalf("%d rows, want %d", len(rows), tc.want)
			}
		})
	}
	rows, _ := ReadBoxEdits(strings.NewReader(readEditsTable[0].in), "e.csv")
	want := EditRow{Line: 5, Key: BoxKey{"a", "cardiac silhouette"}, Status: Confirmed, HasCoords: true, X1: 1.5, X2: 2.25, Y1: 3, Y2: 400}
	if rows[3] != want || rows[1].HasCoords || rows[2].HasCoords || rows[2].Status != Confirmed {
		t.Errorf("rows %+v, want the fourth %+v", rows, want)
	}
}

func FuzzReadBoxEdits(f *testing.F) {
	for _, tc := range readEditsTable {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		rows, err := ReadBoxEdits(strings.NewReader(in), "f.csv")
		if err != nil {
			if !strings.Contains(err.Error(), "f.csv") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for _, r := range rows {
			if r.Key.DicomID == "" || r.Key.Zone == "" || r.Line < 2 {
				t.Fatalf("row %+v", r)
			}
			if r.HasCoords && (r.X1 >= r.X2 || r.Y1 >= r.Y2) {
				t.Fatalf("inside-out box accepted: %+v", r)
			}
			if r.Status == Absent && r.HasCoords || r.Status == Edited && !r.HasCoords {
				t.Fatalf("coordinates and status disagree: %+v", r)
			}
		}
	})
}

func FuzzReadAudit(f *testing.F) {
	var buf bytes.Buffer
	WriteAudit(&buf, sampleLog())
	f.Add(buf.String())
	f.Add(strings.Join(AuditHeader, ",") + "\n1,a,trachea,edit,0,0,,,,,,0,absent,,,,,0,ann,2026-01-02T03:04:05.000000Z\n")
	f.Add(strings.Join(AuditHeader, ",") + "\n1,a,trachea,edit,0,0,,,,,,0,edited,1,2,,4,0,ann,2026-01-02T03:04:05.000000Z\n")
	f.Fuzz(func(t *testing.T, in string) {
		log, err := ReadAudit(strings.NewReader(in), "a.csv")
		if err != nil {
			if !strings.Contains(err.Error(), "a.csv") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		// What reads back writes back to the same rows.
		var out bytes.Buffer
		if err := WriteAudit(&out, log); err != nil {
			t.Fatal(err)
		}
		again, err := ReadAudit(&out, "again")
		if err != nil || !reflect.DeepEqual(again, log) {
			t.Fatalf("round trip: %v\n%+v\n%+v", err, log, again)
		}
	})
}

func sampleLog() []BoxEdit {
	k := BoxKey{"img", "trachea"}
	return []BoxEdit{
		{Rev: 1, Key: k, Kind: KindEdit, Before: Box{Status: Original, X1: 1, X2: 2, Y1: 3, Y2: 4}, After: Box{Status: Edited, X1: 1.5, X2: 2, Y1: 3, Y2: 4}, Who: "ann"},
		{Rev: 3, Key: k, Kind: KindConflict, Before: Box{Status: Original, X1: 1, X2: 2, Y1: 3, Y2: 4}, After: Box{Status: Absent, Locked: true}, Who: "bob, jr."},
		{Rev: 4, Key: k, Kind: KindAdjudication, Base: 1, Resolves: 3, Before: Box{Status: Edited, X1: 1.5, X2: 2, Y1: 3, Y2: 4}, After: Box{Status: Absent, Locked: true}, Who: "cat"},
	}
}

// testStudy writes a synthetic study (exporttest's: 4 boxes per image in the dataset's
// layout) and returns it with its images.
func testStudy(t testing.TB, n int) (*study.Study, []Image) {
	t.Helper()
	dir := t.TempDir()
	cases, err := exporttest.WriteStudy(dir, n)
	if err != nil {
		t.Fatal(err)
	}
	s, err := study.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	size := map[string][2]int{}
	for _, c := range cases {
		size[c.DicomID] = [2]int{c.W, c.H}
	}
	return s, Images(s, nil, func(c study.Case) (int, int, error) { return size[c.DicomID][0], size[c.DicomID][1], nil })
}

func applyT(t *testing.T, st Store, csv string, images []Image, who string) (ApplyResult, error) {
	t.Helper()
	rows, err := ReadBoxEdits(strings.NewReader(csv), "edits.csv")
	var bad *RowErrors
	if err != nil && !errors.As(err, &bad) {
		return ApplyResult{}, err
	}
	return ApplyBatch(context.Background(), st, Batch{Name: "edits.csv", Rows: rows, Bad: bad, Images: images, Who: who})
}

func TestApplyRefusesBadFileWhole(t *testing.T) {
	backends(t, func(t *testing.T, loc string) {
		ctx := context.Background()
		s, images := testStudy(t, 3)
		st := openT(t, loc)
		id0, id1 := s.Cases[0].DicomID, s.Cases[1].DicomID
		// Lock one box first: a batch may not move it.
		locked, err := st.EditBoxes(ctx, []BoxEdit{{Key: BoxKey{id1, "trachea"}, After: Box{Status: Confirmed, X1: 211, X2: 912.5, Y1: 203, Y2: 1503, Locked: true}, Who: "ann"}})
		if err != nil {
			t.Fatal(err)
		}
		w := images[0].W
		in := editsHead +
			id0 + ",trachea,10,20,30,40,edited\n" + // good
			"nosuchimage,trachea,10,20,30,40,edited\n" + // line 3
			id0 + ",left ear,10,20,30,40,edited\n" + // line 4
			id0 + fmt.Sprintf(",right lung,10,%d.5,30,40,edited\n", w) + // line 5: outside
			id0 + ",left lung,-1,20,30,40,edited\n" + // line 6: outside
			id1 + ",trachea,,,,,absent\n" + // line 7: locked
			id1 + ",right clavicle,,,,,confirmed\n" // line 8: nothing to confirm
		_, err = applyT(t, st, in, images, "bob")
		if err == nil {
			t.Fatal("a file with bad rows was applied")
		}
		for _, want := range []string{
			"6 bad row(s)", // line 2 is good
			`edits.csv:3: dicom_id "nosuchimage" is not an image of the study`,
			`edits.csv:4: unknown zone "left ear"`,
			fmt.Sprintf("edits.csv:5: box x 10–%d.5, y 30–40 lies outside the image (%d×%d pixels)", w, w, images[0].H),
			"edits.csv:6: box x -1–20",
			`edits.csv:7: ` + id1 + ` "trachea" is locked (by ann,`,
			`edits.csv:8: nothing to confirm`,
		} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q:\n%v", want, err)
			}
		}
		log, _ := st.BoxLog(ctx, "")
		if len(log) != 1 || log[0].Rev != locked[0].Rev {
			t.Errorf("%d box rows after a refused file, want only the lock", len(log))
		}
		// The syntax checks refuse the file whole too, with the line.
		if _, err := applyT(t, st, editsHead+id0+",trachea,10,20,30,40,edited\n"+id0+",left lung,30,20,30,40,edited\n", images, "bob"); err == nil || !strings.Contains(err.Error(), "edits.csv:3: x1 30 ≥ x2 20") {
			t.Errorf("x1 ≥ x2: %v", err)
		}
		if _, err := applyT(t, st, editsHead+id0+",trachea,10,20,30,40,edited\n", images, ""); err == nil || !strings.Contains(err.Error(), "--user") {
			t.Errorf("no user: %v", err)
		}
		// An image whose size is unknown takes no coordinates, with the reason.
		unsized := append([]Image(nil), images...)
		unsized[0].W, unsized[0].H, unsized[0].SizeErr = 0, 0, fmt.Errorf("DICOM x.dcm: no such file")
		if _, err := applyT(t, st, editsHead+id0+",trachea,10,20,30,40,edited\n", unsized, "bob"); err == nil || !strings.Contains(err.Error(), "its size is unknown: DICOM x.dcm: no such file") {
			t.Errorf("unknown size: %v", err)
		}
		if log, _ := st.BoxLog(ctx, ""); len(log) != 1 {
			t.Errorf("%d box rows, want only the lock", len(log))
		}
	})
}

func TestExportUnchangedIsByteIdentical(t *testing.T) {
	s, _ := testStudy(t, 5)
	st := openT(t, s.Dir)
	out := filepath.Join(t.TempDir(), "boxes.csv")
	res, err := ExportBoxes(context.Background(), st, s, out)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(filepath.Join(s.Dir, study.BoundingBoxes))
	got, _ := os.ReadFile(out)
	if !bytes.Equal(got, want) {
		t.Errorf("export after no edits differs from bounding_boxes.csv:\n%s\nwant\n%s", got, want)
	}
	audit, _ := os.ReadFile(res.Audit)
	if string(audit) != strings.Join(AuditHeader, ",")+"\n" || res.Audit != strings.TrimSuffix(out, ".csv")+".audit.csv" {
		t.Errorf("audit %s: %q, want the header only", res.Audit, audit)
	}
	if res.Images != 5 || res.Boxes != 20 || res.Edits != 0 {
		t.Errorf("result %+v", res)
	}
}

// TestReplayAuditGivesCurrentBoxes: the audit is complete — replaying it from the study's
// original boxes gives the exported boxes, and each accepted row's before is the box as the
// rows before it left it.
func TestReplayAuditGivesCurrentBoxes(t *testing.T) {
	backends(t, func(t *testing.T, loc string) {
		ctx := context.Background()
		s, images := testStudy(t, 4)
		st := openT(t, loc)
		id := func(i int) string { return s.Cases[i].DicomID }
		if _, err := applyT(t, st, editsHead+
			id(0)+",trachea,150,800,210,1490,edited\n"+
			id(0)+",left lung,,,,,absent\n"+
			id(1)+",right lung,,,,,confirmed\n"+
			id(1)+",left clavicle,300,500,100,200,edited\n"+ // a zone the file lacks
			id(2)+",cardiac silhouette,180,900.25,210,1500.75,confirmed\n", images, "model"); err != nil {
			t.Fatal(err)
		}
		log, _ := st.BoxLog(ctx, id(0))
		var trachea BoxEdit
		for _, e := range log {
			if e.Key.Zone == "trachea" {
				trachea = e
			}
		}
		// Two editors on one box: a conflict, then adjudicated; a second pass of the batch.
		a, _ := st.EditBoxes(ctx, []BoxEdit{{Key: trachea.Key, Base: trachea.Rev, After: Box{Status: Edited, X1: 151, X2: 800, Y1: 210, Y2: 1490}, Who: "ann"}})
		b, _ := st.EditBoxes(ctx, []BoxEdit{{Key: trachea.Key, Base: trachea.Rev, After: Box{Status: Edited, X1: 149, X2: 801, Y1: 210, Y2: 1490, Locked: true}, Who: "bob"}})
		if a[0].Kind != KindEdit || b[0].Kind != KindConflict {
			t.Fatalf("kinds %s %s", a[0].Kind, b[0].Kind)
		}
		if _, err := applyT(t, st, editsHead+id(1)+",left clavicle,310,500,100,200,edited\n"+id(3)+",trachea,,,,,absent\n", images, "model"); err != nil {
			t.Fatal(err)
		}
		full, _ := st.BoxLog(ctx, "")
		if _, err := st.Adjudicate(ctx, Conflicts(full)[0], b[0].Rev, "cat"); err != nil {
			t.Fatal(err)
		}

		out := filepath.Join(t.TempDir(), "corrected.csv")
		res, err := ExportBoxes(ctx, st, s, out)
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(res.Audit)
		if err != nil {
			t.Fatal(err)
		}
		audit, err := ReadAudit(f, res.Audit)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(audit) != res.Edits || len(audit) != 10 {
			t.Errorf("audit has %d rows, result says %d, want 10", len(audit), res.Edits)
		}
		replayed := Replay(s.Boxes, audit)
		exported := loadBoxes(t, s, out)
		if !reflect.DeepEqual(replayed, exported) {
			t.Errorf("replaying the audit gives\n%v\nthe export holds\n%v", replayed, exported)
		}
		// The expected corrections, independently of Replay.
		want := map[string][]study.Box{}
		for k, v := range s.Boxes {
			want[k] = append([]study.Box(nil), v...)
		}
		want[id(0)] = []study.Box{{Name: "right lung", X1: 100, X2: 800.5, Y1: 200, Y2: 1500}, {Name: "cardiac silhouette", X1: 174, X2: 874.5, Y1: 202, Y2: 1502}, {Name: "trachea", X1: 149, X2: 801, Y1: 210, Y2: 1490}}
		want[id(1)] = append(want[id(1)], study.Box{Name: "left clavicle", X1: 310, X2: 500, Y1: 100, Y2: 200})
		want[id(2)][2] = study.Box{Name: "cardiac silhouette", X1: 180, X2: 900.25, Y1: 210, Y2: 1500.75}
		want[id(3)] = want[id(3)][:3]
		if !reflect.DeepEqual(exported, want) {
			t.Errorf("exported\n%v\nwant\n%v", exported, want)
		}
		// Each accepted row's before is the state the accepted rows before it left.
		state := map[BoxKey]Box{}
		for id, bs := range s.Boxes {
			for _, b := range bs {
				state[BoxKey{id, b.Name}] = Box{Status: Original, X1: b.X1, X2: b.X2, Y1: b.Y1, Y2: b.Y2}
			}
		}
		for _, e := range audit {
			if e.Kind == KindConflict {
				continue
			}
			if state[e.Key] != e.Before {
				t.Errorf("revision %d (%s %s): before %+v, but the box was %+v", e.Rev, e.Key.Zone, e.Kind, e.Before, state[e.Key])
			}
			state[e.Key] = e.After
		}
		if res.OpenConflicts != 0 || res.Images != 4 {
			t.Errorf("result %+v", res)
		}
	})
}

// loadBoxes reads an exported boxes file through the study reader.
func loadBoxes(t *testing.T, s *study.Study, path string) map[string][]study.Box {
	t.Helper()
	dir := t.TempDir()
	sheet, _ := os.ReadFile(filepath.Join(s.Dir, study.MasterSheet))
	boxes, _ := os.ReadFile(path)
	os.WriteFile(filepath.Join(dir, study.MasterSheet), sheet, 0o644)
	os.WriteFile(filepath.Join(dir, study.BoundingBoxes), boxes, 0o644)
	got, err := study.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return got.Boxes
}

// TestApplyNamesEveryBadRowInOnePass: rows the reader refuses and rows the study refuses are
// named together, in line order (5 bad rows: before, only the first kind was named).
func TestApplyNamesEveryBadRowInOnePass(t *testing.T) {
	s, images := testStudy(t, 2)
	st := openT(t, studyDir(t))
	id0 := s.Cases[0].DicomID
	in := editsHead +
		id0 + ",trachea,10,20,30,40,edited\n" + // 2 good
		"nosuchimage,trachea,10,20,30,40,edited\n" + // 3 unknown id
		id0 + ",left lung,1,x,30,40,edited\n" + // 4 not a number
		id0 + ",left ear,10,20,30,40,edited\n" + // 5 unknown zone
		id0 + ",right lung,30,20,30,40,edited\n" + // 6 x1 ≥ x2
		id0 + ",cardiac silhouette,10,99999,30,40,edited\n" // 7 outside
	_, err := applyT(t, st, in, images, "bob")
	if err == nil {
		t.Fatal("applied")
	}
	msg := err.Error()
	last := -1
	for _, want := range []string{"5 bad row(s)", "edits.csv:3: dicom_id", "edits.csv:4: column x2", "edits.csv:5: unknown zone", "edits.csv:6: x1 30 ≥ x2 20", "edits.csv:7: box x 10–99999"} {
		i := strings.Index(msg, want)
		if i < 0 {
			t.Errorf("error lacks %q:\n%s", want, msg)
			continue
		}
		if i < last {
			t.Errorf("%q out of line order:\n%s", want, msg)
		}
		last = i
	}
	if log, _ := st.BoxLog(context.Background(), ""); len(log) != 0 {
		t.Errorf("%d rows stored from a refused file", len(log))
	}
}

// TestApplyTwiceStoresNothingNew: the same file applied again stores no row, and says so.
func TestApplyTwiceStoresNothingNew(t *testing.T) {
	backends(t, func(t *testing.T, loc string) {
		s, images := testStudy(t, 2)
		st := openT(t, loc)
		id0, id1 := s.Cases[0].DicomID, s.Cases[1].DicomID
		in := editsHead + id0 + ",trachea,10,20,30,40,edited\n" + id1 + ",left lung,,,,,absent\n" + id1 + ",trachea,,,,,confirmed\n"
		first, err := applyT(t, st, in, images, "model")
		if err != nil || first.Applied != 3 || first.Unchanged != 0 {
			t.Fatalf("first apply: %+v %v", first, err)
		}
		second, err := applyT(t, st, in, images, "model")
		if err != nil || second.Applied != 0 || second.Unchanged != 3 {
			t.Errorf("second apply: %+v %v, want nothing applied, 3 unchanged", second, err)
		}
		if log, _ := st.BoxLog(context.Background(), ""); len(log) != 3 {
			t.Errorf("%d rows after applying twice, want 3", len(log))
		}
	})
}

func TestApplyRefusesBadUsers(t *testing.T) {
	_, images := testStudy(t, 1)
	st := openT(t, studyDir(t))
	for _, who := range []string{"", " ", "\t", "eve\nmallory", "bob\x1b[31m"} {
		if _, err := applyT(t, st, editsHead, images, who); err == nil {
			t.Errorf("user %q accepted", who)
		}
	}
}
