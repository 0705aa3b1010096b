package review

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"unicode"
)

// Journal keeps box edits that are not yet in the store, on local disk: every save writes its
// edits here first (fsynced), and clears them once the store has them. Edits that could not
// reach the store (a server down, a lock held) stay until a retry, or the next start, replays
// them. One file per user and study, so two editors on one machine never share one.
type Journal struct {
	path string
	mu   sync.Mutex
}

// JournalPath is the journal of user who for the study in dir: STUDY/.review-journal-WHO.jsonl,
// the user's name kept to letters, digits, '-', '_' and '.'.
func JournalPath(dir, who string) string {
	safe := strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, who)
	return filepath.Join(dir, ".review-journal-"+safe+".jsonl")
}

// OpenJournal opens (without creating) the journal at path.
func OpenJournal(path string) *Journal { return &Journal{path: path} }

// Path is the journal's file.
func (j *Journal) Path() string { return j.path }

// Add appends edits and returns once they are on disk.
func (j *Journal) Add(edits []BoxEdit) error {
	if len(edits) == 0 {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	f, err := os.OpenFile(j.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for _, e := range edits {
		if err := enc.Encode(e); err != nil {
			f.Close()
			return fmt.Errorf("journal %s: %w", j.path, err)
		}
	}
	if err := errors.Join(w.Flush(), f.Sync(), f.Close()); err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	return nil
}

// Pending reads the edits the journal holds, oldest first. A torn last line (a crash while it
// was written) is left out: its save never returned, so nobody was told it was kept.
func (j *Journal) Pending() ([]BoxEdit, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.read()
}

func (j *Journal) read() ([]BoxEdit, error) {
	b, err := os.ReadFile(j.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("journal %s: %w", j.path, err)
	}
	var out []BoxEdit
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		if l == "" {
			continue
		}
		var e BoxEdit
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			if i == len(lines)-1 {
				break // torn last line
			}
			return nil, fmt.Errorf("journal %s:%d: %w", j.path, i+1, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// Clear removes the journal: everything it held is in the store.
func (j *Journal) Clear() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := os.Remove(j.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	return nil
}

// Replay stores the journal's edits and clears it, in one EditBoxes call (all or none). An
// edit the store already has (the box stands as the edit left it, saved by the same person:
// the crash came after the commit) is not stored twice. It returns the rows stored.
func (j *Journal) Replay(ctx context.Context, st Store) ([]BoxEdit, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	edits, err := j.read()
	if err != nil || len(edits) == 0 {
		return nil, err
	}
	log, err := st.BoxLog(ctx, "")
	if err != nil {
		return nil, err
	}
	cur := CurrentBoxes(log)
	// The latest entry per box is what the person last had: every entry of a box that is
	// still in the journal was never stored, so they share the revision they were based on.
	last := map[BoxKey]int{}
	var todo []BoxEdit
	for _, e := range edits {
		if i, ok := last[e.Key]; ok {
			todo[i] = e
			continue
		}
		last[e.Key] = len(todo)
		todo = append(todo, e)
	}
	todo = slices.DeleteFunc(todo, func(e BoxEdit) bool {
		c, ok := cur[e.Key]
		return ok && c.Rev > e.Base && c.After == e.After && c.Who == e.Who // stored before the crash
	})
	var rows []BoxEdit
	if len(todo) > 0 {
		if rows, err = st.EditBoxes(ctx, todo); err != nil {
			return nil, err
		}
	}
	if err := os.Remove(j.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return rows, fmt.Errorf("journal %s: %w", j.path, err)
	}
	return rows, nil
}
