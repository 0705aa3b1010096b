package prepare

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"sightline/reader/session"
	"sightline/reader/study"
)

// PlanFormat is the format field of a plan file; a reader of another format refuses it.
const PlanFormat = "sightline-plan/1"

// Plan is one reader's reading order over a study: the cases split into sessions of at most
// SessionSize screens, each session a seeded shuffle with calibration screens
// (session.NewPlan). It is written to STUDY/plans/<reader>.json, so that a reading resumes
// exactly where it stopped and every reader has an order of their own.
type Plan struct {
	Format      string `json:"format"` // PlanFormat
	Reader      string `json:"reader"`
	StudySeed   int64  `json:"study_seed"`
	Seed        int64  `json:"seed"` // the reader's own, derived from StudySeed and Reader
	SessionSize int    `json:"session_size"`
	CalibEvery  int    `json:"calibration_every"`
	Cases       int    `json:"cases"`
	// Shared are the cases of a study with several readers that every reader reads (sorted);
	// the plan's other cases are this reader's alone. Absent when the study has one reader or
	// was prepared before readers shared a split.
	Shared []string `json:"shared,omitempty"`
	// Split is true when the study's readers split its cases (prepare --overlap): the plan holds
	// the shared cases and this reader's part of the others, not every case of the study.
	Split    bool          `json:"split,omitempty"`
	Sessions []SessionPlan `json:"sessions"`
}

// SessionPlan is one session of a plan.
type SessionPlan struct {
	Session int              `json:"session"` // from 1
	ID      string           `json:"id"`      // <reader>-sNN; names its calibration screens
	Seed    int64            `json:"seed"`    // of session.NewPlan, derived from the reader's seed
	Screens []session.Screen `json:"screens"`
}

// Session returns the screens of session n (from 1), a copy; nil when the plan has no such
// session.
func (p Plan) Session(n int) []session.Screen {
	if n < 1 || n > len(p.Sessions) {
		return nil
	}
	return append([]session.Screen(nil), p.Sessions[n-1].Screens...)
}

// PlanPath is the file of reader's plan in a study folder.
func PlanPath(studyDir, reader string) string {
	return filepath.Join(studyDir, PlansDir, reader+".json")
}

// Readers lists the readers that have a plan in a study folder (STUDY/plans/<reader>.json),
// sorted; none for a study without plans.
func Readers(studyDir string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(studyDir, PlansDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list the study's plans: %w", err)
	}
	var out []string
	for _, e := range entries {
		r, ok := strings.CutSuffix(e.Name(), ".json")
		if ok && !e.IsDir() && checkReader(r) == nil {
			out = append(out, r)
		}
	}
	slices.Sort(out) // by reader, not by file name: "r1-again.json" sorts before "r1.json"
	return out, nil
}

// ReaderSeed derives a reader's seed from the study seed and the reader's name (SHA-256 of
// both), so that each reader gets an independent order that anyone can recompute.
func ReaderSeed(studySeed int64, reader string) int64 {
	return derive("reader", strconv.FormatInt(studySeed, 10), reader)
}

func sessionSeed(readerSeed int64, n int) int64 {
	return derive("session", strconv.FormatInt(readerSeed, 10), strconv.Itoa(n))
}

func derive(parts ...string) int64 {
	h := sha256.New()
	io.WriteString(h, "sightline plan seed")
	for _, p := range parts {
		h.Write([]byte{0})
		io.WriteString(h, p)
	}
	return int64(binary.BigEndian.Uint64(h.Sum(nil)[:8]))
}

func sessionID(reader string, n int) string { return fmt.Sprintf("%s-s%02d", reader, n) }

// calibrations is how many calibration screens session.NewPlan inserts among n cases.
func calibrations(n, calibEvery int) int {
	if calibEvery <= 0 || n == 0 {
		return 0
	}
	return min(n, max(1, (2*n+calibEvery)/(2*calibEvery)))
}

// casesPerSession is the most cases a session of size screens can hold beside its calibration
// screens; 0 when none fits.
func casesPerSession(size, calibEvery int) int {
	for n := size; n > 0; n-- {
		if n+calibrations(n, calibEvery) <= size {
			return n
		}
	}
	return 0
}

