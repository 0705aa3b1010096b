package reading

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"sightline/tracker/opengaze"
)

// NinePoints is the 9-point calibration grid the paper used.
var NinePoints = []opengaze.Point{
	{X: 0.1, Y: 0.1}, {X: 0.5, Y: 0.1}, {X: 0.9, Y: 0.1},
	{X: 0.1, Y: 0.5}, {X: 0.5, Y: 0.5}, {X: 0.9, Y: 0.5},
	{X: 0.1, Y: 0.9}, {X: 0.5, Y: 0.9}, {X: 0.9, Y: 0.9},
}

// OpenGazeCalibrator runs an Open Gaze device's own nine-point calibration (a Gazepoint, the
// simulator) for the run: it waits for the device's first connection, saying so after a short
// grace, and gives up on a device that shows no calibration point.
type OpenGazeCalibrator struct {
	Client *opengaze.Client
	Up     <-chan struct{} // closed once the tracker has connected
	Wait   time.Duration   // for the first connection; 0 means connectWait
	// After times the waits; nil means time.After (the tests fire them by hand).
	After func(time.Duration) <-chan time.Time
}

// noConnection is a calibration that gave up waiting for the tracker's first connection.
type noConnection struct{ wait time.Duration }

func (e noConnection) Error() string {
	return fmt.Sprintf("the eye tracker did not connect within %s", e.wait)
}

// Is makes the run see it as ErrNoTracker.
func (noConnection) Is(target error) bool { return target == ErrNoTracker }

// connectGrace is how long the station waits for the tracker before saying it waits.
const connectGrace = 300 * time.Millisecond

// connectWait bounds how long a calibration waits for the tracker's first connection.
const connectWait = 15 * time.Second

// calStartWait bounds how long a connected tracker may take to show its first calibration
// point. A GP3 shows it within a second of being asked; one that has shown nothing in 5 s
// does not calibrate, and the reader is told so rather than left before a waiting line for the
// calibration's whole budget (41.5 s for nine points).
const calStartWait = 5 * time.Second

// connected waits for the tracker to connect. The session starts with the calibration,
// usually before the tracker has answered; a tracker that answers at once is not announced
// (the line would only flash).
func (o OpenGazeCalibrator) connected(ctx context.Context, p CalProgress, after func(time.Duration) <-chan time.Time) error {
	select {
	case <-o.Up:
	case <-ctx.Done():
		return ctx.Err()
	case <-after(connectGrace):
		p.Waiting("waiting for the eye tracker to connect")
		select {
		case <-o.Up:
		case <-ctx.Done():
			return ctx.Err()
		case <-after(cmp.Or(o.Wait, connectWait)):
			return noConnection{cmp.Or(o.Wait, connectWait)}
		}
	}
	return nil
}

// Calibrate is part of Calibrator.
func (o OpenGazeCalibrator) Calibrate(ctx context.Context, p CalProgress) (CalSummary, error) {
	after := o.After
	if after == nil {
		after = time.After
	}
	if err := o.connected(ctx, p, after); err != nil {
		return CalSummary{}, err
	}
	p.Waiting("starting the eye tracker's calibration")
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	shown := make(chan struct{}) // closed at the device's first calibration point
	var once sync.Once
	type outcome struct {
		res opengaze.CalResult
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := o.Client.Calibrate(cctx, NinePoints, 1250*time.Millisecond, 500*time.Millisecond, func(e opengaze.CalEvent) {
			switch {
			case e.Kind == opengaze.CalPointStart:
				once.Do(func() { close(shown) })
				p.Target(e.X, e.Y)
			case e.Kind == opengaze.CalPointDone && e.Point == len(NinePoints):
				p.Waiting("waiting for the eye tracker's calibration result")
			}
		})
		done <- outcome{res, err}
	}()
	var out outcome
	select {
	case out = <-done:
	case <-shown:
		out = <-done
	case <-after(calStartWait):
		select {
		case <-shown: // it began just now
			out = <-done
		default:
			cancel() // Calibrate stops the device's calibration as it returns
			<-done
			return CalSummary{}, fmt.Errorf("%w: it showed no calibration point within %s", ErrNoCalibration, calStartWait)
		}
	}
	res, err := out.res, out.err
	if errors.Is(err, opengaze.ErrNotConnected) {
		err = fmt.Errorf("%w: %w", err, ErrNoTracker)
	}
	if err != nil {
		return CalSummary{}, err
	}
	s := CalSummary{AveErrorPx: res.AveErrorPx, ValidPoints: res.ValidPoints}
	for _, p := range res.Points {
		s.Points = append(s.Points, CalPoint{X: p.X, Y: p.Y, LX: p.LX, LY: p.LY, RX: p.RX, RY: p.RY,
			LValid: p.LV, RValid: p.RV})
	}
	return s, nil
}
