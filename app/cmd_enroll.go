package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"sightline/reader/transcribe"
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
			"out, at least " + fmt.Sprint(transcribe.MinEnrollRecordings) + " are needed). enroll copies the recordings to STUDY/readers/NAME/enrollment/ and\n" +
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

func runEnroll(ctx context.Context, o *Options, studyDir, reader, recDir string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	a, acoustic, err := transcribe.Enroll(ctx, studyDir, reader, recDir, func(lines int) {
		fmt.Fprintf(o.Out, "adapting the acoustic model to %s from %d recorded line(s) of the enrollment script\n", reader, lines)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(o.Out, "done: %s (%s, %d words, %.0f s of recordings) in %s; sightline transcribe uses it for %s's sessions\n",
		a.ID, a.Method, a.Words, a.AudioSeconds, acoustic, reader)
	return nil
}
