package app

import (
	"context"
	"fmt"
	"os/signal"
	"syscall"

	"sightline/reader/study"
	"sightline/tracker/gazesim"
)

// runSim serves the simulator until interrupted.
func runSim(ctx context.Context, o *Options, listen, studyDir string, noCal bool) error {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	var st *study.Study
	if studyDir != "" {
		var err error
		if st, err = study.Load(studyDir); err != nil {
			return fmt.Errorf("gazesim: %w", err)
		}
	}
	log := logger(o.Err)
	log.Info("gaze simulator listening", "addr", listen, "rate", o.Rate, "seed", o.Seed)
	return gazesim.ListenAndServe(ctx, listen, gazesim.Config{Rate: o.Rate, Seed: o.Seed, Scenes: scenes(st, log), NoCalibration: noCal})
}
