// Command export-bench generates a synthetic study with one long session and exports it, for
// bench/export/run.sh: `gen STUDY CASES SAMPLES` and `export STUDY OUT` (CPUPROFILE=file writes
// a CPU profile of the export).
package main

import (
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"time"

	"sightline/reader/export"
	"sightline/reader/export/exporttest"
	"sightline/reader/session"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "export-bench:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	switch {
	case len(args) == 4 && args[0] == "gen":
		n, err1 := strconv.Atoi(args[2])
		samples, err2 := strconv.Atoi(args[3])
		if err1 != nil || err2 != nil {
			return fmt.Errorf("gen STUDY CASES SAMPLES: numbers wanted")
		}
		cases, err := exporttest.WriteStudy(args[1], n)
		if err != nil {
			return err
		}
		r, err := exporttest.Start(args[1], exporttest.Spec{ID: "20261127-152705-reader1", Reader: "reader1", Seed: 3,
			Started: time.Date(2026, 11, 27, 15, 27, 5, 0, time.UTC), Cases: cases, Samples: samples, Extras: true})
		if err != nil {
			return err
		}
		if err := r.Screens(-1); err != nil {
			return err
		}
		return r.Close(session.StatusComplete)
	case len(args) == 3 && args[0] == "export":
		if p := os.Getenv("CPUPROFILE"); p != "" {
			f, err := os.Create(p)
			if err != nil {
				return err
			}
			pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
		t0 := time.Now()
		res, err := export.Export(args[1], args[2], export.Options{})
		if err != nil {
			return err
		}
		fmt.Printf("exported %d gaze rows, %d fixation rows, %d screens in %.2f s\n",
			res.GazeRows, res.FixationRows, res.Screens, time.Since(t0).Seconds())
		return nil
	}
	return fmt.Errorf("usage: gen STUDY CASES SAMPLES | export STUDY OUT")
}
