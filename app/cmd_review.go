package app

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"sightline/internal/progress"
	"sightline/reader/qareport"
	"sightline/reader/qavideo"
	"sightline/reader/review"
	"sightline/reader/study"
)

// reviewCommand is `sightline review STUDY`: the QA review of the study's recorded sessions.
// --report and --video write without a window.
func reviewCommand(o *Options) *cobra.Command {
	var report, video, sessionID, store, reviewer string
	var width, fps int
	var verify bool
	cmd := &cobra.Command{
		Use:   "review STUDY [--reviewer NAME] [--session ID] [--report DIR] [--session ID --video DIR] [--store URL]",
		Short: "QA review of the recorded sessions: replay and verdicts in a window, the QA report (--report), review videos (--video)",
		Long: "Without --report or --video, opens the review window: the study's sessions, each case replayed with\n" +
			"its image, fixations, gaze and dictation, a checklist pre-filled from its measurements and a verdict\n" +
			"(pass, fail, re-read, a note) stored with --reviewer (default: the login name) and the time. A change\n" +
			"of verdict is a new row; nothing is overwritten. --session ID opens that session at once.\n\n" +
			"--report DIR writes the QA report without a window: DIR/qa.csv (one row per case folder:\n" +
			"measurements, checklist, decision, reviewer, time, note) and DIR/index.html with a printable\n" +
			"page per session (a thumbnail and a heatmap per case, the problems listed first).\n\n" +
			"--session ID --video DIR writes one MP4 per case folder of session ID (H.264 + AAC through\n" +
			"ffmpeg), named after the folder (NN-<dicom_id>.mp4): the image as drawn, the fixations as\n" +
			"numbered circles sized by duration with a fading scanpath, the gaze point, a time bar, and the\n" +
			"dictation placed on the session clock. A case without audio gets a silent track and says so.\n\n" +
			"--verify-store recomputes the review store's hash chain (every history row carries the hash\n" +
			"of the rows before it) and names the first row that breaks it; it only reads.\n\n" +
			"Verdicts are read from the review store: STUDY/review.db, or --store (a SQLite file,\n" +
			"postgres://USER@HOST:PORT/DB or a keyword/value DSN). A store this user cannot write is\n" +
			"opened read-only: the window and the report work, verdicts cannot be saved.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			studyDir := args[0]
			if video != "" && sessionID == "" {
				return errors.New("review: --video needs --session ID (the session folder's name under STUDY/sessions)")
			}
			if verify {
				return verifyStore(cmd.Context(), o, studyDir, store)
			}
			// Before anything is opened or written: a folder that is not a study got an empty
			// window (and a review.db in it), or an empty report and exit 0.
			if err := study.Check(studyDir); err != nil {
				return fmt.Errorf("review: %w", err)
			}
			if report == "" && video == "" {
				return runReviewWindow(studyDir, reviewer, store, sessionID)
			}
			ctx := cmd.Context()
			if report != "" {
				if err := writeReport(ctx, o, studyDir, report, store); err != nil {
					return err
				}
			}
			if video != "" {
				return writeVideos(ctx, o, studyDir, sessionID, video, qavideo.Options{Width: width, FPS: fps})
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&report, "report", "", "write the QA report (qa.csv and HTML pages) into DIR, without a window")
	f.StringVar(&video, "video", "", "write one MP4 per case of --session into DIR, without a window")
	f.StringVar(&sessionID, "session", "", "the session to open, or to write videos of (its folder name under STUDY/sessions)")
	f.StringVar(&reviewer, "reviewer", "", "who reviews (stored with every verdict; default: the login name)")
	f.StringVar(&store, "store", "", "the review store: a SQLite file or postgres://USER@HOST:PORT/DB (default STUDY/review.db)")
	f.BoolVar(&verify, "verify-store", false, "recompute the review store's hash chain and name the first row that breaks it")
	f.IntVar(&width, "video-width", qavideo.DefaultWidth, "the videos' width in pixels (even)")
	f.IntVar(&fps, "video-fps", qavideo.DefaultFPS, "the videos' frames per second")
	return cmd
}

// writeReport writes the QA report; the verdicts come from the store when there is one (a
// study nobody reviewed yet has no review.db, and the report does not make one).
func writeReport(ctx context.Context, o *Options, studyDir, out, store string) error {
	opt := qareport.Options{}
	// The report only reads: it never waits on a writer, works on a study it cannot write,
	// and makes no store in a study nobody reviewed yet.
	st, err := review.OpenExisting(ctx, studyDir, store, storeOptions(o, true))
	if err != nil {
		return err // it names the store
	}
	if st != nil {
		defer st.Close()
		rep, err := opt.FromStore(ctx, st)
		if err != nil {
			return err
		}
		if !rep.OK() {
			fmt.Fprintf(o.Err, "sightline: %s: %s\n", st.Location(), rep)
		}
	}
	n := 0
	if progress.IsTerminal(o.Err) {
		opt.Progress = func(string, string) {
			n++
			fmt.Fprintf(o.Err, "\rreport: %d case(s)\x1b[K", n)
		}
	}
	sum, err := qareport.Write(ctx, studyDir, out, opt)
	if n > 0 {
		fmt.Fprintln(o.Err)
	}
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	fmt.Fprintf(o.Out, "wrote the QA report of %d session(s), %d case folder(s) (%d with problems, %d decided) to %s\n",
		sum.Sessions, sum.Cases, sum.Faulty, sum.Decided, filepath.Join(out, qareport.IndexFile))
	for _, u := range sum.Unreadable {
		fmt.Fprintf(o.Err, "sightline: session %s\n", u)
	}
	return nil
}

// verifyStore is `review STUDY --verify-store`: it recomputes the hash chain of every history
// table, and fails naming the first row of each table that breaks it.
func verifyStore(ctx context.Context, o *Options, studyDir, store string) error {
	if store == "" {
		store = studyDir
	}
	st, err := review.Open(ctx, store, storeOptions(o, true))
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := review.VerifyChain(ctx, st)
	if err != nil {
		return err
	}
	switch {
	case rep.Unchained:
		return fmt.Errorf("verify %s: %s", st.Location(), rep)
	case len(rep.Breaks) > 0:
		for _, b := range rep.Breaks {
			fmt.Fprintf(o.Err, "sightline: %s: chain broken at %s\n", st.Location(), b)
		}
		return fmt.Errorf("verify %s: the history was changed around the store (%d table(s) broken, named above)", st.Location(), len(rep.Breaks))
	}
	fmt.Fprintf(o.Out, "%s: %s, %d of them carrying a hash\n", st.Location(), rep, rep.Chained)
	return nil
}

// writeVideos writes the session's videos; a case that fails is named and the others are
// written, and the command fails at the end.
func writeVideos(ctx context.Context, o *Options, studyDir, id, out string, opt qavideo.Options) error {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		return errors.New("video: ffmpeg is not installed (Debian: apt-get install ffmpeg)")
	}
	start := time.Now()
	var video time.Duration
	failed := 0
	vs, sess, err := qavideo.WriteSession(ctx, study.SessionDir(studyDir, id), qavideo.NewImages(studyDir), out, opt,
		func(v qavideo.CaseVideo) {
			if v.Err != nil {
				failed++
				fmt.Fprintf(o.Err, "sightline: %s: no video: %v\n", v.Case, v.Err)
				return
			}
			video += v.Duration
			fmt.Fprintln(o.Out, v.Line())
		})
	if err != nil {
		return fmt.Errorf("video of session %s: %w", id, err)
	}
	for _, p := range sess.Problems {
		fmt.Fprintf(o.Err, "sightline: session %s: %s\n", id, p)
	}
	fmt.Fprintf(o.Out, "wrote %d video(s), %.1f s, in %.1f s to %s\n", len(vs)-failed, video.Seconds(), time.Since(start).Seconds(), out)
	if failed > 0 {
		return fmt.Errorf("video: %d of %d case(s) have no video (named above)", failed, len(vs))
	}
	return nil
}
