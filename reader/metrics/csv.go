package metrics

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"path/filepath"

	"sightline/reader/atomicfile"
	"sightline/reader/egd"
)

// num writes a number as pandas does (the shortest repr that round-trips); NaN is empty.
func num(x float64) string {
	if math.IsNaN(x) {
		return ""
	}
	return string(egd.AppendFloat(nil, x))
}

// sec writes a time in seconds rounded to the microsecond, so that sums of durations do not
// print float noise (0.09999999999999998).
func sec(x float64) string { return num(math.Round(x*1e6) / 1e6) }

func bit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// writeTable writes a CSV with its header, replacing path whole.
func writeTable(path string, header []string, rows [][]string) error {
	err := atomicfile.Write(path, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<16)
		cw := csv.NewWriter(bw)
		if err := cw.Write(header); err != nil {
			return err
		}
		if err := cw.WriteAll(rows); err != nil {
			return err
		}
		return bw.Flush()
	})
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return nil
}
