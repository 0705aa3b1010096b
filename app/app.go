// Package app is Sightline's composition root: the command line, configuration, and the wiring
// of studies, devices and recorders to the views.
package app

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/spf13/cobra"

	"sightline/app/earlylog"
	"sightline/reader/demo"
	"sightline/tracker"
)

// Options are the station's settings from the command line.
type Options struct {
	Study        string
	Fullscreen   bool
	Seed         int64
	SeedSet      bool
	CalibEvery   int
	Reader       string
	TrackerSpec  string
	Rate         float64
	RecalEvery   int
	DistanceCM   float64
	ScreenInch   float64
	Resume       string
	NewSession   bool // start a new session even where the reader has one to continue
	Operator     string
	CPUProfile   string
	Session      int
	Audio        string
	AudioBackend string
	noAudioWhy   string // why the session is gaze only, for the session record
	audioSet     bool   // --audio was given: it wins over the saved Settings
	readerSet    bool   // --reader was given: no asking who reads
	monitorOK    bool   // the operator agreed to record from a default source that is a monitor
	demo         bool   // reading the demo study: a monitor as the only sound input means gaze only, unasked
	live         *live  // the window's session on show, ended when the window's loop returns
	Out          io.Writer
	Err          io.Writer
}

// The standard logger speaks again once Fyne has initialised (this package's dependencies,
// Fyne's included, are initialised before it): see earlylog.
func init() { earlylog.Restore() }

// Main runs the command line and returns the process exit status.
func Main(args []string) int {
	cmd := Command()
	cmd.SetArgs(args)
	defer pprof.StopCPUProfile() // no-op unless --cpuprofile started one
	if err := cmd.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "sightline:", err)
		return 1
	}
	return 0
}

// viewing is the reader's viewing geometry from the options (docs/FORMATS.md §4 defaults).
func (o *Options) viewing() tracker.Viewing {
	v := tracker.PaperViewing()
	if o.DistanceCM > 0 {
		v.DistanceCM = o.DistanceCM
	}
	if o.ScreenInch > 0 {
		v.DiagonalInch = o.ScreenInch
	}
	return v
}

// Command builds the sightline command tree.
func Command() *cobra.Command {
	o := &Options{Out: os.Stdout, Err: os.Stderr}
	root := &cobra.Command{
		Use:          "sightline",
		Short:        "Sightline: a reading station for chest X-ray eye-tracking studies",
		Long:         "With no arguments, opens the station's start screen.",
		SilenceUsage: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			o.audioSet = cmd.Flags().Changed("audio")
			o.readerSet = cmd.Flags().Changed("reader")
			return startProfile(o.CPUProfile)
		},
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.SeedSet = cmd.Flags().Changed("seed")
			return runGUI(o, "")
		},
	}
	stationFlags(root, o)
	root.AddCommand(demoCommand(o), readCommand(o), gazesimCommand(o), prepareCommand(o), exportCommand(o), importCommand(o),
		analyzeCommand(o), heatmapCommand(o), metricsCommand(o))
	root.AddCommand(boxesCommand(o))
	root.AddCommand(transcribeCommand(o), enrollCommand(o))
	root.AddCommand(reviewCommand(o))
	return root
}

// startProfile starts the CPU profile --cpuprofile asks for ("": none).
func startProfile(path string) error {
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		return fmt.Errorf("--cpuprofile: %w", err)
	}
	// A profiled station is often stopped with a signal: finish the profile first.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-sig
		if guiSignals.Load() {
			return // the station ends its session, then returns through Main
		}
		pprof.StopCPUProfile()
		f.Close()
		os.Exit(130)
	}()
	return nil
}

