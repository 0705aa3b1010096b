package qareport

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"sightline/reader/demo/demotest"
	"sightline/reader/qa/qatest"
	"sightline/reader/study"
)

// BenchmarkReport30 writes the report of a session of 30 cases (10 s of 60 Hz gaze and audio
// each, the demo study's images): open, measure, draw and encode every picture, write the pages.
// go test -run XXX -bench Report30 -benchtime 1x ./reader/qareport/
func BenchmarkReport30(b *testing.B) {
	src, ids := demotest.Get(b)
	dir := filepath.Join(b.TempDir(), "study")
	copyTree(b, src, dir, linkFile)
	var cs []qatest.Case
	for i := range 30 {
		cs = append(cs, qatest.Case{DicomID: ids[i%len(ids)], Samples: 600, JumpAt: 300, Audio: true})
	}
	qatest.Record(b, study.SessionDir(dir, "s1"), qatest.Session{Reader: "R1", Cases: cs})
	b.ResetTimer()
	for i := range b.N {
		sum, err := Write(context.Background(), dir, filepath.Join(b.TempDir(), fmt.Sprint(i)), Options{})
		if err != nil || sum.Cases != 30 {
			b.Fatal(sum, err)
		}
	}
}
