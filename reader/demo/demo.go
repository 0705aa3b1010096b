// Package demo writes the embedded demo study: twelve synthetic chest radiographs as real DICOM
// files in the MIMIC-CXR layout, with an EGD-CXR style master_sheet.csv and bounding_boxes.csv.
package demo

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"sightline/reader/atomicfile"
	studypkg "sightline/reader/study"
)

// DefaultSeed is the seed Write uses.
const DefaultSeed int64 = 20210421

// File names at the top of the study directory.
const (
	MasterSheet   = "master_sheet.csv"
	BoundingBoxes = "bounding_boxes.csv"
	// Metadata is the generator's own record of what it wrote (JSON), read back by an
	// idempotent Write.
	Metadata = "demo_cases.json"
)

// Case is one demo radiograph.
//
// The twelve cases, in order (conditions cycle Normal, CHF, pneumonia), each carry one property
// that readers must cope with:
//
//	0  Normal     2544×3056 like MIMIC-CXR; explicit VR LE, 12 bits stored, MONOCHROME2
//	1  CHF        MONOCHROME1 (stored values inverted: the display must invert them)
//	2  pneumonia  landscape (Cols > Rows), right upper lobe, 14 bits stored
//	3  Normal     odd Rows and odd Cols
//	4  CHF        JPEG Baseline (1.2.840.10008.1.2.4.50), 8 bits, encapsulated
//	5  pneumonia  signed pixels (PixelRepresentation 1), Rescale Intercept −1024
//	6  Normal     implicit VR little endian, 16 bits stored
//	7  CHF        Rescale Slope 2, Intercept −500
//	8  pneumonia  explicit VR LE, 12 bits
//	9  Normal     explicit VR LE, 14 bits
//	10 CHF        explicit VR LE, 12 bits
//	11 pneumonia  explicit VR LE, 12 bits
//
// Pneumonia lobes: case 2 right upper, 5 left lower, 8 right middle, 11 right lower. CHF
// cases 1 and 7 have bilateral pleural effusions blunting the costophrenic angles; all CHF
// hearts are drawn with a cardiothoracic ratio of 0.57–0.66, Normal ones 0.40–0.47.
type Case struct {
	DicomID   string // MIMIC-style: five dash-separated groups of 8 lowercase hex digits
	Path      string // relative to the study directory: files/p1X/p1XXXXXXX/sXXXXXXXX/<dicom_id>.dcm
	Condition string // "Normal", "CHF" or "pneumonia"
	Rows      int
	Cols      int
	Boxes     []Box // the 17 anatomical zones in BoxNames order, original DICOM pixels

	PatientID string
	StudyID   string

	// Encoding, so that tests elsewhere can pick the case they need.
	Photometric    string  // "MONOCHROME2" or "MONOCHROME1"
	TransferSyntax string  // transfer syntax UID
	BitsAllocated  int     // 16, or 8 for the JPEG case
	BitsStored     int     // 8..16
	Signed         bool    // PixelRepresentation 1
	RescaleSlope   float64 // modality LUT: value = stored·slope + intercept
	RescaleInter   float64
	WindowCenter   float64 // in rescaled units
	WindowWidth    float64
}

// Box is an anatomical bounding box in original DICOM pixels.
type Box struct {
	Name           string
	X1, X2, Y1, Y2 float64
}

// BoxNames lists the 17 EGD-CXR bounding box names in the order of docs/FORMATS.md §1.
var BoxNames = studypkg.ZoneNames

// Box returns the case's box with that name.
func (c Case) Box(name string) (Box, bool) {
	for _, b := range c.Boxes {
		if b.Name == name {
			return b, true
		}
	}
	return Box{}, false
}

// Landscape reports whether the image is wider than tall.
func (c Case) Landscape() bool { return c.Cols > c.Rows }

