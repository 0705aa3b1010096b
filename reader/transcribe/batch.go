package transcribe

import (
	"context"
	"fmt"
	"strings"
	"time"

	"sightline/reader/review"
	"sightline/reader/session"
	"sightline/reader/study"
)

// A batch transcribes (or aligns) a study's recorded cases one after the other, each with its
// reader's engine, keeping every case the review store records a correction of. The
// transcribe command prints its results; the station's background drafts run the same code.

// Case is one recorded case to transcribe.
type Case struct {
	Session string        // the session folder's name
	Reader  string        // the session's reader, whose engine decodes it
	Case    *session.Case // the case folder as session.Open reads it
}

// Name is the case as the console names it: its session and case folder.
func (c Case) Name() string { return c.Session + "/" + c.Case.Name }

// Cases lists the study's recorded cases in session and reading order: sessionID "" for every
// session, caseID "" for every case (otherwise the cases with that dicom_id). Calibration
// screens and sessions being recorded now are left out; skipped is told each session left out
// and why (nil: not told). A named session that cannot be read is an error.
func Cases(studyDir, sessionID, caseID string, skipped func(why string)) ([]Case, error) {
	ids := []string{sessionID}
	if sessionID == "" {
		var err error
		if ids, err = study.SessionIDs(studyDir); err != nil {
			return nil, err
		}
	}
	var out []Case
	for _, id := range ids {
		d := study.SessionDir(studyDir, id)
		op, err := session.Open(d)
		switch {
		case err != nil && sessionID != "":
			return nil, err
		case err != nil:
			tell(skipped, fmt.Sprintf("%s: not a readable session (%v); left out", d, err))
		case op.Live:
			// The station never waits on the recogniser: a session being recorded is
			// transcribed after.
			tell(skipped, fmt.Sprintf("%s is being recorded now; transcribe it when it has ended", id))
		default:
			out = append(out, SessionCases(id, op, caseID)...)
		}
	}
	return out, nil
}

// SessionCases are the cases of one opened session (its folder name id), calibration screens
// left out; caseID "" for every case, otherwise the cases with that dicom_id.
func SessionCases(id string, op *session.Opened, caseID string) []Case {
	var out []Case
	for _, c := range op.Cases {
		if c.Screen.Kind == session.KindCalibration || (caseID != "" && c.Screen.DicomID != caseID) {
			continue
		}
		out = append(out, Case{Session: id, Reader: op.State.Reader, Case: c})
	}
	return out
}

// NoCasesError says there is nothing to transcribe under the study (CaseID: not that case).
func NoCasesError(studyDir, caseID string) error {
	what := "no recorded cases"
	if caseID != "" {
		what = "no recorded case " + caseID
	}
	return fmt.Errorf("%s under %s", what, study.SessionsRoot(studyDir))
}

func tell(f func(string), msg string) {
	if f != nil {
		f(msg)
	}
}

// BatchOptions configure a batch.
type BatchOptions struct {
	Align  bool   // re-time each case's own transcript (AlignCase) rather than draft one
	Config Config // the engine; a reader enrolled in the study gets pocketsphinx's adapted model
	// Store is the review store consulted for corrections ("" : the study's own, when it has
	// one); StoreOptions open it (read only is enough). Aligning consults no store.
	Store        string
	StoreOptions review.Options
	// Log is told what the user should know beside the results: a reader decoded with their
	// adapted model. Nil: not told.
	Log func(msg string)
	Now func() time.Time // the drafts' creation time (default time.Now)
}

// Batch is an open batch: its engines and the corrections in the review store.
type Batch struct {
	opt       BatchOptions
	engines   *readerEngines
	corrected map[[2]string]review.TranscriptEdit
}

// NewBatch opens the base engine and reads the review store's corrections. Close it when done.
func NewBatch(ctx context.Context, studyDir string, opt BatchOptions) (*Batch, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	b := &Batch{opt: opt, engines: &readerEngines{studyDir: studyDir, cfg: opt.Config, log: opt.Log, by: map[string]Engine{}}}
	if _, err := b.engines.base(); err != nil {
		return nil, err
	}
	if !opt.Align {
		var err error
		if b.corrected, err = storeCorrections(ctx, studyDir, opt.Store, opt.StoreOptions); err != nil {
			b.Close()
			return nil, err
		}
	}
	return b, nil
}

// Engine is the base engine (the one a reader who is not enrolled is decoded with).
func (b *Batch) Engine() Engine { return b.engines.baseEng }

// Close releases the engines.
func (b *Batch) Close() { b.engines.close() }

// CaseResult is one case's result in a run: the case, its place in the run (1-based Index of
// Total) and what happened.
type CaseResult struct {
	Case
	Index, Total int
	Result
}

