package session

import (
	"errors"
	"fmt"
	"os"
	"sync"
)

// syncer fsyncs the session's open files off the recording goroutine. Flush has already
// written the rows to the kernel, which keeps them through a crash of the process; the fsync,
// which keeps them through a power cut, can take tens of milliseconds and must not hold up the
// samples queued behind it. os.File makes a Sync racing a Close safe (it reports ErrClosed).
type syncer struct {
	req  chan []*os.File
	done chan struct{}
	mu   sync.Mutex
	err  error // the first failure, reported by the next Flush
}

func newSyncer() *syncer {
	s := &syncer{req: make(chan []*os.File, 1), done: make(chan struct{})}
	go s.run()
	return s
}

func (s *syncer) run() {
	defer close(s.done)
	for files := range s.req {
		for _, f := range files {
			if err := f.Sync(); err != nil && !errors.Is(err, os.ErrClosed) {
				s.mu.Lock()
				if s.err == nil {
					s.err = fmt.Errorf("sync %s: %w", f.Name(), err)
				}
				s.mu.Unlock()
			}
		}
	}
}

// request asks for files to be synced; a request already waiting covers the same files, so a
// busy syncer coalesces rather than queueing.
func (s *syncer) request(files []*os.File) {
	select {
	case s.req <- files:
	default:
	}
}

// failure returns (and forgets) the first sync failure since the last call.
func (s *syncer) failure() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.err
	s.err = nil
	return err
}

// stop ends the goroutine after the syncs asked for.
func (s *syncer) stop() {
	close(s.req)
	<-s.done
}
