package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"sightline/reader/study"
	"sightline/reader/transcribe"
	"sightline/reader/wav"
)

// enrollCommand is `sightline enroll STUDY --reader NAME RECORDINGS`: a reader's speaker
// enrollment, the acoustic model adapted to their voice from the enrollment script read aloud.
func enrollCommand(o *Options) *cobra.Command {
	var (
		reader string
		script bool
	)
	cmd := &cobra.Command{
		Use:   "enroll STUDY --reader NAME RECORDINGS | enroll --script",
		Short: "adapt the recogniser to a reader's voice from their reading of the enrollment script",
		Long: "A reader reads the enrollment script (sightline enroll --script prints it: 60 report sentences) aloud\n" +
			"once, one WAV per line named by its number (01.wav … 60.wav, any rate; lines not recorded are left\n" +
			"out, at least " + fmt.Sprint(minEnrollRecordings) + " are needed). enroll copies the recordings to STUDY/readers/NAME/enrollment/ and\n" +
			"adapts the recogniser's acoustic model to that voice (sphinxtrain: MAP adaptation) into\n" +
			"STUDY/readers/NAME/acoustic/; sightline transcribe then decodes that reader's sessions with it.\n" +
			"Run again to redo it (the model is replaced whole). Needs sphinxtrain and sphinxbase-utils.",
		Args: func(cmd *cobra.Command, args []string) error {
			if script {
				return cobra.NoArgs(cmd, args)
			}
			return cobra.ExactArgs(2)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if script {
				for i, s := range transcribe.EnrollmentScript() {
					fmt.Fprintf(o.Out, "%02d %s\n", i+1, strings.Join(s, " "))
				}
				return nil
			}
			return runEnroll(cmd.Context(), o, args[0], reader, args[1])
		},
	}
	cmd.Flags().StringVar(&reader, "reader", "", "the reader enrolled (as named in their sessions)")
	cmd.Flags().BoolVar(&script, "script", false, "print the enrollment script, one numbered line each")
	return cmd
}

// minEnrollRecordings is the fewest script lines an enrollment takes: fewer say too little
// about a voice to move a model that was trained on hundreds of hours.
const minEnrollRecordings = 20

func runEnroll(ctx context.Context, o *Options, studyDir, reader, recDir string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if reader == "" {
		return errors.New("enroll: name the reader (--reader NAME)")
	}
	if fi, err := os.Stat(studyDir); err != nil || !fi.IsDir() {
		return fmt.Errorf("enroll: %s is not a study folder", studyDir)
	}
	enrollDir, err := study.EnrollmentDir(studyDir, reader)
	if err != nil {
		return err
	}
	acoustic, err := study.AcousticDir(studyDir, reader)
	if err != nil {
		return err
	}
	tools, err := transcribe.FindAdaptTools()
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(transcribe.SphinxHMM, "mdef")); err != nil {
		return &transcribe.NotInstalledError{Engine: "pocketsphinx's acoustic model", Install: transcribe.SphinxInstall}
	}
	recs, err := enrollRecordings(recDir, enrollDir)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.Out, "adapting the acoustic model to %s from %d recorded line(s) of the enrollment script\n", reader, len(recs))
	a, err := transcribe.Adapt(ctx, tools, transcribe.SphinxHMM, recs, reader, acoustic, time.Now())
	if err != nil {
		return fmt.Errorf("enroll %s: %w", reader, err)
	}
	fmt.Fprintf(o.Out, "done: %s (%s, %d words, %.0f s of recordings) in %s; sightline transcribe uses it for %s's sessions\n",
		a.ID, a.Method, a.Words, a.AudioSeconds, acoustic, reader)
	return nil
}

// enrollRecordings finds the recordings of the script's lines in recDir (NN.wav, NNN.wav or
// N.wav for line N), copies them into the study's enrollment folder (in place of an earlier
// enrollment's) and returns them there.
func enrollRecordings(recDir, enrollDir string) ([]transcribe.Recording, error) {
	script := transcribe.EnrollmentScript()
	src := map[int]string{}
	for i := range script {
		for _, name := range []string{fmt.Sprintf("%02d.wav", i+1), fmt.Sprintf("%03d.wav", i+1), fmt.Sprintf("%d.wav", i+1)} {
			if p := filepath.Join(recDir, name); fileOK(p) {
				src[i] = p
				break
			}
		}
	}
	if len(src) < minEnrollRecordings {
		return nil, fmt.Errorf("%s: %d of the %d script lines recorded (NN.wav for line NN), want at least %d", recDir, len(src), len(script), minEnrollRecordings)
	}
	for _, p := range src { // a bad file is refused before an earlier enrollment's recordings are replaced
		if _, err := wav.Inspect(p); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
	}
	if err := os.MkdirAll(enrollDir, 0o755); err != nil {
		return nil, fmt.Errorf("enrollment folder: %w", err)
	}
	old, _ := filepath.Glob(filepath.Join(enrollDir, "*.wav"))
	var recs []transcribe.Recording
	for i, words := range script {
		p, ok := src[i]
		if !ok {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		dst := filepath.Join(enrollDir, fmt.Sprintf("%02d.wav", i+1))
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			return nil, fmt.Errorf("copy %s: %w", p, err)
		}
		recs = append(recs, transcribe.Recording{Audio: dst, Words: words})
	}
	for _, o := range old {
		if !slices.ContainsFunc(recs, func(r transcribe.Recording) bool { return r.Audio == o }) {
			os.Remove(o) // a line the earlier enrollment had and this one has not
		}
	}
	return recs, nil
}

func fileOK(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}
