package boxedit

import (
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"sightline/reader/dicomimg"
	"sightline/reader/display"
	"sightline/reader/stage"
	"sightline/reader/study"
)

// Image is a case's image as the editor shows it.
type Image struct {
	// Gray is the image: the DICOM at full resolution (one pixel per DICOM pixel) when the
	// study has it, else the prepared study's display image (the drawn rectangle of the
	// stage), which Layout maps to DICOM pixels just as well, at the display's resolution.
	Gray   *image.Gray
	Layout stage.Layout // W, H: the DICOM size; the pads: where the reader saw it
	Source string       // "DICOM" or "display image"
}

// LoadImage loads the case dicomID of st for editing: its DICOM when the file is there, else
// the display image of a prepared study (display.Load).
func LoadImage(st *study.Study, dicomID string) (Image, error) {
	c, ok := st.Case(dicomID)
	if !ok {
		return Image{}, fmt.Errorf("case %s is not in the worklist", dicomID)
	}
	if path, err := st.DicomPath(c); err == nil {
		if _, err := os.Stat(path); err == nil {
			g, info, err := dicomimg.Load(path)
			if err != nil {
				return Image{}, err
			}
			return Image{Gray: g, Layout: stage.Fit(info.Cols, info.Rows), Source: "DICOM"}, nil
		}
	}
	img, l, err := display.Load(st, dicomID)
	if err != nil {
		return Image{}, err
	}
	g, ok := img.(*image.Gray)
	if !ok {
		g = image.NewGray(img.Bounds())
		draw.Draw(g, g.Rect, img, img.Bounds().Min, draw.Src)
	}
	return Image{Gray: g, Layout: l, Source: "display image"}, nil
}

// MasksDir is the folder of a study's segmentation masks: STUDY/masks/<dicom_id>/*.png.
const MasksDir = "masks"

// MaskFile is one segmentation mask of an image.
type MaskFile struct {
	Name  string // the file's name without .png (e.g. "left_lung")
	Image *image.Gray
}

// maxMaskBytes bounds a mask PNG: a 4k×4k grey image is 16 MiB uncompressed.
const maxMaskBytes = 32 << 20

// LoadMasks reads the image's masks (STUDY/masks/<dicom_id>/*.png, in name order) as grey
// images; none when the study has no masks for it.
func LoadMasks(studyDir, dicomID string) ([]MaskFile, error) {
	dir := filepath.Join(studyDir, MasksDir, dicomID)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("masks: %w", err)
	}
	var out []MaskFile
	for _, e := range entries {
		if e.IsDir() || !strings.EqualFold(filepath.Ext(e.Name()), ".png") {
			continue
		}
		g, err := readMask(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, MaskFile{Name: strings.TrimSuffix(e.Name(), filepath.Ext(e.Name())), Image: g})
	}
	slices.SortFunc(out, func(a, b MaskFile) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func readMask(path string) (*image.Gray, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("mask: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > maxMaskBytes {
		return nil, fmt.Errorf("mask %s: %d bytes, more than a mask can be", path, st.Size())
	}
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		return nil, fmt.Errorf("mask %s: %w", path, err)
	}
	if cfg.Width*cfg.Height > 64<<20 {
		return nil, fmt.Errorf("mask %s: %d×%d pixels, more than a mask can be", path, cfg.Width, cfg.Height)
	}
	if _, err := f.Seek(0, 0); err != nil {
		return nil, fmt.Errorf("mask %s: %w", path, err)
	}
	img, err := png.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("mask %s: %w", path, err)
	}
	if g, ok := img.(*image.Gray); ok {
		return g, nil
	}
	g := image.NewGray(img.Bounds())
	draw.Draw(g, g.Rect, img, img.Bounds().Min, draw.Src)
	return g, nil
}
