// Package gazesim simulates a Gazepoint GP3 eye tracker speaking the Open Gaze API over TCP,
// with a seeded reader model that reads the case the station shows.
package gazesim

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"sightline/tracker/opengaze"
)

// Server is a simulated eye tracker. Each connection is an independent device session with
// its own reader model, seeded from the Config, so that every connection given the same
// commands receives the same records.
type Server struct {
	st *settings
}

// New makes a server simulating the device and reader cfg describes.
func New(cfg Config) *Server {
	return &Server{st: newSettings(cfg)}
}

// ListenAndServe listens on addr (DefaultAddr when empty) and serves until ctx is done.
func ListenAndServe(ctx context.Context, addr string, cfg Config) error {
	if addr == "" {
		addr = DefaultAddr
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("gazesim: listen on %s: %w", addr, err)
	}
	return New(cfg).Serve(ctx, l)
}

// Serve accepts connections on l and serves each independently until ctx is done; then it
// closes l and every connection, waits for their goroutines and returns nil. It returns the
// error if accepting fails otherwise. Serve closes l in either case.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	stop := context.AfterFunc(ctx, func() { l.Close() })
	defer stop()
	defer l.Close()
	for {
		conn, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("gazesim: accept: %w", err)
		}
		wg.Go(func() { s.serveConn(ctx, conn) })
	}
}

// serveConn runs one device session: a goroutine reads command lines, this one owns the
// session and the writes. A client that goes away ends only its own session.
func (s *Server) serveConn(ctx context.Context, conn net.Conn) {
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	lines := make(chan []byte, 16)
	done := make(chan struct{})
	var reader sync.WaitGroup
	reader.Go(func() {
		defer close(lines)
		sc := opengaze.NewScanner(conn)
		for {
			line, err := sc.Next()
			if err != nil {
				return
			}
			select {
			case lines <- bytes.Clone(line):
			case <-done:
				return
			}
		}
	})
	defer func() {
		stop()
		close(done)
		conn.Close()
		reader.Wait()
	}()

	sess := newSession(s.st)
	w := bufio.NewWriterSize(conn, 64<<10)
	var (
		ticker *time.Ticker
		tickC  <-chan time.Time
		timer  = time.NewTimer(time.Hour)
		armed  time.Time
	)
	timer.Stop()
	defer timer.Stop()
	defer func() {
		if ticker != nil {
			ticker.Stop()
		}
	}()
	for {
		var calC <-chan time.Time
		if at, ok := sess.calDeadline(); ok {
			if !at.Equal(armed) {
				timer.Reset(time.Until(at))
				armed = at
			}
			calC = timer.C
		}
		select {
		case <-ctx.Done():
			return
		case line, ok := <-lines:
			if !ok {
				return
			}
			sess.command(line, time.Now())
		case <-tickC:
			sess.stream(time.Now())
		case now := <-calC:
			armed = time.Time{}
			sess.calStep(now)
		}
		switch {
		case sess.sending && ticker == nil:
			ticker = time.NewTicker(sess.period())
			tickC = ticker.C
		case !sess.sending && ticker != nil:
			ticker.Stop()
			ticker, tickC = nil, nil
		}
		if len(sess.out) > 0 {
			if _, err := w.Write(sess.out); err != nil {
				return
			}
			sess.out = sess.out[:0]
			if err := w.Flush(); err != nil {
				return
			}
		}
	}
}
