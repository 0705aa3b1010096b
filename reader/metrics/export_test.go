package metrics

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"sightline/internal/testkit"
	"sightline/reader/export"
	"sightline/reader/export/exporttest"
	"sightline/reader/session"
	"sightline/reader/study"
)

// An export of a study read by two readers, recorded through reader/session's Recorder: every
// case read by both gives one agreement row per ordered pair, and every read its 17 zones.
func TestMetricsOfAnExportWithTwoReaders(t *testing.T) {
	studyDir := filepath.Join(t.TempDir(), "study")
	cases, err := exporttest.WriteStudy(studyDir, 3)
	if err != nil {
		t.Fatal(err)
	}
	for i, who := range []string{"alice", "bob"} {
		err := exporttest.Record(studyDir, exporttest.Spec{ID: "2026120" + strconv.Itoa(i+1) + "-090000-" + who, Reader: who,
			Seed: int64(3 + i), Started: time.Date(2026, 12, 1+i, 9, 0, 0, 0, time.UTC), Cases: cases, Samples: 180, Extras: true})
		if err != nil {
			t.Fatal(err)
		}
	}
	ds := filepath.Join(t.TempDir(), "export")
	if _, err := export.Export(studyDir, ds, export.Options{}); err != nil {
		t.Fatal(err)
	}
	offsets, err := export.AudioOffsets(ds)
	if err != nil {
		t.Fatal(err)
	}
	if len(offsets) != 6 {
		t.Errorf("%d audio offsets, want one per read (6): %v", len(offsets), offsets)
	}
	out, res := run(t, ds)
	if res.Images != 3 || res.Screens != 6 || res.Pairs != 3 {
		t.Errorf("result %+v, want 3 images, 6 reads, 3 pairs", res)
	}
	_, zones := readTable(t, filepath.Join(out, ZonesFile))
	if len(zones) != 6*17 {
		t.Errorf("%d zone rows, want 6 reads × 17", len(zones))
	}
	col, agr := readTable(t, filepath.Join(out, AgreementFile))
	if len(agr) != 6 {
		t.Fatalf("%d agreement rows, want 3 images × 2 ordered pairs", len(agr))
	}
	for _, r := range agr {
		if r[col["reader_a"]] == r[col["reader_b"]] || r[col["reader_a"]] == "" {
			t.Errorf("pair %v", r)
		}
		for _, c := range []string{"cc", "sim", "auc_judd"} {
			v, err := strconv.ParseFloat(r[col[c]], 64)
			if err != nil || v < -1 || v > 1 {
				t.Errorf("%s = %q", c, r[col[c]])
			}
		}
	}
	col, mom := readTable(t, filepath.Join(out, MomentsFile))
	if res.Phrases == 0 || len(mom) != res.Phrases {
		t.Fatalf("%d moments for %d phrases", len(mom), res.Phrases)
	}
	readers := map[string]bool{}
	for _, r := range mom {
		readers[r[col["reader"]]] = true
		if r[col["audio_offset_s"]] == "" {
			t.Errorf("moment without the audio's offset: %v", r)
		}
	}
	if !readers["alice"] || !readers["bob"] {
		t.Errorf("moments of readers %v, want both (bob's transcripts are under %s)", readers, export.AudioBySessionDir)
	}
}

// Reporting moments on a session whose audio clock agrees with its screens, as the station
// records it: each case's audio.wav starts 250 ms after the case's onset, and the phrases sit
// mid-screen. Fixation times count from the onset, phrase times from the audio's first frame
// (docs/FORMATS.md §7), so a phrase at 3.0 s is at 3.25 s on the fixations' clock, and its
// moment holds exactly the fixations that overlap [1.25 s, 3.25 s).
func TestMomentsOnTheCaseOnset(t *testing.T) {
	studyDir := filepath.Join(t.TempDir(), "study")
	cases, err := exporttest.WriteStudy(studyDir, 2)
	if err != nil {
		t.Fatal(err)
	}
	lead := 250 * time.Millisecond
	spec := exporttest.Spec{ID: "20261201-090000-alice", Reader: "alice", Seed: 5, Started: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC),
		Cases: cases, Samples: 360, Extras: true, AudioLead: &lead} // 6 s a screen
	if err := exporttest.Record(studyDir, spec); err != nil {
		t.Fatal(err)
	}
	transcripts, err := filepath.Glob(filepath.Join(study.SessionDir(studyDir, spec.ID), session.CasesDir, "*", export.TranscriptFile))
	if err != nil || len(transcripts) != len(cases) {
		t.Fatalf("transcripts %v (%v), want one per case", transcripts, err)
	}
	for _, p := range transcripts {
		body := `{"full_text": " heart lungs", "time_stamped_text": [{"phrase": "heart", "begin_time": 3.0, "end_time": 3.4}, {"phrase": "lungs", "begin_time": 4.6, "end_time": 5.1}]}`
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ds := filepath.Join(t.TempDir(), "export")
	if _, err := export.Export(studyDir, ds, export.Options{}); err != nil {
		t.Fatal(err)
	}
	out, res := run(t, ds)
	if res.Phrases != 4 {
		t.Fatalf("%d phrases, want 2 per case", res.Phrases)
	}

	// The fixations of each image as fixations.csv has them: line, start, end.
	type fix struct {
		line       int
		start, end float64
	}
	byImage := map[string][]fix{}
	rows := testkit.ReadCSV(t, filepath.Join(ds, export.FixationsFile))
	for i, r := range rows[1:] {
		tm, _ := strconv.ParseFloat(r[4], 64)
		d, _ := strconv.ParseFloat(r[9], 64)
		byImage[r[2]] = append(byImage[r[2]], fix{line: i + 2, start: tm - d, end: tm})
	}
	col, mom := readTable(t, filepath.Join(out, MomentsFile))
	for _, m := range mom {
		begin, _ := strconv.ParseFloat(m[col["begin_s"]], 64)
		end := begin + 0.25
		start := end - 2
		var lines []string
		var dwell float64
		before, after := 0, 0
		for _, f := range byImage[m[col["dicom_id"]]] {
			switch {
			case f.end <= start:
				before++
			case f.start >= end:
				after++
			default:
				lines = append(lines, strconv.Itoa(f.line))
				dwell += min(f.end, end) - max(f.start, start)
			}
		}
		what := m[col["dicom_id"]] + " " + m[col["phrase"]]
		if m[col["audio_offset_s"]] != "0.25" {
			t.Errorf("%s: audio_offset_s %q, want 0.25 (the audio's lead on the onset)", what, m[col["audio_offset_s"]])
		}
		if !sameCell(m[col["window_start_s"]], sec(start)) || !sameCell(m[col["window_end_s"]], sec(end)) {
			t.Errorf("%s: window [%s, %s), want [%v, %v)", what, m[col["window_start_s"]], m[col["window_end_s"]], start, end)
		}
		// 2 s of fixations 0.2 s apart, with fixations on either side left out.
		if len(lines) < 8 || before == 0 || after == 0 {
			t.Fatalf("%s: %d fixations in the window, %d before, %d after: the fixture does not test the window", what, len(lines), before, after)
		}
		if got, want := m[col["fixation_lines"]], strings.Join(lines, ";"); got != want {
			t.Errorf("%s: fixation_lines %s, want %s", what, got, want)
		}
		if m[col["fixations"]] != strconv.Itoa(len(lines)) || !sameCell(m[col["dwell_s"]], sec(dwell)) {
			t.Errorf("%s: %s fixations, dwell %s; want %d, %s", what, m[col["fixations"]], m[col["dwell_s"]], len(lines), sec(dwell))
		}
	}
}
