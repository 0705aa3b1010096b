package display

import (
	"sightline/reader/dicomimg"
	"sightline/reader/stage"
	"sightline/reader/study"
	"sightline/tracker/gazesim"
)

// SimScenes tells the gaze simulator what each case of st looks like: its condition and its
// boxes in stage fractions. The image size comes from the prepared image's sidecar, or the
// DICOM header, when the case is first asked for; a case whose size is unknown is told to
// unsized and has no scene.
func SimScenes(st *study.Study, unsized func(dicomID string, err error)) func(string) (gazesim.Scene, bool) {
	if st == nil {
		return nil
	}
	return func(id string) (gazesim.Scene, bool) {
		c, ok := st.Case(id)
		if !ok {
			return gazesim.Scene{}, false
		}
		path, err := st.DicomPath(c)
		if err != nil {
			return gazesim.Scene{}, false
		}
		var w, h int
		if sc, serr := ReadSidecar(Path(st.Dir, id)); serr == nil {
			w, h, err = sc.W, sc.H, nil
		} else {
			w, h, err = dicomimg.Size(path)
		}
		if err != nil {
			unsized(id, err)
			return gazesim.Scene{}, false
		}
		l := stage.Fit(w, h)
		sc := gazesim.Scene{Condition: c.Condition}
		for _, b := range st.Boxes[id] {
			x1, y1 := l.ToStage(b.X1, b.Y1)
			x2, y2 := l.ToStage(b.X2, b.Y2)
			sc.Targets = append(sc.Targets, gazesim.Target{Name: b.Name, X1: x1, Y1: y1, X2: x2, Y2: y2, Weight: 1})
		}
		return sc, true
	}
}
