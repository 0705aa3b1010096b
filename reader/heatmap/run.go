package heatmap

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"sightline/reader/display"
	"sightline/reader/export"
	"sightline/reader/study"
)

// A dataset's heatmaps (`sightline heatmap`): a job per case of the worklist, each canvas the
// case's image size, rendered and counted.

// DatasetOptions say where a dataset's fixations and image sizes come from.
type DatasetOptions struct {
	Fixations string // the fixation file inside the dataset (fixations.csv, or eye_gaze.csv for raw gaze)
	// Images is the folder master_sheet's paths are relative to, for the DICOM headers' sizes
	// ("": the dataset, whose screens.csv gives the sizes when it is a Sightline export).
	Images string
	// Size reads a case's size from its DICOM header under root (nil: display.HeaderSize).
	Size func(s *study.Study, root string, c study.Case) (w, h int, err error)
}

// DatasetPlan is a dataset's heatmaps to render: a job per case the worklist lists, the screens
// it does not list (calibration screens, skipped), and the cases that cannot be rendered.
type DatasetPlan struct {
	Jobs   []Job
	Others []Image
	Failed []error // each names the case and the worklist line; the other cases go on
}

// PlanDataset reads dataset dir's fixations and plans a heatmap per case, its canvas the case's
// image size: from screens.csv when the dataset is an export (no DICOMs needed), otherwise (or
// with opt.Images) from the DICOM header.
func PlanDataset(dir string, opt DatasetOptions) (DatasetPlan, error) {
	var sizes map[string]export.Size
	images := opt.Images
	if images == "" {
		images = dir
		var err error
		if sizes, _, err = export.ImageSizes(dir); err != nil {
			return DatasetPlan{}, fmt.Errorf("heatmap: %w", err)
		}
	}
	size := opt.Size
	if size == nil {
		size = display.HeaderSize
	}
	s, err := study.Load(dir)
	if err != nil {
		return DatasetPlan{}, fmt.Errorf("heatmap: %w", err)
	}
	name := filepath.Join(dir, opt.Fixations)
	f, err := os.Open(name)
	if err != nil {
		return DatasetPlan{}, fmt.Errorf("heatmap: %w", err)
	}
	ims, err := ReadFixations(f, name)
	f.Close()
	if err != nil {
		return DatasetPlan{}, err
	}
	var p DatasetPlan
	p.Jobs, p.Others, p.Failed = Plan(s, ims, func(c study.Case) (int, int, error) {
		if sz, ok := sizes[c.DicomID]; ok {
			return sz.W, sz.H, nil
		}
		return size(s, images, c)
	})
	return p, nil
}

// Kinds are the heatmaps written per case: the static one, the reference's temporal frames
// (frame k showing fixation k+1 alone) and the cumulative frames (frame n showing 1…n).
type Kinds struct{ Static, Temporal, Cumulative bool }

// Totals count a dataset's heatmaps.
type Totals struct {
	Images     int // cases rendered
	Fixations  int
	OffImage   int // fixations off the image: they add nothing
	Unweighted int // fixations without a usable duration, weighting by duration: skipped
	Frames     int // temporal and cumulative frames written
	Others     int // screens the worklist does not list (calibration screens), skipped
	OtherFix   int // their fixations
}

// Render writes the plan's heatmaps under out (OUT/<dicom_id>/…): the static and temporal ones,
// then the cumulative frames under their own name (a second pass over the images). progress
// is told the images done of each pass.
func (p DatasetPlan) Render(ctx context.Context, out string, k Kinds, opt Options, progress func(done, total int)) (Totals, error) {
	stats, err := Render(ctx, out, p.Jobs, k.Static, k.Temporal, opt, progress)
	if err == nil && k.Cumulative {
		opt.Cumulative = true
		var cs []Stats
		if cs, err = Render(ctx, out, p.Jobs, false, true, opt, progress); err == nil {
			for i := range stats {
				if k.Static || k.Temporal {
					stats[i].Frames += cs[i].Frames
				} else {
					stats[i] = cs[i]
				}
			}
		}
	}
	t := Totals{Images: len(p.Jobs), Others: len(p.Others)}
	for _, st := range stats {
		t.Fixations, t.OffImage, t.Unweighted, t.Frames = t.Fixations+st.Fixations, t.OffImage+st.OffImage, t.Unweighted+st.Unweighted, t.Frames+st.Frames
	}
	for _, im := range p.Others {
		t.OtherFix += len(im.Fixations)
	}
	return t, err
}
