package app

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"sightline/reader/transcribe"
)

// transcribeCommand is `sightline transcribe STUDY`: draft transcripts of the recorded
// dictations, or (--align) new times for every transcript's own words.
func transcribeCommand(o *Options) *cobra.Command {
	var (
		sessionID, caseID, store string
		align                    bool
		cfg                      transcribe.Config
	)
	cmd := &cobra.Command{
		Use:   "transcribe STUDY [--session ID] [--case DICOM_ID] [--align]",
		Short: "write draft transcripts of the dictations (offline speech to text), or re-time transcripts (--align)",
		Long: "For every case with a dictation (STUDY/sessions/*/cases/*/audio.wav) writes a draft transcript.json in\n" +
			"the EGD-CXR form (one word a phrase, times in seconds) and transcript_raw.json (the recogniser's words,\n" +
			"times and confidences, the engine and model). A transcript.json corrected since its draft (or not\n" +
			"written by transcribe, or corrected in the review store) is never replaced.\n\n" +
			"--align keeps every transcript's words and recomputes their times by forced alignment against the\n" +
			"audio; words it cannot place keep interpolated times, marked approximate in transcript_raw.json.\n\n" +
			"The default engine is pocketsphinx with Sightline's radiology language model (offline; apt-get install\n" +
			"pocketsphinx pocketsphinx-en-us). --engine whisper uses a whisper.cpp program on PATH and its model.\n" +
			"A case that cannot be transcribed is named with the reason and the others go on.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTranscribe(cmd.Context(), o, args[0], sessionID, caseID, store, align, cfg)
		},
	}
	f := cmd.Flags()
	f.StringVar(&sessionID, "session", "", "only this session (its folder name under STUDY/sessions)")
	f.StringVar(&caseID, "case", "", "only this case (its dicom_id)")
	f.BoolVar(&align, "align", false, "re-time each case's transcript.json from its own text (forced alignment)")
	f.StringVar(&cfg.Engine, "engine", transcribe.EnginePocketSphinx, "recogniser: pocketsphinx, whisper (whisper.cpp) or cloud (not built)")
	f.StringVar(&cfg.WhisperBin, "whisper-bin", "", "whisper.cpp program (default: whisper-cli or whisper-cpp on PATH)")
	f.StringVar(&cfg.WhisperModel, "whisper-model", "", "whisper.cpp model file (default $"+transcribe.WhisperModelEnv+")")
	f.StringVar(&cfg.CloudURL, "cloud-url", "", "a cloud recogniser's endpoint: dictations leave the machine only when this is set")
	f.DurationVar(&cfg.Timeout, "timeout", 0, "kill a recogniser run after this long (default 60 s + 4 × the audio's length)")
	f.StringVar(&store, "store", "", "the review store consulted for corrections: a SQLite file or postgres://… (default STUDY/review.db when it exists)")
	return cmd
}

func runTranscribe(ctx context.Context, o *Options, studyDir, sessionID, caseID, store string, align bool, cfg transcribe.Config) error {
	if ctx == nil {
		ctx = context.Background()
	}
	cases, err := transcribe.Cases(studyDir, sessionID, caseID, func(why string) { fmt.Fprintln(o.Err, "sightline:", why) })
	if err != nil {
		return err
	}
	if len(cases) == 0 {
		return transcribe.NoCasesError(studyDir, caseID)
	}
	b, err := transcribe.NewBatch(ctx, studyDir, transcribe.BatchOptions{Align: align, Config: cfg, Store: store,
		StoreOptions: storeOptions(o, true), Log: func(msg string) { fmt.Fprintln(o.Out, msg) }})
	if err != nil {
		return err
	}
	defer b.Close()
	verb, done := "transcribing", "transcribed"
	if align {
		verb, done = "aligning", "aligned"
	}
	fmt.Fprintf(o.Out, "%s %d case(s) with %s (%s)\n", verb, len(cases), b.Engine().Name(), b.Engine().Model())
	tally, err := b.Run(ctx, cases, func(r transcribe.CaseResult) {
		w := o.Out
		if r.Failed() {
			w = o.Err
		}
		fmt.Fprintf(w, "[%d/%d] %s: %s\n", r.Index, r.Total, r.Name(), r.Line(align))
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(o.Out, "done: %s\n", tally)
	if n := tally.Failed(); n > 0 {
		return fmt.Errorf("%d of %d case(s) could not be %s (named above)", n, len(cases), done)
	}
	return nil
}