// Failed reports whether the case could not be transcribed (or aligned).
func (r Result) Failed() bool { return r.Status == StatusFailed || r.Status == StatusNotViable }

// Tally counts a run's cases by status.
type Tally map[Status]int

// Failed is how many cases could not be transcribed.
func (t Tally) Failed() int { return t[StatusFailed] + t[StatusNotViable] }

// String is the run's summary: how many cases ended in each status, in a fixed order.
func (t Tally) String() string {
	var sum []string
	for _, s := range []Status{StatusWritten, StatusKept, StatusNoAudio, StatusNoText, StatusSilent,
		StatusNoSpeech, StatusFailed, StatusNotViable} {
		if t[s] > 0 {
			sum = append(sum, fmt.Sprintf("%d %s", t[s], s))
		}
	}
	return strings.Join(sum, ", ")
}

// Run transcribes (or aligns) the cases in order, telling each its result as it ends. A case
// that fails is told and the others go on; Run itself fails only when a reader's adapted model
// cannot be opened or ctx is cancelled (a recogniser running then is killed).
func (b *Batch) Run(ctx context.Context, cases []Case, each func(CaseResult)) (Tally, error) {
	t := Tally{}
	for i, c := range cases {
		if err := ctx.Err(); err != nil {
			return t, err
		}
		r, err := b.Case(ctx, c)
		if err != nil {
			return t, err
		}
		t[r.Status]++
		if each != nil {
			each(CaseResult{Case: c, Index: i + 1, Total: len(cases), Result: r})
		}
	}
	return t, ctx.Err()
}

// Case transcribes (or aligns) one case with its reader's engine, unless the review store
// records a correction of it. The error is an adapted model that cannot be opened; the case's
// own failures are in the result.
func (b *Batch) Case(ctx context.Context, c Case) (Result, error) {
	e, inStore := b.corrected[[2]string{c.Session, c.Case.Screen.DicomID}]
	if !inStore {
		e, inStore = b.corrected[[2]string{c.Session, c.Case.Name}]
	}
	if inStore {
		return Result{Status: StatusKept, Notes: []string{fmt.Sprintf("corrected in the review store by %s at %s", e.Who, e.At.UTC().Format(time.RFC3339))}}, nil
	}
	eng, err := b.engines.of(c.Reader)
	if err != nil {
		return Result{}, err
	}
	if b.opt.Align {
		return AlignCase(ctx, eng, c.Case.Dir, b.opt.Now()), nil
	}
	return TranscribeCase(ctx, eng, c.Case.Dir, b.opt.Now()), nil
}

// Line is a case's result as the console says it: the status, the words written (aligning:
// and how), the error and the notes.
func (r Result) Line(align bool) string {
	line := string(r.Status)
	switch {
	case r.Status == StatusWritten && align:
		line += fmt.Sprintf(" (%d words, %s", r.Words, r.Method)
		if r.Approx > 0 {
			line += fmt.Sprintf(", %d approximate", r.Approx)
		}
		line += ")"
	case r.Status == StatusWritten:
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

// storeCorrections are the cases whose transcripts the review store records a correction
// of, keyed by session and case (the case's dicom_id or folder name), latest last.
func storeCorrections(ctx context.Context, studyDir, store string, opt review.Options) (map[[2]string]review.TranscriptEdit, error) {
	out := map[[2]string]review.TranscriptEdit{}
	st, err := review.OpenExisting(ctx, studyDir, store, opt)
	if err != nil || st == nil {
		return out, err // no store: the files say what is corrected
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

// readerEngines opens one engine per reader: a reader enrolled in the study (sightline enroll) is
// decoded with the acoustic model adapted to them, everyone else with the base model.
type readerEngines struct {
	studyDir string
	cfg      Config
	log      func(string)
	baseEng  Engine
	by       map[string]Engine // nil: the reader is not enrolled
}

func (r *readerEngines) base() (Engine, error) {
	if r.baseEng == nil {
		e, err := New(r.cfg)
		if err != nil {
			return nil, err
		}
		r.baseEng = e
	}
	return r.baseEng, nil
}

// of is the engine for reader's sessions.
func (r *readerEngines) of(reader string) (Engine, error) {
	if r.cfg.Engine != "" && r.cfg.Engine != EnginePocketSphinx {
		return r.base() // adaptation is pocketsphinx's
	}
	e, seen := r.by[reader]
	if !seen {
		if cfg := ForReader(r.cfg, r.studyDir, reader); cfg.Acoustic != r.cfg.Acoustic {
			var err error
			if e, err = New(cfg); err != nil {
				return nil, fmt.Errorf("reader %s's adapted model: %w", reader, err)
			}
			tell(r.log, fmt.Sprintf("reader %s: enrolled, decoded with %s", reader, e.Model()))
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
			Close(e)
		}
	}
	if r.baseEng != nil {
		Close(r.baseEng)
	}
}
