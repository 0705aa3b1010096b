// Package dicomimg turns a DICOM file into the 8-bit grey image the reading station shows.
package dicomimg

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/suyashkumar/dicom"
	"github.com/suyashkumar/dicom/pkg/tag"
	"github.com/suyashkumar/dicom/pkg/uid"
)

// ErrUnsupported is wrapped by every error about a valid DICOM file that this package does not
// display: compressed transfer syntaxes other than 8-bit JPEG, colour, multi-frame, no pixels.
var ErrUnsupported = errors.New("unsupported DICOM image")

// Info is what the display pipeline read from the file (no PHI): geometry and pixel encoding.
type Info struct {
	Rows, Cols                     int
	BitsAllocated, BitsStored      int
	Signed                         bool
	Photometric                    string // MONOCHROME1 / MONOCHROME2
	TransferSyntax                 string // UID
	RescaleSlope, RescaleIntercept float64
	WindowCenter, WindowWidth      float64 // the first window used; 0,0 if none (then min–max)
	Windowing                      string  // "file window" or "min-max"
}

// Windowing values.
const (
	FileWindow = "file window"
	MinMax     = "min-max"
)

// maxPixels bounds Rows×Columns: a large detector is 4300×3500 (15 MP); 100 MP is not a
// radiograph, and refusing it keeps a broken header from costing gigabytes.
const maxPixels = 100_000_000

// Load reads a DICOM file and returns its 8-bit display image at full DICOM resolution.
// Errors name the file and the reason.
func Load(path string) (*image.Gray, Info, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, Info{}, fmt.Errorf("DICOM %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, Info{}, fmt.Errorf("DICOM %s: %w", path, err)
	}
	img, info, err := Decode(f, st.Size())
	if err != nil {
		return nil, info, fmt.Errorf("DICOM %s: %w", path, err)
	}
	return img, info, nil
}

var readBuffers = sync.Pool{New: func() any { return new([]byte) }}

// Decode is Load over a reader of n bytes (for fuzzing and embedded data).
func Decode(r io.Reader, n int64) (*image.Gray, Info, error) {
	// The file's bytes are garbage once drawn (the image is a copy): the buffer goes back to a
	// pool, and the next file read soon after reads into it without the cost of zeroing a fresh
	// one (a fifth of the decoding time of an uncompressed radiograph).
	buf := readBuffers.Get().(*[]byte)
	defer readBuffers.Put(buf)
	var img *image.Gray
	info, err := decodeWith(r, n, buf, func(px pixels, t *lut) { img = render(px, t) })
	return img, info, err
}

// A Decoder decodes files one after another and keeps its buffers (the file's bytes, the
// resampler's intermediate plane) from one to the next, so that a batch reads and resamples into
// memory it already has: a pool drops its buffers at every garbage collection, and fresh memory
// costs a page fault per 4 KiB (half of prepare's page faults were its read buffer's). A Decoder
// is for one goroutine at a time; the zero Decoder is ready.
type Decoder struct {
	buf, scratch []byte
}

// DecodeInto is Decode drawn straight into the picture place gives for the frame's size
// (Columns × Rows), resampled to its bounds as FitInto would resample Decode's image, to the same
// bytes; the full-size image is never made, nor written to memory and read back (prepare draws
// each case on its stage so). place is called once the frame is known to decode, not on an
// error; a nil picture draws nothing.
func (d *Decoder) DecodeInto(r io.Reader, n int64, place func(cols, rows int) *image.Gray) (Info, error) {
	return decodeWith(r, n, &d.buf, func(px pixels, t *lut) {
		if dst := place(px.cols, px.rows); dst != nil {
			fitInto(dst, frameSource(px, t), &d.scratch)
		}
	})
}

// decodeWith reads n bytes from r into buf (grown when short) and decodes them, handing the frame
// and its table to draw while its bytes are still there.
func decodeWith(r io.Reader, n int64, buf *[]byte, draw func(pixels, *lut)) (Info, error) {
	if n < 0 {
		return Info{}, fmt.Errorf("negative size %d", n)
	}
	if n > maxInputBytes {
		return Info{}, fmt.Errorf("%w: %d bytes is more than the %d MiB this reader accepts", ErrUnsupported, n, maxInputBytes>>20)
	}
	// Up to 64 MiB, trust n and read in one go; beyond, let the buffer grow with what arrives,
	// so that a wrong n does not cost its size up front.
	var b []byte
	if n <= 64<<20 {
		if int64(cap(*buf)) < n {
			// Room to spare (half as much again, or twice what it had): the next larger file of
			// a batch fits, and pages never touched cost nothing.
			*buf = make([]byte, max(n+n/2, 2*int64(cap(*buf))))
		}
		b = (*buf)[:n]
		if got, err := io.ReadFull(r, b); err != nil {
			return Info{}, fmt.Errorf("reading: got %d of %d bytes: %w", got, n, err)
		}
	} else {
		grown := bytes.NewBuffer(make([]byte, 0, 64<<20))
		if _, err := grown.ReadFrom(io.LimitReader(r, n)); err != nil {
			return Info{}, fmt.Errorf("reading: %w", err)
		}
		if int64(grown.Len()) < n {
			return Info{}, fmt.Errorf("reading: got %d of %d bytes: %w", grown.Len(), n, io.ErrUnexpectedEOF)
		}
		b = grown.Bytes()
	}
	px, t, info, err := decode(b)
	if err != nil {
		return info, err
	}
	draw(px, t)
	return info, nil
}

