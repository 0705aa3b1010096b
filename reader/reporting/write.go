package reporting

import (
	"fmt"
	"path/filepath"
	"runtime"
	"runtime/debug"

	"sightline/reader/analysis"
	"sightline/reader/atomicfile"
	"sightline/reader/study"
	"sightline/tracker"
)

// Write writes reporting.md into out, beside the analysis rep of dataset dir: the guideline's
// items filled in from the dataset, the analysis (its viewing geometry and nominal rate; the
// paper's and 60 Hz when not given) and this program's build.
func Write(dir, out string, rep *analysis.Report, viewing tracker.Viewing, rate float64) error {
	s, err := study.Load(dir)
	if err != nil {
		return fmt.Errorf("analysis: %w", err)
	}
	in := Input{Dataset: filepath.Base(filepath.Clean(dir)), Study: s, Report: rep,
		Viewing: viewing, Rate: rate, Software: Software()}
	if in.Viewing == (tracker.Viewing{}) {
		in.Viewing = tracker.PaperViewing()
	}
	if in.Rate == 0 {
		in.Rate = 60
	}
	if err := Load(dir, &in); err != nil {
		return err
	}
	return atomicfile.WriteBytes(filepath.Join(out, File), []byte(Markdown(in)))
}

// Software names this program's build: its module version and commit when the build recorded
// them, and the Go release.
func Software() []string {
	v := "sightline (version not recorded in this build)"
	if bi, ok := debug.ReadBuildInfo(); ok {
		v = "sightline " + bi.Main.Version
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				v += ", commit " + s.Value
			}
		}
	}
	return []string{v, "Go " + runtime.Version()}
}
