// Package progress draws a command's progress on the terminal it prints to (or a line every
// tenth of the way to a log or a pipe).
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Bar draws a count's progress on a terminal (count, percentage, rate, ETA), redrawn in place at
// most every 100 ms; to anything else it writes a line every tenth of the way.
type Bar struct {
	w     io.Writer
	what  string // "preparing"
	unit  string // "images": the rate is units/s
	tty   bool
	now   func() time.Time
	start time.Time
	from  int // cases already done at the first call (not timed)
	last  time.Time
	tenth int
	drawn bool // a line is on the terminal, unfinished
}

// New is a bar on w: what is the work ("preparing"), unit what it counts ("images").
func New(w io.Writer, what, unit string) *Bar {
	return &Bar{w: w, what: what, unit: unit, tty: IsTerminal(w), now: time.Now, tenth: -1}
}

// IsTerminal says whether w is a terminal: a line redrawn in place with \r belongs only there
// (in a log file or a pipe it piles up as one long line).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Update shows done of total.
func (p *Bar) Update(done, total int) {
	now := p.now()
	if p.start.IsZero() {
		p.start, p.from = now, done
	}
	final := done >= total
	if p.tty {
		if !final && p.drawn && now.Sub(p.last) < 100*time.Millisecond {
			return
		}
		p.last, p.drawn = now, !final
		fmt.Fprintf(p.w, "\r%s\x1b[K", p.line(done, total, now))
		if final {
			fmt.Fprintln(p.w)
		}
		return
	}
	tenth := done * 10 / max(total, 1)
	if tenth == p.tenth && !final {
		return
	}
	if final && p.tenth == 10 {
		return
	}
	p.tenth = tenth
	fmt.Fprintln(p.w, p.line(done, total, now))
}

// Finish ends an unfinished terminal line (a run that stopped early).
func (p *Bar) Finish() {
	if p.tty && p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
}

func (p *Bar) line(done, total int, now time.Time) string {
	const width = 24
	fill := width * done / max(total, 1)
	bar := strings.Repeat("#", fill) + strings.Repeat(".", width-fill)
	s := fmt.Sprintf("%s [%s] %*d/%d %3d%%", p.what, bar, len(fmt.Sprint(total)), done, total, 100*done/max(total, 1))
	el := now.Sub(p.start).Seconds()
	if n := done - p.from; n > 0 && el > 0 {
		rate := float64(n) / el
		eta := time.Duration(float64(total-done) / rate * float64(time.Second)).Round(time.Second)
		s += fmt.Sprintf("  %.1f %s/s  ETA %s", rate, p.unit, clock(eta))
	}
	return s
}

// clock formats a duration as m:ss or h:mm:ss.
func clock(d time.Duration) string {
	s := int(d.Seconds())
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