// decode finds the frame in b and its table of grey levels.
func decode(b []byte) (pixels, *lut, Info, error) {
	chk, err := preflight(b)
	if err != nil {
		return pixels{}, nil, Info{}, err
	}
	ds, err := parse(chk.head())
	if err != nil {
		return pixels{}, nil, Info{TransferSyntax: chk.syntax.uid}, err
	}
	px, info, err := readPixels(ds, chk.syntax, chk.native())
	if err != nil {
		return pixels{}, nil, info, err
	}
	return px, table(px, &info, attrs(ds)), info, nil
}

// parse runs suyashkumar/dicom over a stream that passed preflight. The library indexes and
// type-asserts parsed values without checking them (MustGetStrings(…)[0] on the character set,
// the transfer syntax and the meta group length, items of a sequence asserted to be items), so
// malformed input can still panic inside it; a corrupt file must cost one case, not the session,
// so the panic becomes an error here.
func parse(b []byte) (ds dicom.Dataset, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: the DICOM parser failed on this file: %v", errMalformed, p)
		}
	}()
	ds, err = dicom.Parse(bytes.NewReader(b), int64(len(b)), nil,
		// Raw pixel bytes: we decode them ourselves (sign, bits stored, byte order), and the
		// library's native path reads them one io.ReadFull per pixel.
		dicom.SkipProcessingPixelDataValue(),
		// The character set only matters for text, which the display never shows.
		dicom.AllowUnknownSpecificCharacterSet())
	if err != nil {
		return ds, fmt.Errorf("%w: %w", errMalformed, err)
	}
	return ds, nil
}

// attrs reads top-level attributes of a data set. Nested ones (an icon image's Rows, say) are
// deliberately out of reach.
type attrs dicom.Dataset

func (a attrs) find(t tag.Tag) (*dicom.Element, bool) {
	ds := dicom.Dataset(a)
	e, err := ds.FindElementByTag(t)
	return e, err == nil && e != nil && e.Value != nil
}

// str is the first value of a string attribute, trimmed.
func (a attrs) str(t tag.Tag) (string, bool) {
	e, ok := a.find(t)
	if !ok {
		return "", false
	}
	v, ok := e.Value.GetValue().([]string)
	if !ok || len(v) == 0 {
		return "", false
	}
	s := strings.TrimSpace(strings.Trim(v[0], "\x00"))
	return s, s != ""
}

// int is the first value of an integer attribute (US, SS, UL, SL, or IS as text).
func (a attrs) int(t tag.Tag) (int, bool) {
	e, ok := a.find(t)
	if !ok {
		return 0, false
	}
	switch v := e.Value.GetValue().(type) {
	case []int:
		if len(v) > 0 {
			return v[0], true
		}
	case []string:
		if s, ok := a.str(t); ok {
			n, err := strconv.Atoi(s)
			return n, err == nil
		}
	}
	return 0, false
}

// float is the first value of a decimal attribute (DS as text, or FL/FD).
func (a attrs) float(t tag.Tag) (float64, bool) {
	e, ok := a.find(t)
	if !ok {
		return 0, false
	}
	switch v := e.Value.GetValue().(type) {
	case []float64:
		if len(v) > 0 {
			return v[0], finite(v[0])
		}
	case []string:
		if s, ok := a.str(t); ok {
			f, err := strconv.ParseFloat(s, 64)
			return f, err == nil && finite(f)
		}
	}
	return 0, false
}

// pixels is one frame of stored values, before any LUT.
type pixels struct {
	rows, cols int
	// Exactly one of raw (native encoding) and gray (a decoded JPEG) is set.
	raw      []byte
	gray     *image.Gray
	format   format
	bigOW8   bool // 8-bit samples in OW words of a big endian file: bytes swapped in pairs
	bigWords bool // 16-bit samples stored big endian
}

