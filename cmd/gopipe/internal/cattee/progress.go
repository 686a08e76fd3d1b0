package cattee

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command"
)

// progress draws a status line on stderr while data is copied, as pv does:
// the bytes so far, the time elapsed, the current rate, and, when the total
// is known, a bar, the percentage and an estimate of the time left. It is
// drawn only when stderr is a terminal, refreshed a few times a second from
// its own goroutine, and erased by finish, so that what stays on the screen
// is what the program wrote.
//
// A nil *progress is a valid one that draws nothing: newProgress returns nil
// when stderr is not a terminal, and callers need not check.
type progress struct {
	n     atomic.Int64
	total int64
	stop  chan struct{}
	done  chan struct{}
}

// progressInterval is how often the line is redrawn: often enough to look
// alive, rarely enough to cost nothing and be readable.
const progressInterval = 250 * time.Millisecond

// newProgress starts a progress line on e's stderr, or returns nil if
// stderr is not a terminal. total is the number of bytes expected, 0 if
// unknown. Call finish when the copy is over.
func newProgress(e *command.Env, total int64) *progress {
	f, ok := e.Stderr.(*os.File)
	if !ok || !command.IsTerminal(f) {
		return nil
	}
	return startProgress(f, total, func() int { return command.TermWidth(f) }, progressInterval)
}

// startProgress draws on w every interval, in a line at most width()-1
// columns wide (a line as wide as the terminal would wrap on some).
func startProgress(w io.Writer, total int64, width func() int, interval time.Duration) *progress {
	p := &progress{total: total, stop: make(chan struct{}), done: make(chan struct{})}
	go p.draw(w, width, interval)
	return p
}

// add counts n more bytes copied; it is cheap enough to call for every
// write.
func (p *progress) add(n int64) {
	if p != nil {
		p.n.Add(n)
	}
}

// finish erases the line and stops drawing. The line is not redrawn with
// the final figures: the command's own output or the shell's prompt comes
// next.
func (p *progress) finish() {
	if p == nil {
		return
	}
	close(p.stop)
	<-p.done
}

// inputSize is the total size of the operands when all are regular files
// (what is left of stdin, for "-"), for the progress bar; 0 when unknown.
// It opens nothing, so that it never waits for a FIFO.
func inputSize(e *command.Env, names []string) int64 {
	var total int64
	for _, name := range names {
		if name == "-" {
			f, ok := e.Stdin.(*os.File)
			if !ok {
				return 0
			}
			fi, err := f.Stat()
			if err != nil || !fi.Mode().IsRegular() {
				return 0
			}
			off, err := f.Seek(0, io.SeekCurrent)
			if err != nil {
				return 0
			}
			total += max(fi.Size()-off, 0)
			continue
		}
		fi, err := os.Stat(name)
		if err != nil || !fi.Mode().IsRegular() {
			return 0
		}
		total += fi.Size()
	}
	return total
}

func (p *progress) draw(w io.Writer, width func() int, interval time.Duration) {
	defer close(p.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	start := time.Now()
	lastN, lastT := int64(0), start
	drawn := 0 // the width of what is on the screen
	for {
		select {
		case <-p.stop:
			if drawn > 0 {
				io.WriteString(w, "\r"+strings.Repeat(" ", drawn)+"\r")
			}
			return
		case now := <-t.C:
			n := p.n.Load()
			rate := float64(n-lastN) / now.Sub(lastT).Seconds()
			lastN, lastT = n, now
			line := progressLine(n, p.total, now.Sub(start), rate, width()-1)
			// Pad over the rest of a longer previous line.
			pad := max(drawn-len(line), 0)
			io.WriteString(w, "\r"+line+strings.Repeat(" ", pad))
			drawn = max(len(line), drawn)
		}
	}
}

// progressLine is the status line for n bytes of total (0: unknown) after
// elapsed, at rate bytes a second, in at most width columns, as pv shows
// it: "1.50GiB 0:00:03 [ 512MiB/s] [=====>      ]  48% ETA 0:00:03".
func progressLine(n, total int64, elapsed time.Duration, rate float64, width int) string {
	line := fmt.Sprintf("%7s %s [%7s/s]", formatBytes(n), formatDuration(elapsed), formatBytes(int64(rate)))
	if total <= 0 {
		return clip(line, width)
	}
	frac := min(float64(n)/float64(total), 1)
	eta := "--:--:--"
	if avg := float64(n) / elapsed.Seconds(); n > 0 && avg > 0 {
		eta = formatDuration(time.Duration(float64(max(total-n, 0)) / avg * float64(time.Second)))
	}
	tail := fmt.Sprintf(" %3d%% ETA %s", int(frac*100), eta)
	barWidth := width - len(line) - len(tail) - 3 // " [" and "]"
	if barWidth < 5 {
		return clip(line+tail, width)
	}
	filled := int(frac * float64(barWidth))
	bar := strings.Repeat("=", filled)
	if filled < barWidth {
		bar += ">" + strings.Repeat(" ", barWidth-filled-1)
	}
	return line + " [" + bar + "]" + tail
}

func clip(s string, width int) string {
	if width > 0 && len(s) > width {
		return s[:width]
	}
	return s
}

// formatBytes is n in binary units with three significant digits, as pv
// shows sizes: "512B", "1.50KiB", "12.3MiB", "123GiB".
func formatBytes(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%dB", max(n, 0))
	}
	v := float64(n)
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	u := -1
	for v >= 1000 && u < len(units)-1 {
		v /= 1024
		u++
	}
	switch {
	case v < 10:
		return fmt.Sprintf("%.2f%s", v, units[u])
	case v < 100:
		return fmt.Sprintf("%.1f%s", v, units[u])
	}
	return fmt.Sprintf("%.0f%s", v, units[u])
}

// formatDuration is d as H:MM:SS.
func formatDuration(d time.Duration) string {
	s := int64(d / time.Second)
	return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
}
