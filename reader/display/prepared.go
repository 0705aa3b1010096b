package display

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"

	"sightline/reader/stage"
)

// The prepared display image (written by `sightline prepare`, reader/prepare) is read here,
// where every view takes its image from: the image floor reads it, the tool that writes it
// stands above.

// Dir is the folder of the display images in a prepared study.
const Dir = "display"

// Sidecar is display/<dicom_id>.json beside each display image: where the image sits on the
// stage (the DICOM size and the pads, as in a session's layout.json) and how its grey levels
// were rendered. Nothing in it identifies a patient.
type Sidecar struct {
	DicomID     string `json:"dicom_id"`
	StageWidth  int    `json:"stage_width"`
	StageHeight int    `json:"stage_height"`
	stage.Layout
	TransferSyntax   string  `json:"transfer_syntax"`           // the file's
	TranscodedWith   string  `json:"transcoded_with,omitempty"` // the tool that uncompressed it for decoding
	Photometric      string  `json:"photometric"`
	BitsStored       int     `json:"bits_stored"`
	Signed           bool    `json:"signed"`
	RescaleSlope     float64 `json:"rescale_slope"`
	RescaleIntercept float64 `json:"rescale_intercept"`
	Windowing        string  `json:"windowing"` // "file window" or "min-max"
	WindowCenter     float64 `json:"window_center"`
	WindowWidth      float64 `json:"window_width"`
}

// Path is the display image of a case in a prepared study: STUDY/display/<dicom_id>.png.
func Path(studyDir, dicomID string) string {
	return filepath.Join(studyDir, Dir, dicomID+".png")
}

// SidecarPath is the sidecar beside the display image png.
func SidecarPath(png string) string { return strings.TrimSuffix(png, ".png") + ".json" }

// ReadSidecar reads the sidecar of the display image at png (display/<dicom_id>.json) without
// the image: the layout alone is enough to map gaze to DICOM pixels. The layout must be the one
// stage.Fit gives for the DICOM size on the 1920×1080 stage.
func ReadSidecar(png string) (Sidecar, error) {
	path := SidecarPath(png)
	b, err := os.ReadFile(path)
	if err != nil {
		return Sidecar{}, fmt.Errorf("display layout: %w", err)
	}
	var side Sidecar
	if err := json.Unmarshal(b, &side); err != nil {
		return Sidecar{}, fmt.Errorf("display layout %s: %w", path, err)
	}
	l := side.Layout
	if side.StageWidth != stage.Width || side.StageHeight != stage.Height || l.W <= 0 || l.H <= 0 || l != stage.Fit(l.W, l.H) {
		return Sidecar{}, fmt.Errorf("display layout %s: %dx%d image with pads top %d bottom %d left %d right %d on a %dx%d stage is not how the station draws it",
			path, l.W, l.H, l.Top, l.Bottom, l.Left, l.Right, side.StageWidth, side.StageHeight)
	}
	return side, nil
}

// maxDisplayBytes bounds a display PNG: the stage is 2 MB of grey uncompressed.
const maxDisplayBytes = 16 << 20

// LoadPNG reads a display image written by prepare.Run and its layout (from the sidecar beside it).
// The image returned is the drawn rectangle of the stage (l.Rect() of the 1920×1080 file, with
// its origin at 0,0), at the size the station draws it: what the station's loader gives the
// reading view today (reading.Frame.Image, with Frame.Layout = l). The file and the sidecar must agree: a stage-sized
// greyscale PNG, and pads that are what stage.Fit gives for the DICOM size.
func LoadPNG(path string) (image.Image, stage.Layout, error) {
	side, err := ReadSidecar(path)
	if err != nil {
		return nil, stage.Layout{}, err
	}
	l := side.Layout
	f, err := os.Open(path)
	if err != nil {
		return nil, stage.Layout{}, fmt.Errorf("display image: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil {
		return nil, stage.Layout{}, fmt.Errorf("display image: %w", err)
	} else if st.Size() > maxDisplayBytes {
		return nil, stage.Layout{}, fmt.Errorf("display image %s: %d bytes, a stage PNG is under %d MiB", path, st.Size(), maxDisplayBytes>>20)
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(f); err != nil {
		return nil, stage.Layout{}, fmt.Errorf("display image %s: %w", path, err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(buf.Bytes()))
	if err != nil {
		return nil, stage.Layout{}, fmt.Errorf("display image %s: %w", path, err)
	}
	if cfg.Width != stage.Width || cfg.Height != stage.Height {
		return nil, stage.Layout{}, fmt.Errorf("display image %s is %dx%d, want the %dx%d stage", path, cfg.Width, cfg.Height, stage.Width, stage.Height)
	}
	img, err := png.Decode(bytes.NewReader(buf.Bytes()))
	if err != nil {
		return nil, stage.Layout{}, fmt.Errorf("display image %s: %w", path, err)
	}
	g, ok := img.(*image.Gray)
	if !ok {
		return nil, stage.Layout{}, fmt.Errorf("display image %s decodes to %T, want 8-bit grey", path, img)
	}
	return crop(g, l.Rect()), l, nil
}

// crop copies r of g into an image of its own whose origin is (0, 0), as the station's loader
// makes them.
func crop(g *image.Gray, r image.Rectangle) *image.Gray {
	out := image.NewGray(image.Rect(0, 0, r.Dx(), r.Dy()))
	for y := 0; y < r.Dy(); y++ {
		copy(out.Pix[y*out.Stride:(y+1)*out.Stride], g.Pix[g.PixOffset(r.Min.X, r.Min.Y+y):])
	}
	return out
}