// NewPlan plans reader's reading of caseIDs: a shuffle seeded with ReaderSeed(studySeed,
// reader) deals the cases into as few sessions of at most sessionSize screens as hold them,
// evenly (sizes differ by one at most); each session is then ordered by session.NewPlan with a
// seed of its own and calibration screens about every calibEvery cases (none when ≤ 0), named
// calibration-<reader>-sNN-<k>.
func NewPlan(reader string, caseIDs []string, studySeed int64, sessionSize, calibEvery int) (Plan, error) {
	if err := checkReader(reader); err != nil {
		return Plan{}, err
	}
	if len(caseIDs) == 0 {
		return Plan{}, errors.New("plan: no cases")
	}
	per := casesPerSession(sessionSize, calibEvery)
	if per == 0 {
		return Plan{}, fmt.Errorf("plan: a session of %d screens has no room for a case beside its calibration screen", sessionSize)
	}
	p := Plan{Format: PlanFormat, Reader: reader, StudySeed: studySeed, Seed: ReaderSeed(studySeed, reader),
		SessionSize: sessionSize, CalibEvery: max(calibEvery, 0), Cases: len(caseIDs)}
	// session.NewPlan without calibration screens is a reproducible shuffle.
	dealt := session.NewPlan("", caseIDs, p.Seed, 0)
	n := len(dealt)
	k := (n + per - 1) / per
	for s := range k {
		ids := make([]string, 0, per)
		for _, sc := range dealt[n*s/k : n*(s+1)/k] {
			ids = append(ids, sc.DicomID)
		}
		sp := SessionPlan{Session: s + 1, ID: sessionID(reader, s+1), Seed: sessionSeed(p.Seed, s+1)}
		sp.Screens = session.NewPlan(sp.ID, ids, sp.Seed, p.CalibEvery)
		p.Sessions = append(p.Sessions, sp)
	}
	return p, nil
}

// WritePlan writes p to its file in studyDir, atomically.
func WritePlan(studyDir string, p Plan) error {
	if err := checkReader(p.Reader); err != nil {
		return err
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	path := PlanPath(studyDir, p.Reader)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	if err := writeFileAtomic(path, append(b, '\n')); err != nil {
		return fmt.Errorf("plan: write %s: %w", path, err)
	}
	return nil
}

// maxPlanBytes bounds a plan file: a 100,000-case study's plan is about 10 MB.
const maxPlanBytes = 64 << 20

// ReadPlan parses and checks a plan: its format; sessions numbered from 1, each of at most
// SessionSize screens indexed from 0 with the session's id; calibration screens named in
// order; every case once in the whole plan; Cases cases in all. Its errors do not name the file:
// the caller does (LoadPlan).
func ReadPlan(r io.Reader) (Plan, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxPlanBytes+1))
	if err != nil {
		return Plan{}, err
	}
	if len(b) > maxPlanBytes {
		return Plan{}, fmt.Errorf("more than %d MiB", maxPlanBytes>>20)
	}
	var p Plan
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return Plan{}, err
	}
	if dec.More() {
		return Plan{}, errors.New("data after the plan object")
	}
	if err := p.check(); err != nil {
		return Plan{}, err
	}
	return p, nil
}

