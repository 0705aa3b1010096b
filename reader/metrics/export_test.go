package metrics

import (
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"sightline/reader/export"
	"sightline/reader/export/exporttest"
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