// format is how stored values sit in their allocated bits.
type format struct {
	bitsAllocated, bitsStored, highBit int
	signed                             bool
}

// head is the stream up to native pixel data, which is read where it lies (native): the parser
// stops before it instead of copying the largest value of the file.
func (c checked) head() []byte {
	if c.pixels.ok {
		return c.stream[:c.pixels.elem]
	}
	return c.stream
}

// native is the Pixel Data element as the parser would have given it with
// SkipProcessingPixelDataValue, from the bytes preflight located; nil when it did not (no pixel
// data at the top level, or encapsulated), and the parser has it.
func (c checked) native() *dicom.Element {
	if !c.pixels.ok {
		return nil
	}
	v, err := dicom.NewValue(dicom.PixelDataInfo{IntentionallyUnprocessed: true,
		UnprocessedValueData: c.stream[c.pixels.value : c.pixels.value+c.pixels.n]})
	if err != nil {
		return nil
	}
	return &dicom.Element{Tag: tag.PixelData, RawValueRepresentation: c.pixels.vr, Value: v}
}

// readPixels checks that the data set is one greyscale frame this package can decode and
// returns its stored values. pd is the Pixel Data element when the parser did not read it.
func readPixels(ds dicom.Dataset, s syntax, pd *dicom.Element) (pixels, Info, error) {
	a := attrs(ds)
	info := Info{TransferSyntax: s.uid}
	info.Rows, _ = a.int(tag.Rows)
	info.Cols, _ = a.int(tag.Columns)
	info.BitsAllocated, _ = a.int(tag.BitsAllocated)
	info.BitsStored, _ = a.int(tag.BitsStored)
	rep, _ := a.int(tag.PixelRepresentation)
	info.Signed = rep == 1
	info.Photometric, _ = a.str(tag.PhotometricInterpretation)

	ok := pd != nil
	if !ok {
		pd, ok = a.find(tag.PixelData)
	}
	if !ok {
		if _, ok := a.find(tag.FloatPixelData); ok {
			return pixels{}, info, fmt.Errorf("%w: float pixel data is not read", ErrUnsupported)
		}
		if _, ok := a.find(tag.DoubleFloatPixelData); ok {
			return pixels{}, info, fmt.Errorf("%w: double float pixel data is not read", ErrUnsupported)
		}
		return pixels{}, info, fmt.Errorf("%w: no pixel data (not an image)", ErrUnsupported)
	}
	pdi, ok := pd.Value.GetValue().(dicom.PixelDataInfo)
	if !ok {
		return pixels{}, info, malformed("pixel data element holds %T", pd.Value.GetValue())
	}

	if spp, ok := a.int(tag.SamplesPerPixel); ok && spp != 1 {
		return pixels{}, info, fmt.Errorf("%w: %d samples per pixel (colour) is not read", ErrUnsupported, spp)
	}
	switch info.Photometric {
	case "MONOCHROME1", "MONOCHROME2":
	case "":
		// Required by the standard, absent in old ACR-NEMA style files, which were greyscale.
		info.Photometric = "MONOCHROME2"
	default:
		return pixels{}, info, fmt.Errorf("%w: photometric interpretation %s (colour) is not read", ErrUnsupported, info.Photometric)
	}
	if nf, ok := a.int(tag.NumberOfFrames); ok && nf > 1 {
		return pixels{}, info, fmt.Errorf("%w: %d frames: multi-frame images are not read", ErrUnsupported, nf)
	}

	if info.Rows <= 0 || info.Cols <= 0 {
		return pixels{}, info, malformed("pixel data with Rows %d and Columns %d (missing or zero)", info.Rows, info.Cols)
	}
	if int64(info.Rows)*int64(info.Cols) > maxPixels {
		return pixels{}, info, fmt.Errorf("%w: %d×%d is %.0f megapixels, more than the %d this reader accepts",
			ErrUnsupported, info.Cols, info.Rows, float64(info.Rows)*float64(info.Cols)/1e6, maxPixels/1_000_000)
	}
	if info.BitsAllocated != 8 && info.BitsAllocated != 16 {
		return pixels{}, info, fmt.Errorf("%w: %d bits allocated per sample is not read (8 or 16 are)", ErrUnsupported, info.BitsAllocated)
	}
	if info.BitsStored < 1 || info.BitsStored > info.BitsAllocated {
		return pixels{}, info, malformed("%d bits stored in %d allocated", info.BitsStored, info.BitsAllocated)
	}
	highBit, ok := a.int(tag.HighBit)
	if !ok {
		highBit = info.BitsStored - 1
	}
	if highBit < info.BitsStored-1 || highBit >= info.BitsAllocated {
		return pixels{}, info, malformed("high bit %d with %d bits stored in %d allocated", highBit, info.BitsStored, info.BitsAllocated)
	}
	f := format{bitsAllocated: info.BitsAllocated, bitsStored: info.BitsStored, highBit: highBit, signed: info.Signed}
	px := pixels{rows: info.Rows, cols: info.Cols, format: f}

	switch s.uid {
	case uid.ImplicitVRLittleEndian, uid.ExplicitVRLittleEndian, uid.DeflatedExplicitVRLittleEndian, uid.ExplicitVRBigEndian:
		if pdi.IsEncapsulated || !pdi.IntentionallyUnprocessed {
			return pixels{}, info, malformed("encapsulated pixel data in native transfer syntax %s", s.uid)
		}
		need := info.Rows * info.Cols * (info.BitsAllocated / 8)
		if len(pdi.UnprocessedValueData) < need {
			return pixels{}, info, malformed("pixel data holds %d bytes, %d×%d×%d bits needs %d",
				len(pdi.UnprocessedValueData), info.Cols, info.Rows, info.BitsAllocated, need)
		}
		px.raw = pdi.UnprocessedValueData[:need]
		if s.uid == uid.ExplicitVRBigEndian {
			px.bigWords = info.BitsAllocated == 16
			px.bigOW8 = info.BitsAllocated == 8 && pd.RawValueRepresentation == "OW"
			if px.bigOW8 && need%2 == 1 && len(pdi.UnprocessedValueData) > need {
				px.raw = pdi.UnprocessedValueData[:need+1] // the last sample's word partner
			}
		}
		return px, info, nil

	case jpegBaseline, jpegExtended:
		if info.BitsAllocated != 8 || info.BitsStored > 8 {
			return pixels{}, info, fmt.Errorf("%w: %d-bit JPEG (transfer syntax %s) is not decoded; 8-bit JPEG is",
				ErrUnsupported, info.BitsStored, s.uid)
		}
		if !pdi.IsEncapsulated || len(pdi.Frames) == 0 {
			return pixels{}, info, malformed("JPEG transfer syntax without encapsulated pixel data")
		}
		g, err := decodeJPEG(pdi, info.Cols, info.Rows)
		if err != nil {
			return pixels{}, info, err
		}
		px.gray = g
		// A baseline JPEG holds unsigned 8-bit samples whatever Pixel Representation says.
		px.format = format{bitsAllocated: 8, bitsStored: 8, highBit: 7}
		return px, info, nil
	}
	return pixels{}, info, fmt.Errorf("%w: %s transfer syntax %s is not decoded", ErrUnsupported, syntaxFamily(s.uid), s.uid)
}