// ErrNotDemo is returned when a study directory has a master sheet that the generator did not
// write (no metadata of its own to read back).
var ErrNotDemo = errors.New("demo: directory holds a study the demo generator did not write")

// Write writes the demo study into dir if it is not there yet. It is idempotent: when
// dir/master_sheet.csv exists it writes nothing and returns the cases read back from the
// generator's own metadata. The master sheet is written last, so an interrupted run is redone.
func Write(dir string) ([]Case, error) { return WriteSeed(dir, DefaultSeed) }

// WriteSeed is Write with an explicit seed. The same seed gives byte-identical files.
func WriteSeed(dir string, seed int64) ([]Case, error) {
	if _, err := os.Stat(filepath.Join(dir, MasterSheet)); err == nil {
		return readMetadata(dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("demo: create study directory: %w", err)
	}
	specs := studySpecs(seed)
	cases := make([]Case, len(specs))
	errs := make([]error, len(specs))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(specs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				cases[i], errs[i] = writeCase(dir, seed, specs[i])
			}
		}()
	}
	for i := range specs {
		work <- i
	}
	close(work)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if err := writeBoxes(dir, cases); err != nil {
		return nil, err
	}
	if err := writeMetadata(dir, seed, cases); err != nil {
		return nil, err
	}
	if err := writeMasterSheet(dir, specs, cases); err != nil {
		return nil, err
	}
	return cases, nil
}

// spec is everything chosen for one case before drawing it.
type spec struct {
	index          int
	cond           string
	variant        int // pneumonia lobe, CHF effusion
	female         bool
	age            int
	rows, cols     int
	photometric    string
	transferSyntax string
	bitsStored     int
	signed         bool
	slope, inter   float64
	dicomID        string
	patientID      string
	studyID        string
	stayID         string
	studyDate      string
}

// hashBytes derives deterministic bytes from the seed and a label.
func hashBytes(seed int64, label string) [32]byte {
	return sha256.Sum256([]byte(fmt.Sprintf("sightline-demo/%d/%s", seed, label)))
}

// uid returns a UID under the 2.25 root (a 128-bit number in decimal), from seed and label.
func uid(seed int64, label string) string {
	h := hashBytes(seed, label)
	return "2.25." + new(big.Int).SetBytes(h[:16]).String()
}

func hashInt(seed int64, label string, n uint64) uint64 {
	h := hashBytes(seed, label)
	return binary.BigEndian.Uint64(h[:8]) % n
}

func studySpecs(seed int64) []spec {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x5167_6874_6c69_6e65))
	conds := [3]string{"Normal", "CHF", "pneumonia"}
	specs := make([]spec, 12)
	for i := range specs {
		s := &specs[i]
		s.index = i
		s.cond = conds[i%3]
		s.variant = i / 3
		s.female = rng.IntN(2) == 0
		s.age = 25 + rng.IntN(60)
		// Portrait, about 2300–2800 wide and 1.15–1.25 times as tall, even sizes.
		s.cols = 2*(1150+rng.IntN(250)) + 0
		s.rows = 2 * int(float64(s.cols)*(1.15+0.1*rng.Float64())/2)
		s.photometric = "MONOCHROME2"
		s.transferSyntax = ExplicitVRLittleEndian
		s.bitsStored = 12
		s.slope = 1
		h := hashBytes(seed, fmt.Sprintf("dicom/%d", i))
		s.dicomID = fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:8], h[8:12], h[12:16], h[16:20])
		s.patientID = fmt.Sprint(10000000 + hashInt(seed, fmt.Sprintf("patient/%d", i), 10000000))
		s.studyID = fmt.Sprint(50000000 + hashInt(seed, fmt.Sprintf("study/%d", i), 10000000))
		s.stayID = fmt.Sprint(30000000 + hashInt(seed, fmt.Sprintf("stay/%d", i), 10000000))
		s.studyDate = fmt.Sprintf("2180%02d%02d", 1+rng.IntN(12), 1+rng.IntN(28))
		switch i {
		case 0:
			s.cols, s.rows = 2544, 3056
		case 1:
			s.photometric = "MONOCHROME1"
		case 2:
			s.cols, s.rows = s.rows, s.cols
			s.bitsStored = 14
		case 3:
			s.cols++
			s.rows++
		case 4:
			s.transferSyntax = JPEGBaseline8Bit
			s.bitsStored = 8
		case 5:
			s.signed = true
			s.bitsStored = 16
			s.inter = -1024
		case 6:
			s.transferSyntax = ImplicitVRLittleEndian
			s.bitsStored = 16
		case 7:
			s.slope, s.inter = 2, -500
		case 9:
			s.bitsStored = 14
		}
	}
	// Pneumonia lobes (makePneumonia's variants): 2 right upper, 5 left lower, 8 right middle,
	// 11 right lower.
	specs[2].variant, specs[5].variant, specs[8].variant, specs[11].variant = 2, 1, 3, 0
	return specs
}

