package prepare

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"sightline/reader/dicomimg"
)

// A transcoder rewrites a compressed DICOM file with its pixels uncompressed, for dicomimg to
// decode. The tools are external programs, found on PATH when needed.
type transcoder struct {
	tool, pkg string // program, and the Debian package that has it
	args      func(in, out string) []string
}

var (
	dcmdjpeg = transcoder{"dcmdjpeg", "dcmtk", func(in, out string) []string { return []string{in, out} }}
	dcmdjpls = transcoder{"dcmdjpls", "dcmtk", func(in, out string) []string { return []string{in, out} }}
	dcmdrle  = transcoder{"dcmdrle", "dcmtk", func(in, out string) []string { return []string{in, out} }}
	// dcmtk has no JPEG 2000 decoder in Debian; GDCM's (OpenJPEG) does it, and the other
	// compressions too, should dcmtk be missing.
	gdcmconv = transcoder{"gdcmconv", "libgdcm-tools", func(in, out string) []string { return []string{"--raw", in, out} }}
)

// transcoders are the tools to try, in order, for a transfer syntax dicomimg does not decode.
func transcoders(ts string) []transcoder {
	switch ts {
	case "1.2.840.10008.1.2.4.50", // JPEG Baseline (12-bit ones claim it too)
		"1.2.840.10008.1.2.4.51", // JPEG Extended (12-bit)
		"1.2.840.10008.1.2.4.53", // spectral selection, retired
		"1.2.840.10008.1.2.4.55", // full progression, retired
		"1.2.840.10008.1.2.4.57", // JPEG Lossless
		"1.2.840.10008.1.2.4.70": // JPEG Lossless, first-order prediction
		return []transcoder{dcmdjpeg, gdcmconv}
	case "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81": // JPEG-LS lossless, near-lossless
		return []transcoder{dcmdjpls, gdcmconv}
	case "1.2.840.10008.1.2.5": // RLE Lossless
		return []transcoder{dcmdrle, gdcmconv}
	case "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91": // JPEG 2000 lossless, lossy
		return []transcoder{gdcmconv}
	}
	return nil
}

// decode reads a DICOM file into its 8-bit display image at full size (dicomimg.Decode).
func decode(ctx context.Context, path, tmp string) (img *image.Gray, info dicomimg.Info, via string, err error) {
	info, via, err = decodeWith(ctx, path, tmp, func(r io.Reader, n int64) (got dicomimg.Info, err error) {
		img, got, err = dicomimg.Decode(r, n)
		return got, err
	})
	return img, info, via, err
}

// decodeOnto draws a DICOM file with d straight onto the picture place gives for its size
// (dicomimg.Decoder.DecodeInto), without making the full-size image.
func decodeOnto(ctx context.Context, d *dicomimg.Decoder, path, tmp string, place func(cols, rows int) *image.Gray) (dicomimg.Info, string, error) {
	return decodeWith(ctx, path, tmp, func(r io.Reader, n int64) (dicomimg.Info, error) {
		return d.DecodeInto(r, n, place)
	})
}

// decodeWith reads a DICOM file with dec. A compressed file that dicomimg refuses for its
// transfer syntax alone is transcoded into tmp and read again; via names the tool then. Errors
// say why, without the path (the caller has it).
func decodeWith(ctx context.Context, path, tmp string, dec func(io.Reader, int64) (dicomimg.Info, error)) (info dicomimg.Info, via string, err error) {
	info, err = decodeFile(path, dec)
	if err == nil || !errors.Is(err, dicomimg.ErrUnsupported) {
		return info, "", err
	}
	tools := transcoders(info.TransferSyntax)
	if len(tools) == 0 || !transcodable(info) {
		return info, "", err
	}
	var t transcoder
	for _, c := range tools {
		if _, lerr := exec.LookPath(c.tool); lerr == nil {
			t = c
			break
		}
	}
	if t.tool == "" {
		var want []string
		for _, c := range tools {
			want = append(want, fmt.Sprintf("%s (Debian package %s)", c.tool, c.pkg))
		}
		return info, "", fmt.Errorf("%w; no transcoder is installed: install %s", err, strings.Join(want, " or "))
	}
	f, cerr := os.CreateTemp(tmp, "transcoded-*.dcm")
	if cerr != nil {
		return info, "", fmt.Errorf("transcode: %w", cerr)
	}
	out := f.Name()
	f.Close()
	defer os.Remove(out)
	cmd := exec.CommandContext(ctx, t.tool, t.args(path, out)...)
	if msg, rerr := cmd.CombinedOutput(); rerr != nil {
		return info, "", fmt.Errorf("%w; %s could not transcode it: %v: %s", err, t.tool, rerr, lastLines(msg, 3))
	}
	tinfo, terr := decodeFile(out, dec)
	if terr != nil {
		return info, "", fmt.Errorf("transcoded by %s from %s, then: %w", t.tool, info.TransferSyntax, terr)
	}
	tinfo.TransferSyntax = info.TransferSyntax // the file's own; via says how it was read
	return tinfo, t.tool, nil
}

// transcodable tells, from what dicomimg read before it refused a file, whether the refusal
// can be about the transfer syntax: colour, and sample sizes other than 8 or 16 bits, are refused
// whatever the compression, so transcoding them would only cost time. (A multi-frame file is
// refused before its syntax too, but Info does not say so: it is transcoded, then refused.)
func transcodable(info dicomimg.Info) bool {
	mono := info.Photometric == "MONOCHROME1" || info.Photometric == "MONOCHROME2"
	return mono && (info.BitsAllocated == 8 || info.BitsAllocated == 16) && info.Rows > 0 && info.Cols > 0
}

// decodeFile is dec over a file, with errors that do not repeat its name.
func decodeFile(path string, dec func(io.Reader, int64) (dicomimg.Info, error)) (dicomimg.Info, error) {
	f, err := os.Open(path)
	if err != nil {
		return dicomimg.Info{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return dicomimg.Info{}, err
	}
	if st.IsDir() {
		return dicomimg.Info{}, fmt.Errorf("%s is a folder, not a DICOM file", filepath.Base(path))
	}
	return dec(f, st.Size())
}

// lastLines is the last n non-empty lines of a tool's output, on one line.
func lastLines(b []byte, n int) string {
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	if len(lines) == 0 {
		return "no output"
	}
	return strings.Join(lines, " | ")
}
