package export

import (
	"path/filepath"

	"sightline/reader/session"
)

// Size is an image's width and height in DICOM pixels.
type Size struct{ W, H int }

// ImageSizes reads the size of each case's image from the screens.csv of an exported dataset
// folder: the DICOM width and height the station drew it at. A heatmap or an analysis of an
// export then needs no DICOMs. ok is false when dir has no screens.csv (a published EGD-CXR
// folder). Screens recorded without a size (0×0: imported without --dicom-root) are left out;
// two different sizes for one case are an error naming both lines.
func ImageSizes(dir string) (sizes map[string]Size, ok bool, err error) {
	t, err := readTableFile(filepath.Join(dir, ScreensFile), "DICOM_ID", "kind", "image_width", "image_height")
	if err != nil || t == nil {
		return nil, false, err
	}
	sizes = map[string]Size{}
	line := map[string]int{}
	for i := range t.rows {
		if session.Kind(t.get(i, "kind")) != session.KindCase || t.get(i, "image_width") == "" {
			continue
		}
		w, err := t.int(i, "image_width")
		if err != nil {
			return nil, true, err
		}
		h, err := t.int(i, "image_height")
		if err != nil {
			return nil, true, err
		}
		if w < 0 || h < 0 {
			return nil, true, t.errf(i, "negative image size %d×%d", w, h)
		}
		if w == 0 || h == 0 {
			continue
		}
		id, sz := t.get(i, "DICOM_ID"), Size{int(w), int(h)}
		if was, seen := sizes[id]; seen && was != sz {
			return nil, true, t.errf(i, "case %s is %d×%d here and %d×%d on line %d", id, sz.W, sz.H, was.W, was.H, line[id])
		}
		sizes[id], line[id] = sz, t.lines[i]
	}
	return sizes, true, nil
}
