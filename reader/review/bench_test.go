package review

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"sightline/internal/benchcpu"
	"sightline/reader/review/pgtest"
	"sightline/reader/study"
)

// BenchmarkApply10000SQLite is `sightline boxes STUDY --apply` of 10,000 edits (589 images ×
// 17 zones, cut to 10,000) on a new SQLite store: parse, check, write in one transaction.
// Target < 1 s per op (the sizes come from the DICOM headers in the command, not measured here).
func BenchmarkApply10000SQLite(b *testing.B) {
	var images []Image
	var csv bytes.Buffer
	csv.WriteString(editsHead)
	n := 0
	for i := 0; n < 10000; i++ {
		im := Image{DicomID: fmt.Sprintf("img-%04d", i), W: 2544, H: 3056}
		for j, z := range study.ZoneNames {
			im.Boxes = append(im.Boxes, study.Box{Name: z, X1: float64(100 + j), X2: 900, Y1: float64(200 + j), Y2: 1500})
			if n < 10000 {
				fmt.Fprintf(&csv, "%s,%s,%d.5,901,%d,1499.25,edited\n", im.DicomID, z, 101+j, 199+j)
				n++
			}
		}
		images = append(images, im)
	}
	ctx := context.Background()
	var cpu time.Duration
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		st, err := Open(ctx, studyDir(b), Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		c0 := benchcpu.Now()
		rows, err := ReadBoxEdits(bytes.NewReader(csv.Bytes()), "edits.csv")
		if err != nil {
			b.Fatal(err)
		}
		res, err := ApplyBoxEdits(ctx, st, rows, "edits.csv", images, "model")
		if err != nil || res.Applied != 10000 {
			b.Fatalf("applied %d: %v", res.Applied, err)
		}
		b.StopTimer()
		cpu += benchcpu.Now() - c0
		st.Close()
		b.StartTimer()
	}
	// Process CPU time per apply: on a shared machine wall time measures the queue too.
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// BenchmarkWatchPostgres is the time from one handle's box edit to its arrival on another
// handle's Watch, on PostgreSQL (LISTEN/NOTIFY). Target < 1 s per op.
func BenchmarkWatchPostgres(b *testing.B) {
	url := pgtest.Database(b)
	benchWatch(b, url)
}

// BenchmarkWatchSQLite is the same on SQLite, polled every 200 ms (the default).
func BenchmarkWatchSQLite(b *testing.B) { benchWatch(b, studyDir(b)) }

func benchWatch(b *testing.B, loc string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := Open(ctx, loc, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	o, err := Open(ctx, loc, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer o.Close()
	ch, err := o.Watch(ctx)
	if err != nil {
		b.Fatal(err)
	}
	k := BoxKey{"img", "trachea"}
	var base int64
	b.ResetTimer()
	for i := range b.N {
		e, err := a.EditBoxes(ctx, []BoxEdit{{Key: k, Base: base, After: Box{Status: Edited, X1: float64(i), X2: 1e6, Y1: 0, Y2: 1}, Who: "ann"}})
		if err != nil {
			b.Fatal(err)
		}
		base = e[0].Rev
		select {
		case c := <-ch:
			if c.Box == nil || c.Box.Rev != base {
				b.Fatalf("got %+v, want revision %d", c, base)
			}
		case <-time.After(30 * time.Second):
			b.Fatal("the edit never arrived")
		}
	}
}
