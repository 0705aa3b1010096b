package display

import (
	"fmt"
	"image"

	"sightline/reader/dicomimg"
	"sightline/reader/stage"
	"sightline/reader/study"
)

// HeaderSize is a case's image size from its DICOM header alone (no pixels decoded), the
// DICOM found by its master_sheet path under root: the study's folder, or the folder a
// dataset's paths are relative to.
func HeaderSize(s *study.Study, root string, c study.Case) (w, h int, err error) {
	at := *s
	at.Dir = root
	p, err := at.DicomPath(c)
	if err != nil {
		return 0, 0, err
	}
	return dicomimg.Size(p)
}

// StudyImages gives each case of the study in studyDir as display.Load draws it; a study that
// cannot be read gives every case that error.
func StudyImages(studyDir string) func(dicomID string) (image.Image, stage.Layout, error) {
	s, err := study.Load(studyDir)
	if err != nil {
		return func(string) (image.Image, stage.Layout, error) {
			return nil, stage.Layout{}, fmt.Errorf("the study's images cannot be shown: %w", err)
		}
	}
	return func(id string) (image.Image, stage.Layout, error) { return Load(s, id) }
}