func (p Plan) check() error {
	if p.Format != PlanFormat {
		return fmt.Errorf("format %q, want %q", p.Format, PlanFormat)
	}
	if err := checkReader(p.Reader); err != nil {
		return err
	}
	if p.SessionSize < 1 {
		return fmt.Errorf("session size %d", p.SessionSize)
	}
	if len(p.Sessions) == 0 {
		return errors.New("no sessions")
	}
	seen := map[string]int{} // case → session
	for i, s := range p.Sessions {
		if s.Session != i+1 {
			return fmt.Errorf("session %d is numbered %d", i+1, s.Session)
		}
		if want := sessionID(p.Reader, s.Session); s.ID != want {
			return fmt.Errorf("session %d: id %q, want %q", s.Session, s.ID, want)
		}
		if len(s.Screens) == 0 || len(s.Screens) > p.SessionSize {
			return fmt.Errorf("session %d: %d screens, want 1 to %d", s.Session, len(s.Screens), p.SessionSize)
		}
		calib := 0
		for j, sc := range s.Screens {
			if sc.Index != j {
				return fmt.Errorf("session %d: screen %d has index %d", s.Session, j, sc.Index)
			}
			switch sc.Kind {
			case session.KindCalibration:
				calib++
				if want := session.CalibrationID(s.ID, calib); sc.DicomID != want {
					return fmt.Errorf("session %d: screen %d: calibration %q, want %q", s.Session, j, sc.DicomID, want)
				}
			case session.KindCase:
				if err := checkName(sc.DicomID); err != nil {
					return fmt.Errorf("session %d: screen %d: %w", s.Session, j, err)
				}
				if prev, dup := seen[sc.DicomID]; dup {
					return fmt.Errorf("session %d: screen %d: case %q is also in session %d", s.Session, j, sc.DicomID, prev)
				}
				seen[sc.DicomID] = s.Session
			default:
				return fmt.Errorf("session %d: screen %d: kind %q", s.Session, j, sc.Kind)
			}
		}
	}
	if len(seen) != p.Cases {
		return fmt.Errorf("%d cases in the sessions, the plan says %d", len(seen), p.Cases)
	}
	for _, id := range p.Shared {
		if _, ok := seen[id]; !ok {
			return fmt.Errorf("shared case %q is in none of the sessions", id)
		}
	}
	return nil
}

// Assign splits a study's cases among its readers: overlap cases, picked by a shuffle seeded
// with the study seed, are read by every reader, and the others are dealt to one reader each in
// turn (reader i of k gets the i-th, i+k-th, … of the rest, so that the readers' shares differ
// by one at most). overlap < 0, or ≥ the number of cases, shares every case. cases[r] is
// reader r's cases in the order given; shared is sorted.
func Assign(caseIDs, readers []string, studySeed int64, overlap int) (shared []string, cases map[string][]string) {
	cases = make(map[string][]string, len(readers))
	if overlap < 0 || overlap >= len(caseIDs) || len(readers) < 2 {
		for _, r := range readers {
			cases[r] = slices.Clone(caseIDs)
		}
		if len(readers) > 1 {
			shared = slices.Sorted(slices.Values(caseIDs))
		}
		return shared, cases
	}
	dealt := session.NewPlan("", caseIDs, derive("shared", strconv.FormatInt(studySeed, 10)), 0)
	owner := make(map[string]int, len(caseIDs)) // case → reader index, −1 for shared
	for i, sc := range dealt {
		switch {
		case i < overlap:
			owner[sc.DicomID] = -1
			shared = append(shared, sc.DicomID)
		default:
			owner[sc.DicomID] = (i - overlap) % len(readers)
		}
	}
	for _, id := range caseIDs {
		for k, r := range readers {
			if o := owner[id]; o == -1 || o == k {
				cases[r] = append(cases[r], id)
			}
		}
	}
	slices.Sort(shared)
	return shared, cases
}

// NewPlans plans every reader's reading of a study's cases split by Assign: each reader's
// cases in an order of their own (NewPlan), the plan naming the shared cases.
func NewPlans(readers, caseIDs []string, studySeed int64, sessionSize, calibEvery, overlap int) ([]Plan, error) {
	shared, cases := Assign(caseIDs, readers, studySeed, overlap)
	out := make([]Plan, 0, len(readers))
	for _, r := range readers {
		p, err := NewPlan(r, cases[r], studySeed, sessionSize, calibEvery)
		if err != nil {
			return nil, fmt.Errorf("reader %s: %w", r, err)
		}
		p.Shared = shared
		p.Split = overlap >= 0 && overlap < len(caseIDs) && len(readers) > 1
		out = append(out, p)
	}
	return out, nil
}

