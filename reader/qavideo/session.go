package qavideo

import (
	"context"
	"fmt"
	"image"
	"os"
	"path/filepath"

	"sightline/reader/display"
	"sightline/reader/qa"
	"sightline/reader/session"
	"sightline/reader/stage"
	"sightline/reader/study"
)

// Images loads each case's image as drawn, once per image (re-reads show the same one).
type Images struct {
	st    *study.Study
	stErr error
	cache map[string]loaded
}

type loaded struct {
	img    image.Image
	layout stage.Layout
	note   string
}

// NewImages loads the images of the study at dir; a study whose worklist cannot be read gives
// every case a black stage and says why.
func NewImages(dir string) *Images {
	st, err := study.Load(dir)
	return &Images{st: st, stErr: err, cache: map[string]loaded{}}
}

// Case is case c's picture: its image as drawn (nil for a calibration screen, or an image that
// cannot be loaded: note says why) and the layout to draw it at (the case's layout.json, or
// where the station draws the image when the case has none).
func (im *Images) Case(c *session.Case) (img image.Image, l stage.Layout, note string) {
	l = c.Layout.Layout
	if c.Screen.Kind != session.KindCase {
		if !c.HasLayout {
			l = stage.Fit(stage.Width, stage.Height)
		}
		return nil, l, ""
	}
	id := c.Screen.DicomID
	li, ok := im.cache[id]
	if !ok {
		switch {
		case im.st == nil:
			li.note = "image not available: " + im.stErr.Error()
		default:
			img, lay, err := display.Load(im.st, id)
			if err != nil {
				li.note = "image not available: " + err.Error()
			} else {
				li.img, li.layout = img, lay
			}
		}
		im.cache[id] = li
	}
	if !c.HasLayout && li.img != nil {
		l = li.layout
	}
	if !c.HasLayout && li.img == nil {
		l = stage.Fit(stage.Width, stage.Height)
	}
	return li.img, l, li.note
}

// CaseVideo is one case folder's video, or why it has none.
type CaseVideo struct {
	Case string // the case folder's name
	Result
	ImageNote string // why the video shows no image, when it does not
	Err       error
}

// WriteSession writes one MP4 per case folder of the session at dir into outDir, each named
// after its folder (NN-<dicom_id>.mp4, an interrupted copy's with its suffix), in reading order.
// A case that cannot be written is reported in its CaseVideo and the others are still written;
// the error is for a session that cannot be opened or an output folder that cannot be made.
func WriteSession(ctx context.Context, dir string, images *Images, outDir string, opt Options, progress func(CaseVideo)) ([]CaseVideo, *session.Opened, error) {
	o, err := session.Open(dir)
	if err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, o, fmt.Errorf("video folder: %w", err)
	}
	var out []CaseVideo
	for _, c := range qa.Cases(o) {
		if err := ctx.Err(); err != nil {
			return out, o, err
		}
		v := CaseVideo{Case: c.Name}
		r, err := qa.Load(o, c, qa.Options{})
		if err != nil {
			v.Err = err
		} else {
			var img image.Image
			var l stage.Layout
			img, l, v.ImageNote = images.Case(c)
			v.Result, v.Err = Write(ctx, r, img, l, filepath.Join(outDir, c.Name+".mp4"), opt)
		}
		if v.Err != nil && ctx.Err() != nil {
			return out, o, ctx.Err()
		}
		out = append(out, v)
		if progress != nil {
			progress(v)
		}
	}
	return out, o, nil
}
