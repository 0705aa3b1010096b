// Package display gives a case's image exactly as the reader saw it: the pixels of the drawn
// rectangle and the layout that places them on the stage. Reading, review and the box editor
// all take their image from here, so what they show is what was read.
package display

import (
	"context"
	"errors"
	"fmt"
	"image"
	"os"

	"sightline/reader/dicomimg"
	"sightline/reader/reading"
	"sightline/reader/session"
	"sightline/reader/stage"
	"sightline/reader/study"
)

// Loader gives the reading loop each case's image of st as Load draws it.
func Loader(st *study.Study) reading.Loader {
	return func(_ context.Context, sc session.Screen) (reading.Frame, error) {
		img, l, err := Load(st, sc.DicomID)
		if err != nil {
			return reading.Frame{}, err
		}
		return reading.Frame{Image: img, Layout: l}, nil
	}
}

// Load returns the case dicomID of st as drawn on the stage: the image resampled to the
// layout's rectangle (origin 0, 0) and the layout. A prepared study holds it already
// (display/<dicom_id>.png, written by prepare), so no DICOM is decoded; otherwise the DICOM is
// decoded and fitted as prepare would have.
func Load(st *study.Study, dicomID string) (image.Image, stage.Layout, error) {
	c, ok := st.Case(dicomID)
	if !ok {
		return nil, stage.Layout{}, fmt.Errorf("case %s is not in the worklist", dicomID)
	}
	png := Path(st.Dir, c.DicomID)
	switch _, err := os.Stat(png); {
	case err == nil:
		return LoadPNG(png)
	case !errors.Is(err, os.ErrNotExist):
		return nil, stage.Layout{}, fmt.Errorf("display image: %w", err)
	}
	path, err := st.DicomPath(c)
	if err != nil {
		return nil, stage.Layout{}, err
	}
	img, info, err := dicomimg.Load(path)
	if err != nil {
		return nil, stage.Layout{}, err
	}
	l := stage.Fit(info.Cols, info.Rows)
	r := l.Rect()
	return dicomimg.Fit(img, r.Dx(), r.Dy()), l, nil
}