// LoadPlan reads reader's plan from a prepared study and checks it against the study's
// master_sheet.csv: the plan holds every case of the worklist (its part of them, when the
// readers split the study), once, and nothing else. A study
// with no plan for reader gives an error wrapping os.ErrNotExist (AddReader makes one).
func LoadPlan(studyDir, reader string) (Plan, error) {
	if err := checkReader(reader); err != nil {
		return Plan{}, err
	}
	path := PlanPath(studyDir, reader)
	f, err := os.Open(path)
	if err != nil {
		return Plan{}, fmt.Errorf("plan for reader %s: %w", reader, err)
	}
	defer f.Close()
	p, err := ReadPlan(f)
	if err != nil {
		return Plan{}, fmt.Errorf("%s: %w", path, err)
	}
	if p.Reader != reader {
		return Plan{}, fmt.Errorf("%s: plan of reader %q, want %q", path, p.Reader, reader)
	}
	st, err := study.Load(studyDir)
	if err != nil {
		return Plan{}, err
	}
	inPlan := map[string]bool{}
	for _, s := range p.Sessions {
		for _, sc := range s.Screens {
			if sc.Kind == session.KindCase {
				if _, ok := st.Case(sc.DicomID); !ok {
					return Plan{}, fmt.Errorf("%s: case %q is not in %s", path, sc.DicomID, study.MasterSheet)
				}
				inPlan[sc.DicomID] = true
			}
		}
	}
	for _, c := range st.Cases {
		if !inPlan[c.DicomID] && !p.Split {
			return Plan{}, fmt.Errorf("%s: case %q (line %d of %s) is in no session", path, c.DicomID, c.Line, study.MasterSheet)
		}
	}
	return p, nil
}

// AddReader plans the reading of a prepared study for another reader, from the seed, session
// size and calibration interval the study was prepared with (prepare.json), and writes it. The
// plan is the one Run would have written for that reader. In a study whose readers split the
// cases (prepare --overlap), a reader added later gets the shared cases and the share of the
// others that the split gives one more reader (Assign over the recorded readers with this one
// last): those cases are also some earlier reader's, whose plans do not change, so they are
// read twice. The reader is added to prepare.json's readers, so that the next one added gets a
// share of their own. A reader who has a plan keeps it: the error then wraps os.ErrExist.
func AddReader(studyDir, reader string) (Plan, error) {
	if err := checkReader(reader); err != nil {
		return Plan{}, err
	}
	rec, err := ReadRecord(studyDir)
	if err != nil {
		return Plan{}, err
	}
	path := PlanPath(studyDir, reader)
	if _, err := os.Stat(path); err == nil {
		return Plan{}, fmt.Errorf("reader %s already has a plan (%s): %w", reader, path, os.ErrExist)
	}
	st, err := study.Load(studyDir)
	if err != nil {
		return Plan{}, err
	}
	var p Plan
	if rec.Overlap == nil || len(rec.Readers) < 2 {
		p, err = NewPlan(reader, caseIDs(st), rec.Seed, rec.SessionSize, rec.CalibEvery)
	} else {
		p, err = lateReaderPlan(studyDir, &rec, reader, caseIDs(st))
	}
	if err != nil {
		return Plan{}, err
	}
	if err := WritePlan(studyDir, p); err != nil {
		return Plan{}, err
	}
	return p, nil
}

// lateReaderPlan is the plan of a reader joining a split study: the readers recorded in rec,
// with reader last unless already among them, split the cases as NewPlans did; reader's part is
// planned, and rec (prepare.json) gains the reader.
func lateReaderPlan(studyDir string, rec *Record, reader string, ids []string) (Plan, error) {
	readers := rec.Readers
	if !slices.Contains(readers, reader) {
		readers = append(slices.Clone(readers), reader)
	}
	shared, cases := Assign(ids, readers, rec.Seed, *rec.Overlap)
	p, err := NewPlan(reader, cases[reader], rec.Seed, rec.SessionSize, rec.CalibEvery)
	if err != nil {
		return Plan{}, err
	}
	p.Shared, p.Split = shared, true
	if len(readers) > len(rec.Readers) {
		rec.Readers = readers
		if err := writeJSON(filepath.Join(studyDir, RecordFile), rec); err != nil {
			return Plan{}, fmt.Errorf("study record: add reader %s: %w", reader, err)
		}
	}
	return p, nil
}

func caseIDs(st *study.Study) []string {
	ids := make([]string, len(st.Cases))
	for i, c := range st.Cases {
		ids[i] = c.DicomID
	}
	return ids
}