const (
	jpegBaseline = "1.2.840.10008.1.2.4.50"
	jpegExtended = "1.2.840.10008.1.2.4.51"
)

// decodeJPEG decodes the single frame of encapsulated JPEG data, which must be cols×rows. With
// one frame, every fragment belongs to it (the library hands out fragments as frames), so they
// are joined.
func decodeJPEG(pdi dicom.PixelDataInfo, cols, rows int) (*image.Gray, error) {
	var data []byte
	for _, fr := range pdi.Frames {
		if fr != nil {
			data = append(data, fr.EncapsulatedData.Data...)
		}
	}
	// Check the size before jpeg.Decode allocates for it (rows×cols is already bounded).
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, malformed("JPEG frame: %v", err)
	}
	if cfg.Width != cols || cfg.Height != rows {
		return nil, malformed("JPEG frame is %d×%d, the header says %d×%d", cfg.Width, cfg.Height, cols, rows)
	}
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, malformed("JPEG frame: %v", err)
	}
	g, ok := img.(*image.Gray)
	if !ok {
		return nil, fmt.Errorf("%w: JPEG frame decodes to %T, not greyscale", ErrUnsupported, img)
	}
	return g, nil
}

// syntaxFamily names a compressed transfer syntax for an error message.
func syntaxFamily(ts string) string {
	switch ts {
	case "1.2.840.10008.1.2.5":
		return "RLE"
	case "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.58", "1.2.840.10008.1.2.4.65",
		"1.2.840.10008.1.2.4.66", "1.2.840.10008.1.2.4.70":
		return "JPEG Lossless"
	case "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81":
		return "JPEG-LS"
	case "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.92", "1.2.840.10008.1.2.4.93":
		return "JPEG 2000"
	case "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202", "1.2.840.10008.1.2.4.203", "1.2.840.10008.1.2.4.204":
		return "HTJ2K"
	}
	if e, err := uid.Lookup(ts); err == nil && e.Name != "" {
		return e.Name
	}
	return "unknown"
}
