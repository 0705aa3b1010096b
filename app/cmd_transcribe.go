package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"sightline/reader/review"
	"sightline/reader/session"
	"sightline/reader/study"
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

// transcribeJob is one case to transcribe or align.
type transcribeJob struct {
	session string // the session folder's name
	reader  string // the session's reader
	c       *session.Case
}

func runTranscribe(ctx context.Context, o *Options, studyDir, sessionID, caseID, store string, align bool, cfg transcribe.Config) error {
	if ctx == nil {
		ctx = context.Background()
	}
	jobs, err := transcribeJobs(o, studyDir, sessionID, caseID)
	if err != nil {
		return err
	}
	if len(jobs) == 0 {
		return noCases(studyDir, caseID)
	}
	engines := &readerEngines{o: o, studyDir: studyDir, cfg: cfg, by: map[string]transcribe.Engine{}}
	defer engines.close()
	eng, err := engines.base()
	if err != nil {
		return err
	}
	corrected := map[[2]string]review.TranscriptEdit{}
	if !align {
		if corrected, err = storeCorrections(ctx, studyDir, store, storeOptions(o, true)); err != nil {
			return err
		}
	}
	verb := "transcribing"
	if align {
		verb = "aligning"
	}
	fmt.Fprintf(o.Out, "%s %d case(s) with %s (%s)\n", verb, len(jobs), eng.Name(), eng.Model())
	failed := 0
	counts := map[transcribe.Status]int{}
	for i, j := range jobs {
		r, err := transcribeJobRun(ctx, engines, j, corrected, align)
		if err != nil {
			return err
		}
		counts[r.Status]++
		line := fmt.Sprintf("[%d/%d] %s/%s: %s", i+1, len(jobs), j.session, j.c.Name, resultLine(r, align))
		if r.Status == transcribe.StatusFailed || r.Status == transcribe.StatusNotViable {
			failed++
			fmt.Fprintln(o.Err, line)
		} else {
			fmt.Fprintln(o.Out, line)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	fmt.Fprintf(o.Out, "done: %s\n", statusCounts(counts))
	if failed > 0 {
		return fmt.Errorf("%d of %d case(s) could not be %s (named above)", failed, len(jobs), map[bool]string{true: "aligned", false: "transcribed"}[align])
	}
	return nil
}

// noCases says there is nothing to transcribe: no recorded case (caseID: not that one).
func noCases(studyDir, caseID string) error {
	what := "no recorded cases"
	if caseID != "" {
		what = "no recorded case " + caseID
	}
	return fmt.Errorf("%s under %s", what, study.SessionsRoot(studyDir))
}

// statusCounts is the run's summary line: how many cases ended in each status, in a fixed order.
func statusCounts(counts map[transcribe.Status]int) string {
	var sum []string
	for _, s := range []transcribe.Status{transcribe.StatusWritten, transcribe.StatusKept, transcribe.StatusNoAudio,
		transcribe.StatusNoText, transcribe.StatusSilent, transcribe.StatusNoSpeech, transcribe.StatusFailed, transcribe.StatusNotViable} {
		if counts[s] > 0 {
			sum = append(sum, fmt.Sprintf("%d %s", counts[s], s))
		}
	}
	return strings.Join(sum, ", ")
}

// transcribeJobRun transcribes (or aligns) one case with its reader's engine, unless the
// review store records a correction of it.
func transcribeJobRun(ctx context.Context, engines *readerEngines, j transcribeJob, corrected map[[2]string]review.TranscriptEdit, align bool) (transcribe.Result, error) {
	e, inStore := corrected[[2]string{j.session, j.c.Screen.DicomID}]
	if !inStore {
		e, inStore = corrected[[2]string{j.session, j.c.Name}]
	}
	if inStore {
		return transcribe.Result{Status: transcribe.StatusKept, Notes: []string{fmt.Sprintf("corrected in the review store by %s at %s", e.Who, e.At.UTC().Format(time.RFC3339))}}, nil
	}
	eng, err := engines.of(j.reader)
	if err != nil {
		return transcribe.Result{}, err
	}
	if align {
		return transcribe.AlignCase(ctx, eng, j.c.Dir, time.Now()), nil
	}
	return transcribe.TranscribeCase(ctx, eng, j.c.Dir, time.Now()), nil
}

// resultLine is a case's result as its console line says it: the status, the words written,
// the error and the notes.
func resultLine(r transcribe.Result, align bool) string {
	line := string(r.Status)
	switch {
	case r.Status == transcribe.StatusWritten && align:
		line += fmt.Sprintf(" (%d words, %s", r.Words, r.Method)
		if r.Approx > 0 {
			line += fmt.Sprintf(", %d approximate", r.Approx)
		}
		line += ")"
	case r.Status == transcribe.StatusWritten:
		line += fmt.Sprintf(" (%d words)", r.Words)
	}
	if r.Err != nil {
		line += ": " + r.Err.Error()
	}
	for _, n := range r.Notes {
		line += "; " + n
	}
	return line
}

// transcribeJobs lists the study's recorded cases (calibration screens and sessions being
// recorded now left out), in session and reading order.
func transcribeJobs(o *Options, studyDir, sessionID, caseID string) ([]transcribeJob, error) {
	var dirs []string
	if sessionID != "" {
		dirs = []string{study.SessionDir(studyDir, sessionID)}
	} else {
		ids, err := study.SessionIDs(studyDir)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			dirs = append(dirs, study.SessionDir(studyDir, id))
		}
	}
	var jobs []transcribeJob
	for _, d := range dirs {
		op, err := session.Open(d)
		if err != nil {
			if sessionID != "" {
				return nil, err
			}
			fmt.Fprintf(o.Err, "sightline: %s: not a readable session (%v); left out\n", d, err)
			continue
		}
		if op.Live {
			// The station never waits on the recogniser: a session being recorded is
			// transcribed after.
			fmt.Fprintf(o.Err, "sightline: %s is being recorded now; transcribe it when it has ended\n", filepath.Base(d))
			continue
		}
		for _, c := range op.Cases {
			if c.Screen.Kind == session.KindCalibration || (caseID != "" && c.Screen.DicomID != caseID) {
				continue
			}
			jobs = append(jobs, transcribeJob{session: filepath.Base(d), reader: op.State.Reader, c: c})
		}
	}
	return jobs, nil
}

// storeCorrections are the cases whose transcripts the review store records a correction
// of, keyed by session and case (the case's dicom_id or folder name), latest last.
func storeCorrections(ctx context.Context, studyDir, store string, opt review.Options) (map[[2]string]review.TranscriptEdit, error) {
	out := map[[2]string]review.TranscriptEdit{}
	if store == "" {
		if _, err := os.Stat(filepath.Join(studyDir, "review.db")); err != nil {
			return out, nil // no store: the files say what is corrected
		}
		store = studyDir
	}
	st, err := review.Open(ctx, store, opt)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	edits, err := st.TranscriptEdits(ctx, "")
	if err != nil {
		return nil, err
	}
	for _, e := range edits {
		out[[2]string{e.Session, e.Case}] = e
	}
	return out, nil
}

// readerEngines opens one engine per reader: a reader enrolled in the study (sightline enroll)
// is decoded with the acoustic model adapted to them, everyone else with the base model.
type readerEngines struct {
	o        *Options
	studyDir string
	cfg      transcribe.Config
	baseEng  transcribe.Engine
	by       map[string]transcribe.Engine // nil: the reader is not enrolled
}

func (r *readerEngines) base() (transcribe.Engine, error) {
	if r.baseEng == nil {
		e, err := transcribe.New(r.cfg)
		if err != nil {
			return nil, err
		}
		r.baseEng = e
	}
	return r.baseEng, nil
}

// of is the engine for reader's sessions.
func (r *readerEngines) of(reader string) (transcribe.Engine, error) {
	if r.cfg.Engine != "" && r.cfg.Engine != transcribe.EnginePocketSphinx {
		return r.base() // adaptation is pocketsphinx's
	}
	e, seen := r.by[reader]
	if !seen {
		dir, err := study.AcousticDir(r.studyDir, reader)
		if err == nil && fileOK(filepath.Join(dir, transcribe.AdaptationFile)) {
			cfg := r.cfg
			cfg.Acoustic = dir
			if e, err = transcribe.New(cfg); err != nil {
				return nil, fmt.Errorf("reader %s's adapted model: %w", reader, err)
			}
			fmt.Fprintf(r.o.Out, "reader %s: enrolled, decoded with %s\n", reader, e.Model())
		}
		r.by[reader] = e
	}
	if e == nil {
		return r.base()
	}
	return e, nil
}

func (r *readerEngines) close() {
	for _, e := range r.by {
		if e != nil {
			transcribe.Close(e)
		}
	}
	if r.baseEng != nil {
		transcribe.Close(r.baseEng)
	}
}
