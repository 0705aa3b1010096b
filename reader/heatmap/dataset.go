package heatmap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"sightline/reader/egd"
	"sightline/reader/stage"
	"sightline/reader/study"
)

// Image is the fixations of one image as read from fixations.csv, in file order.
type Image struct {
	DicomID   string
	Line      int // line of fixations.csv holding its first row
	Fixations []Fixation
}

// ReadFixations reads a fixations.csv stream (the 37-column layout, egd.ReadGaze) and groups its
// rows by DICOM_ID in order of first appearance. An image shown more than once (another session,
// another reader) gets all its rows, in file order: one heatmap per image, as the reference
// layout has one folder per dicom_id. Errors name the file and line.
func ReadFixations(r io.Reader, name string) ([]Image, error) {
	var out []Image
	index := map[string]int{}
	err := egd.ReadGaze(r, name, func(line int, row egd.GazeRecord) error {
		i, ok := index[row.DicomID]
		if !ok {
			i = len(out)
			index[row.DicomID] = i
			out = append(out, Image{DicomID: row.DicomID, Line: line})
		}
		out[i].Fixations = append(out[i].Fixations, Fixation{X: row.XOriginal, Y: row.YOriginal, Duration: row.Sample.FPOGD})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("heatmap: %w", err)
	}
	return out, nil
}

// Job is one image to render: its fixations, its DICOM size and where it was drawn.
type Job struct {
	Image
	W, H   int
	Layout stage.Layout // the worklist's pads; stage.Fit when it has none
}

// Plan matches images to the worklist. An image whose DICOM_ID is in s becomes a Job with the
// size that size reports for its case (reading the DICOM header, say); the others (calibration
// screens, docs/FORMATS.md §1) are returned apart. A case whose size or pads cannot be had is reported
// in failed, naming the case and the worklist line, and left out; the rest go on.
func Plan(s *study.Study, images []Image, size func(study.Case) (w, h int, err error)) (jobs []Job, others []Image, failed []error) {
	pads := make([]int, len(study.PadColumns))
	for i, name := range study.PadColumns {
		pads[i] = -1
		for j, h := range s.Header {
			if h == name {
				pads[i] = j
				break
			}
		}
	}
	sheet := filepath.Join(s.Dir, study.MasterSheet)
	for _, im := range images {
		c, ok := s.Case(im.DicomID)
		if !ok {
			others = append(others, im)
			continue
		}
		w, h, err := size(c)
		if err == nil && (w <= 0 || h <= 0) {
			err = fmt.Errorf("size %d×%d", w, h)
		}
		if err != nil {
			failed = append(failed, fmt.Errorf("heatmap: case %s (%s:%d): %w", c.DicomID, sheet, c.Line, err))
			continue
		}
		l, err := layout(c, pads, w, h)
		if err != nil {
			failed = append(failed, fmt.Errorf("heatmap: %s:%d: case %s: %w", sheet, c.Line, c.DicomID, err))
			continue
		}
		jobs = append(jobs, Job{Image: im, W: w, H: h, Layout: l})
	}
	return jobs, others, failed
}

// layout reads the case's pads (top, bottom, left, right; integers, "12.0" accepted); when the
// worklist has no pad columns or they are empty, the station's own placement, stage.Fit.
func layout(c study.Case, cols []int, w, h int) (stage.Layout, error) {
	l := stage.Layout{W: w, H: h}
	dst := []*int{&l.Top, &l.Bottom, &l.Left, &l.Right}
	for i, col := range cols {
		if col < 0 || col >= len(c.Fields) || strings.TrimSpace(c.Fields[col]) == "" {
			return stage.Fit(w, h), nil
		}
		v := strings.TrimSpace(c.Fields[col])
		n, err := strconv.Atoi(strings.TrimSuffix(v, ".0"))
		if err != nil || n < 0 {
			return l, fmt.Errorf("column %s: %q is not a pad in pixels", study.PadColumns[i], v)
		}
		*dst[i] = n
	}
	return l, nil
}

// Render writes the heatmaps of jobs under root: heatmap.png when static, the frames when
// temporal. Static heatmaps are rendered on all CPUs, one image per CPU; the frames of one image
// are encoded on all CPUs. opt applies to every job, with Layout set from the job. progress,
// when not nil, is called after each image with the number done and the total (from one
// goroutine at a time). Stats come back in the order of jobs. An error from one image stops
// the run and is returned with the image named; ctx cancels it.
func Render(ctx context.Context, root string, jobs []Job, static, temporal bool, opt Options, progress func(done, total int)) ([]Stats, error) {
	stats := make([]Stats, len(jobs))
	var (
		mu   sync.Mutex
		done int
		errs []error
	)
	report := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs = append(errs, err)
			return
		}
		done++
		if progress != nil {
			progress(done, len(jobs))
		}
	}
	stopped := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(errs) > 0 || ctx.Err() != nil
	}
	work := make(chan int)
	var wg sync.WaitGroup
	workers := 1
	if static && !temporal {
		workers = max(1, min(runtime.GOMAXPROCS(0), len(jobs)))
	}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				j := jobs[i]
				o := opt
				o.Layout = j.Layout
				var st Stats
				var err error
				if static {
					st, err = WriteStatic(root, j.DicomID, j.Fixations, j.W, j.H, o)
				}
				if err == nil && temporal {
					var ts Stats
					ts, err = WriteTemporal(ctx, root, j.DicomID, j.Fixations, j.W, j.H, o)
					if !static {
						st = ts
					}
					st.Frames = ts.Frames
				}
				stats[i] = st
				report(err)
			}
		}()
	}
	for i := range jobs {
		if stopped() {
			break
		}
		work <- i
	}
	close(work)
	wg.Wait()
	if len(errs) > 0 {
		return stats, errors.Join(errs...)
	}
	return stats, ctx.Err()
}
