// Package app is Sightline's composition root: the command line, configuration, and the wiring
// of studies, devices and recorders to the views.
package app

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
)

// Options are the station's settings from the command line.
type Options struct {
	Study       string
	Fullscreen  bool
	Seed        int64
	SeedSet     bool
	CalibEvery  int
	Reader      string
	TrackerSpec string
	Rate        float64
	Out         io.Writer
	Err         io.Writer
}

// Main runs the command line and returns the process exit status.
func Main(args []string) int {
	cmd := Command()
	cmd.SetArgs(args)
	if err := cmd.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "sightline:", err)
		return 1
	}
	return 0
}

// DefaultDemoDir is where `sightline demo` keeps the demo study unless told otherwise.
func DefaultDemoDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "sightline", "demo")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "share", "sightline", "demo")
	}
	return filepath.Join(os.TempDir(), "sightline-demo")
}

// Command builds the sightline command tree.
func Command() *cobra.Command {
	o := &Options{Out: os.Stdout, Err: os.Stderr}
	root := &cobra.Command{
		Use:           "sightline",
		Short:         "Sightline: a reading station for chest X-ray eye-tracking studies",
		Long:          "With no arguments, opens the station's start screen.",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.SeedSet = cmd.Flags().Changed("seed")
			return runGUI(o, "")
		},
	}
	pf := root.PersistentFlags()
	pf.BoolVar(&o.Fullscreen, "fullscreen", false, "read full screen (otherwise a 1920×1080 window)")
	pf.Int64Var(&o.Seed, "seed", 0, "seed of the blinded order (default: from the clock; always recorded)")
	pf.IntVar(&o.CalibEvery, "calibration-every", 20, "insert a calibration screen about every N cases")
	pf.StringVar(&o.Reader, "reader", "reader1", "reader id recorded with the session")
	pf.StringVar(&o.TrackerSpec, "tracker", "mouse", "gaze source: mouse (mouse-as-gaze)")
	pf.Float64Var(&o.Rate, "rate", 60, "sampling rate of the mouse-as-gaze tracker, Hz")

	demoCmd := &cobra.Command{
		Use:   "demo",
		Short: "write the demo study (if not there yet) and start reading it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.SeedSet = cmd.Flags().Changed("seed")
			if o.Study == "" {
				o.Study = DefaultDemoDir()
			}
			if err := ensureDemo(o.Study, o.Err); err != nil {
				return err
			}
			return runGUI(o, o.Study)
		},
	}
	demoCmd.Flags().StringVar(&o.Study, "study", "", "study folder (default: "+DefaultDemoDir()+")")

	readCmd := &cobra.Command{
		Use:   "read STUDY",
		Short: "read a study folder (master_sheet.csv + DICOMs), recording under STUDY/sessions/",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.SeedSet = cmd.Flags().Changed("seed")
			o.Study = args[0]
			return runGUI(o, o.Study)
		},
	}
	root.AddCommand(demoCmd, readCmd)
	return root
}

func logger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}
