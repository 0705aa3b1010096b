package review

import (
	"context"
	"fmt"
	"time"
)

// signal wakes a watcher without blocking: one pending wake-up covers any number of rows.
func signal(wake chan<- struct{}) {
	select {
	case wake <- struct{}{}:
	default:
	}
}

// heads are the highest row id seen per table, in the order of watchTables.
type heads [4]int64

var watchTables = [4]string{tVerdicts, tBoxEdits, tImageStatus, tTranscripts}

func (s *sqlStore) heads(ctx context.Context) (heads, error) {
	var h heads
	for i, t := range watchTables {
		if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM `+t).Scan(&h[i]); err != nil {
			return h, fmt.Errorf("review store: watch: %s: %w", t, err)
		}
	}
	return h, nil
}

func (s *sqlStore) Watch(ctx context.Context) (<-chan Change, error) {
	h, err := s.heads(ctx)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.closed, cancel) // Close ends every watch
	ch := make(chan Change, 64)
	wake := make(chan struct{}, 1)
	// Close waits for both goroutines: a poll still running on a connection when the store
	// closes could make SQLite's -wal and -shm files again after the caller removed its folder.
	s.watchers.Add(2)
	go func() {
		defer s.watchers.Done()
		s.wakeups(ctx, wake)
	}()
	go func() {
		defer s.watchers.Done()
		defer close(ch)
		defer stop()
		defer cancel()
		var retry <-chan time.Time
		for {
			select {
			case <-ctx.Done():
				return
			case <-wake:
			case <-retry:
			}
			retry = nil
			if err := s.catchUp(ctx, &h, ch); err != nil && ctx.Err() == nil {
				// A failed read loses nothing (h moves only past rows delivered): try again.
				retry = time.After(s.opt.PollEvery)
			}
		}
	}()
	return ch, nil
}

// catchUp delivers every row above h, table by table in id order, advancing h row by row.
func (s *sqlStore) catchUp(ctx context.Context, h *heads, ch chan<- Change) error {
	send := func(c Change) bool {
		select {
		case ch <- c:
			return true
		case <-ctx.Done():
			return false
		}
	}
	vs, err := query(ctx, s.db, "watch verdicts", `SELECT `+verdictCols+` FROM verdicts WHERE id > $1 ORDER BY id`, scanVerdict, h[0])
	if err != nil {
		return err
	}
	for _, v := range vs {
		if !send(Change{Verdict: &v}) {
			return nil
		}
		h[0] = v.ID
	}
	bs, err := query(ctx, s.db, "watch box edits", `SELECT `+boxCols+` FROM box_edits WHERE id > $1 ORDER BY id`, scanBox, h[1])
	if err != nil {
		return err
	}
	for _, b := range bs {
		if !send(Change{Box: &b}) {
			return nil
		}
		h[1] = b.Rev
	}
	ms, err := query(ctx, s.db, "watch image status", `SELECT `+imageCols+` FROM image_status WHERE id > $1 ORDER BY id`, scanImage, h[2])
	if err != nil {
		return err
	}
	for _, m := range ms {
		if !send(Change{Image: &m}) {
			return nil
		}
		h[2] = m.ID
	}
	ts, err := query(ctx, s.db, "watch transcript edits", `SELECT `+transcriptCols+` FROM transcript_edits WHERE id > $1 ORDER BY id`, scanTranscript, h[3])
	if err != nil {
		return err
	}
	for _, t := range ts {
		if !send(Change{Transcript: &t}) {
			return nil
		}
		h[3] = t.ID
	}
	return nil
}
