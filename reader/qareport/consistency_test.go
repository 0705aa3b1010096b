package qareport

import (
	"context"
	"image/jpeg"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"sightline/reader/qa/qatest"
	"sightline/reader/review"
	"sightline/reader/session"
	"sightline/reader/study"
)

// TestReportAgreesWithItself: the index's "with problems" and the session page's problem list
// come from the same findings (a silent case was "1 with problems" and "Problems (0)"); a
// WAV that does not read is listed once; a case failed by its verdict comes first; every
// checklist item is ticked from a measurement or said not measured; the calibration screen's
// thumbnail shows its white disc.
func TestReportAgreesWithItself(t *testing.T) {
	studyDir := t.TempDir()
	dir := qatest.Record(t, study.SessionDir(studyDir, "s1"), qatest.Session{ID: "s1", Reader: "R1", Cases: []qatest.Case{
		{DicomID: session.CalibrationID("s1", 1), Kind: session.KindCalibration, Samples: 60},
		{DicomID: "a", Samples: 120, Audio: true, Click: time.Second},
		{DicomID: "b", Samples: 120, Audio: true, Silent: true},
		{DicomID: "c", Samples: 120, Audio: true, Click: time.Second},
		{DicomID: "d", Samples: 120, Audio: true, Click: time.Second},
	}})
	wav := filepath.Join(dir, "cases", "03-c", session.AudioFile)
	b, err := os.ReadFile(wav)
	must(t, err)
	copy(b, "not a RIFF header, just bytes.....")
	must(t, os.WriteFile(wav, b, 0o644))
	verdicts := []review.Verdict{{Session: "s1", Case: "04-d", Decision: review.Fail, Reviewer: "qa", At: time.Unix(1, 0)}}
	out := filepath.Join(t.TempDir(), "qa")
	sum, err := Write(context.Background(), studyDir, out, Options{Verdicts: verdicts, Store: "test"})
	must(t, err)
	page := read(t, filepath.Join(out, pageName("s1")))
	index := read(t, filepath.Join(out, IndexFile))

	m := regexp.MustCompile(`<h2>Problems \((\d+) in (\d+) case folders?\)</h2>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the session page does not count its problems by case:\n%s", page)
	}
	if want := strings.TrimSpace(m[2]); !strings.Contains(index, "· "+want+" with problems ·") || sum.Faulty != atoi(want) {
		t.Errorf("session page: %s case folders with problems; index says %d:\n%s", want, sum.Faulty, index)
	}
	if n := strings.Count(page, "03-c</a>: audio.wav"); n != 1 {
		t.Errorf("the unreadable WAV is listed %d times in the problems:\n%s", n, page)
	}
	first := regexp.MustCompile(`<section class="case" id="[^"]+">\s*<h3>([^ ]+)`).FindStringSubmatch(page)
	if first == nil || first[1] != "04-d" {
		t.Errorf("first case on the page %v, want the failed 04-d", first)
	}
	if !strings.Contains(index, "<td>1 / 5</td>") {
		t.Errorf("index does not say 1 of 5 decided:\n%s", index)
	}
	// The calibration screen records no audio: its audio item is not measured, not ticked.
	cal := page[strings.Index(page, "<h3>00-calibration-s1-1"):]
	cal = cal[:strings.Index(cal, "</section>")]
	if !strings.Contains(cal, "– audio present and not silent: not measured") || strings.Contains(cal, "✓ audio present") {
		t.Errorf("calibration screen's checks:\n%s", cal)
	}
	c := page[strings.Index(page, "<h3>03-c"):]
	if !strings.Contains(c[:strings.Index(c, "</section>")], "✗ audio present") {
		t.Errorf("the unreadable WAV's audio is not unmet:\n%s", c)
	}
	// The disc: the thumbnail's centre is white, as the reader saw it.
	f, err := os.Open(filepath.Join(out, "img", "s1", "00-calibration-s1-1-replay.jpg"))
	must(t, err)
	defer f.Close()
	img, err := jpeg.Decode(f)
	must(t, err)
	w := img.Bounds().Dx()
	h := w * 1080 / 1920
	if r, g, bl, _ := img.At(w/2, h/2).RGBA(); r < 0xc000 || g < 0xc000 || bl < 0xc000 {
		t.Errorf("calibration thumbnail's centre is %x %x %x, not the white disc", r>>8, g>>8, bl>>8)
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = 10*n + int(c-'0')
	}
	return n
}