func (s spec) path() string {
	return fmt.Sprintf("files/p%s/p%s/s%s/%s.dcm", s.patientID[:2], s.patientID, s.studyID, s.dicomID)
}

// writeCase draws one case and writes its DICOM file atomically.
func writeCase(dir string, seed int64, s spec) (Case, error) {
	p, disp := drawCase(seed, s)
	c := Case{
		DicomID: s.dicomID, Path: s.path(), Condition: s.cond, Rows: s.rows, Cols: s.cols,
		Boxes: p.boxes(), PatientID: s.patientID, StudyID: s.studyID,
		Photometric: s.photometric, TransferSyntax: s.transferSyntax,
		BitsAllocated: 16, BitsStored: s.bitsStored, Signed: s.signed,
		RescaleSlope: s.slope, RescaleInter: s.inter,
	}
	if s.transferSyntax == JPEGBaseline8Bit {
		c.BitsAllocated = 8
	}
	full := filepath.Join(dir, filepath.FromSlash(c.Path))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return Case{}, fmt.Errorf("demo: case %d: %w", s.index, err)
	}
	err := writeAtomic(full, func(f io.Writer) error {
		return writeDICOM(f, seed, s, &c, disp, renderFactor)
	})
	if err != nil {
		return Case{}, fmt.Errorf("demo: case %d (%s): %w", s.index, c.DicomID, err)
	}
	return c, nil
}

// drawCase builds the case's phantom and draws it (display values at 1/renderFactor size).
func drawCase(seed int64, s spec) (*phantom, *layer) {
	rng := rand.New(rand.NewPCG(uint64(seed), uint64(s.index)+1))
	p := newPhantom(rng, s.rows, s.cols, s.cond, s.variant, s.female)
	return p, p.render(renderFactor, rng)
}

// writeAtomic writes through a temporary file in the same directory and renames it into place.
func writeAtomic(path string, write func(io.Writer) error) error {
	return atomicfile.Write(path, write)
}

type metadata struct {
	Seed  int64
	Cases []Case
}

func writeMetadata(dir string, seed int64, cases []Case) error {
	err := writeAtomic(filepath.Join(dir, Metadata), func(f io.Writer) error {
		enc := json.NewEncoder(f)
		enc.SetIndent("", " ")
		return enc.Encode(metadata{Seed: seed, Cases: cases})
	})
	if err != nil {
		return fmt.Errorf("demo: write %s: %w", Metadata, err)
	}
	return nil
}

func readMetadata(dir string) ([]Case, error) {
	b, err := os.ReadFile(filepath.Join(dir, Metadata))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s has no %s", ErrNotDemo, dir, Metadata)
	}
	if err != nil {
		return nil, fmt.Errorf("demo: read %s: %w", Metadata, err)
	}
	var m metadata
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("demo: parse %s: %w", Metadata, err)
	}
	return m.Cases, nil
}
