//go:build ignore

// gen writes the benchmark's input: the demo study's twelve phantoms (reader/demo: MIMIC-size
// radiographs, 12–16 bits, MONOCHROME1, signed, JPEG baseline, …) and suyashkumar/dicom's 4.dcm
// (a real 2140×1760 CR), each copied -copies times under its own dicom_id, and a worklist over
// them. Run from the repository: go run bench/prepare/gen.go -out DIR -copies N
package main

import (
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"sightline/reader/demo"
)

func main() {
	out := flag.String("out", "", "folder to write (the DICOM root; worklist.csv inside)")
	copies := flag.Int("copies", 4, "copies of each source file")
	flag.Parse()
	if *out == "" {
		log.Fatal("gen: -out is needed")
	}
	src := filepath.Join(*out, "src")
	cases, err := demo.Write(src)
	if err != nil {
		log.Fatal(err)
	}
	files := []string{}
	for _, c := range cases {
		files = append(files, filepath.Join(src, filepath.FromSlash(c.Path)))
	}
	mod, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/suyashkumar/dicom").Output()
	if err != nil {
		log.Fatalf("gen: locating github.com/suyashkumar/dicom: %v", err)
	}
	files = append(files, filepath.Join(strings.TrimSpace(string(mod)), "testdata", "4.dcm"))

	rows := [][]string{{"dicom_id", "path", "Normal", "CHF", "pneumonia"}}
	for k := 0; k < *copies; k++ {
		for i, f := range files {
			id := fmt.Sprintf("bench-%02d-%02d", k, i)
			rel := fmt.Sprintf("files/p%02d/%s.dcm", i, id)
			if err := copyFile(f, filepath.Join(*out, filepath.FromSlash(rel))); err != nil {
				log.Fatal(err)
			}
			rows = append(rows, []string{id, rel, "0", "0", "0"})
		}
	}
	w, err := os.Create(filepath.Join(*out, "worklist.csv"))
	if err != nil {
		log.Fatal(err)
	}
	cw := csv.NewWriter(w)
	cw.WriteAll(rows)
	if err := cw.Error(); err != nil {
		log.Fatal(err)
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d files in %s\n", len(rows)-1, *out)
}

func copyFile(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
