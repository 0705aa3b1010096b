package prepare

// Real files for the tests, made or fetched once per test binary; see testdata/README.md for
// where each comes from. Nothing fetched is committed.

import (
	"bytes"
	"fmt"
	"image"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sightline/reader/demo/demotest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

var fixtures string // a folder for the whole test binary, removed at the end

func TestMain(m *testing.M) {
	var err error
	if fixtures, err = os.MkdirTemp("", "sightline-prepare-test-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(fixtures)
	demotest.Remove()
	os.Exit(code)
}

// once runs make the first time a fixture is asked for and keeps its answer, error included.
type once[T any] struct {
	o   sync.Once
	v   T
	err error
}

func (o *once[T]) get(t testing.TB, make func() (T, error)) T {
	t.Helper()
	o.o.Do(func() { o.v, o.err = make() })
	if o.err != nil {
		t.Fatal(o.err)
	}
	return o.v
}

var libOnce once[string]

// libraryTestdata is suyashkumar/dicom's testdata folder (its data_details.md says where each
// file comes from).
func libraryTestdata(t testing.TB) string {
	return libOnce.get(t, func() (string, error) {
		out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/suyashkumar/dicom").Output()
		if err != nil {
			return "", fmt.Errorf("locating github.com/suyashkumar/dicom: %v", err)
		}
		dir := strings.TrimSpace(string(out))
		if dir == "" {
			return "", fmt.Errorf("github.com/suyashkumar/dicom has no module directory (go mod download it)")
		}
		return filepath.Join(dir, "testdata"), nil
	})
}

var pydicomOnce once[string]

// pydicomFiles is the test_files folder of Debian's python3-pydicom package, extracted from
// the .deb: SIGHTLINE_PYDICOM_DEB names a downloaded one, else `apt-get download` fetches it.
func pydicomFiles(t testing.TB) string {
	return pydicomOnce.get(t, func() (string, error) {
		dir := filepath.Join(fixtures, "pydicom")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", err
		}
		deb := os.Getenv("SIGHTLINE_PYDICOM_DEB")
		if deb == "" {
			cmd := exec.Command("apt-get", "download", "python3-pydicom")
			cmd.Dir = dir
			if out, err := cmd.CombinedOutput(); err != nil {
				return "", fmt.Errorf("the tests use the DICOM files in Debian's python3-pydicom package, and "+
					"`apt-get download python3-pydicom` failed: %v\n%s\nFetch it beforehand and point the tests at it:\n"+
					"  mkdir -p .cache && (cd .cache && apt-get download python3-pydicom)\n"+
					"  SIGHTLINE_PYDICOM_DEB=$(ls $PWD/.cache/python3-pydicom_*.deb) go test ./reader/prepare/", err, out)
			}
			debs, _ := filepath.Glob(filepath.Join(dir, "python3-pydicom_*.deb"))
			if len(debs) != 1 {
				return "", fmt.Errorf("apt-get download python3-pydicom left %d .deb files in %s", len(debs), dir)
			}
			deb = debs[0]
		}
		x := filepath.Join(dir, "x")
		if out, err := exec.Command("dpkg", "-x", deb, x).CombinedOutput(); err != nil {
			return "", fmt.Errorf("dpkg -x %s: %v\n%s", deb, err, out)
		}
		files := filepath.Join(x, "usr", "lib", "python3", "dist-packages", "pydicom", "data", "test_files")
		if _, err := os.Stat(filepath.Join(files, "CT_small.dcm")); err != nil {
			return "", fmt.Errorf("python3-pydicom's test files are not where expected: %v", err)
		}
		return files, nil
	})
}

// runTool runs a program the tests need (dcmtk, GDCM), failing with what to install.
func runTool(t testing.TB, name string, args ...string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s is needed for this test: install dcmtk and libgdcm-tools (make deps-test): %v", name, err)
	}
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

// dcm2pnm renders path with dcmtk as an 8-bit PGM: the reference rendering. It runs dcmj2pnm,
// which is dcm2pnm with dcmtk's JPEG decoders (Debian's dcm2pnm refuses JPEG files).
func dcm2pnm(t testing.TB, path string, args ...string) *image.Gray {
	t.Helper()
	out := filepath.Join(t.TempDir(), "ref.pgm")
	runTool(t, "dcmj2pnm", append(append(args, "+op"), path, out)...)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var fields []string
	rest := b
	for len(fields) < 4 {
		rest = bytes.TrimLeft(rest, " \t\r\n")
		end := bytes.IndexAny(rest, " \t\r\n")
		if end < 0 {
			t.Fatalf("dcmj2pnm output has no PGM header")
		}
		fields, rest = append(fields, string(rest[:end])), rest[end:]
	}
	w, errW := strconv.Atoi(fields[1])
	h, errH := strconv.Atoi(fields[2])
	if fields[0] != "P5" || fields[3] != "255" || errW != nil || errH != nil || len(rest[1:]) != w*h {
		t.Fatalf("dcmj2pnm output is not an 8-bit binary PGM: header %q", fields)
	}
	return &image.Gray{Pix: rest[1:], Stride: w, Rect: image.Rect(0, 0, w, h)}
}

// diff is the mean and largest absolute difference of two images of one size.
func diff(t testing.TB, got, ref *image.Gray) (mean float64, worst int) {
	t.Helper()
	if got.Bounds() != ref.Bounds() {
		t.Fatalf("size %v, reference %v", got.Bounds(), ref.Bounds())
	}
	sum := 0
	for y := 0; y < got.Rect.Dy(); y++ {
		g := got.Pix[y*got.Stride : y*got.Stride+got.Rect.Dx()]
		r := ref.Pix[y*ref.Stride:]
		for x, v := range g {
			d := int(v) - int(r[x])
			sum += max(d, -d)
			worst = max(worst, max(d, -d))
		}
	}
	return float64(sum) / float64(got.Rect.Dx()*got.Rect.Dy()), worst
}

func copyFile(t testing.TB, src, dst string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