// stationFlags are the station's flags, every command's.
func stationFlags(root *cobra.Command, o *Options) {
	pf := root.PersistentFlags()
	pf.BoolVar(&o.Fullscreen, "fullscreen", false, "read full screen (otherwise a 1920×1080 window)")
	pf.Int64Var(&o.Seed, "seed", 0, "seed of the blinded order (default: from the clock; a prepared study's plan brings its own; always recorded)")
	pf.IntVar(&o.CalibEvery, "calibration-every", 20, "insert a calibration screen about every N cases")
	pf.StringVar(&o.Reader, "reader", "reader1", "reader id recorded with the session")
	pf.StringVar(&o.TrackerSpec, "tracker", "", "gaze source: mouse, sim, opengaze://HOST:PORT or replay:EYE_GAZE.CSV (default: sim for demo, opengaze://127.0.0.1:4242 otherwise)")
	pf.Float64Var(&o.Rate, "rate", 60, "sampling rate of the mouse tracker and the simulator, Hz (a real tracker reports its own)")
	pf.IntVar(&o.RecalEvery, "recalibrate-every", 25, "suggest recalibrating after this many cases (0: never)")
	pf.Float64Var(&o.DistanceCM, "viewing-distance", 71, "eye-to-screen distance, cm (for degrees of visual angle)")
	pf.Float64Var(&o.ScreenInch, "screen-inch", 27, "monitor diagonal, inches")
	pf.StringVar(&o.Audio, "audio", "", `microphone: "" the default device, a name (substring) or "none" for gaze only`)
	pf.StringVar(&o.AudioBackend, "audio-backend", "", "audio backend: pulse, alsa or null (default: pulse, then alsa)")
	pf.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile (go tool pprof) to this file")
	pf.StringVar(&o.Operator, "operator", "window", "operator console: window (a second window) or none")
	pf.BoolVar(&o.NewSession, "new-session", false, "start a new session rather than continue the reader's ended one; a study without plans then offers every case again")
	pf.StringVar(&o.Resume, "resume", "ask", "an interrupted session of the study: ask, yes (resume it) or no (start a new one)")
}

// demoCommand is `sightline demo`.
func demoCommand(o *Options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "write the demo study (if not there yet) and start reading it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.SeedSet = cmd.Flags().Changed("seed")
			if o.Study == "" {
				o.Study = demo.DefaultDir()
			}
			if o.TrackerSpec == "" {
				o.TrackerSpec = "sim"
			}
			if err := checkDisplay(); err != nil { // before writing the demo study
				return err
			}
			if err := ensureDemo(o.Study, o.Err); err != nil {
				return err
			}
			o.demo = true
			return runGUI(o, o.Study)
		},
	}
	cmd.Flags().StringVar(&o.Study, "study", "", "study folder (default: "+demo.DefaultDir()+")")
	return cmd
}

// readCommand is `sightline read STUDY`.
func readCommand(o *Options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "read STUDY",
		Short: "read a study folder (master_sheet.csv + DICOMs), recording under STUDY/sessions/",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.SeedSet = cmd.Flags().Changed("seed")
			o.Study = args[0]
			return runGUI(o, o.Study)
		},
	}
	cmd.Flags().IntVar(&o.Session, "session", 0, "session of the reader's plan (a prepared study: STUDY/plans/<reader>.json); default: the first not yet complete")
	return cmd
}

// gazesimCommand is `sightline gazesim`.
func gazesimCommand(o *Options) *cobra.Command {
	var listen, simStudy string
	var simNoCal bool
	cmd := &cobra.Command{
		Use:   "gazesim",
		Short: "run the Gazepoint simulator: an Open Gaze API server on TCP",
		Long: "Serves the Open Gaze API like a GP3 (60 Hz) or GP3 HD (150 Hz) until interrupted. With --study,\n" +
			"gaze follows each case's anatomy once the station's SCREEN markers name it.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSim(cmd.Context(), o, listen, simStudy, simNoCal)
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:4242", "address to listen on")
	cmd.Flags().StringVar(&simStudy, "study", "", "study folder whose cases the simulated reader looks at")
	cmd.Flags().BoolVar(&simNoCal, "no-calibration", false, "a device that never calibrates: CALIBRATE_START is acknowledged, no calibration point follows")
	return cmd
}

func logger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}
