package cattee

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command"
)

// progress shows how a copy is going on stderr, as pv does, which is what
// users compare it with: the bytes so far, the time elapsed, the rate, and,
// when the total is known, a bar, the percentage and an estimate of the
// time left. On a terminal it is one line redrawn in place a few times a
// second; with --force-progress and stderr a file or pipe, a line a second;
// with --numeric, a number a line. At the end a summary (the total, the
// time, the average rate) is written once and stays.
//
// A nil *progress is a valid one that shows nothing: newProgress returns
// nil when nothing is to be shown, and callers need not check.
type progress struct {
	n     atomic.Int64
	total int64 // -1: unknown
	mode  progressMode
	w     io.Writer
	width func() int
	now   func() time.Time

	mu      sync.Mutex // guards what follows, and writes to w
	clock   stopwatch
	samples []sample // for the rate: the counts of the last rateWindow
	ticks   int
	drawn   int    // terminal: the columns of the line on the screen, 0 if none
	last    string // lines: the last line written, which is not repeated
	other   string // while an open waits: "writer" or "reader"; else ""
	name    string // the operand whose open waits

	stop chan struct{}
	done chan struct{}
}

type progressMode int

const (
	progressTerminal progressMode = iota // one line, redrawn in place
	progressLines                        // a line per update, for a log or a script
	progressNumeric                      // a number per line (pv -n), for a script
)

// progressInterval is how often the counts are sampled and a terminal's
// line redrawn: often enough to look alive, rarely enough to cost nothing
// and be readable. Lines and numbers come every ticksPerLine samples (a
// second, as pv's do): more would only fill a log.
const (
	progressInterval = 250 * time.Millisecond
	ticksPerLine     = 4
)

// rateWindow is the stretch of time the rate shown is measured over. The
// rate of the last interval alone jumps with any source that writes in
// bursts (pv -L writes a tenth of a second's worth at a time: 40 or
// 60 MiB/s shown, drawn four times a second, for a steady 50); the slope of
// a least-squares line through a few seconds of counts is steady and still
// follows a real change within the window.
const rateWindow = 3 * time.Second

// linesWidth is the width of the lines written to a file or pipe, pv's.
const linesWidth = 80

// progressConfig is what the options cat and tee share ask for.
type progressConfig struct {
	show    bool  // --progress
	force   bool  // --force-progress
	numeric bool  // --numeric
	size    int64 // --size; -1: not given
	rate    int64 // --rate-limit, bytes a second; 0: no limit
}

func newProgressConfig() progressConfig { return progressConfig{size: -1} }

// progressOptions end both cat's and tee's option tables. They are long
// options only: pv's letters (-n, -s, -L, -f) would collide with GNU
// cat's and tee's own (cat -n and -s stay GNU's). The names are pv's long
// ones, but --force, which next to cat's options would read as forcing
// the copy: --force-progress, which pv's --force still abbreviates.
var progressOptions = []command.Option{
	{Long: "progress", Help: "show bytes, elapsed time and rate on\n" +
		"standard error if it is a terminal, with a bar,\n" +
		"percentage and ETA when the size is known\n" +
		"(--size, or all input from regular files),\n" +
		"and a summary at the end"},
	{Long: "force-progress", Help: "show those lines even if standard error is\n" +
		"not a terminal, one a second (pv's --force)"},
	{Long: "numeric", Help: "write a number a second to standard error\n" +
		"instead, as pv -n: the percentage done, or\n" +
		"the bytes copied when the size is unknown"},
	{Long: "size", Arg: command.RequiredArg, ArgName: "SIZE", Help: "the total expected, for the percentage"},
	{Long: "rate-limit", Arg: command.RequiredArg, ArgName: "RATE", Help: "copy at most RATE bytes a second"},
}

// progressOutro is what both commands' help says of those options.
const progressOutro = `
SIZE and RATE are numbers of bytes, fractions allowed, with an optional
suffix: K, M, G, T (KiB, MiB, ...: powers of 1024, as in pv) or KB, MB, ...
(powers of 1000). --rate-limit on its own limits without showing anything;
--numeric and --force-progress show without --progress. The rate shown is
measured over the last 3 seconds, the summary's over the whole copy; time
spent waiting for a FIFO's other end is shown as such and not counted.
`

// set takes o if it is one of progressOptions (handled), failing with a
// GNU-worded message for a bad value.
func (c *progressConfig) set(o command.Opt) (handled bool, err error) {
	switch o.Key() {
	case "progress":
		c.show = true
	case "force-progress":
		c.force = true
	case "numeric":
		c.numeric = true
	case "size":
		c.size, err = o.Bytes(0)
	case "rate-limit":
		c.rate, err = o.Bytes(1)
	default:
		return false, nil
	}
	return true, err
}

// newProgress starts showing progress on e's stderr as c asks, or returns
// nil if nothing is to be shown. size is called, if c gives none, for the
// total expected: -1 if unknown. Call finish when the copy is over.
func newProgress(e *command.Env, c progressConfig, size func() int64) *progress {
	mode := progressLines
	width := func() int { return linesWidth }
	f, isFile := e.Stderr.(*os.File)
	switch {
	case c.numeric:
		mode = progressNumeric
	case (c.show || c.force) && isFile && command.IsTerminal(f):
		mode, width = progressTerminal, func() int { return command.TermWidth(f) }
	case c.force:
	default:
		return nil
	}
	total := c.size
	if total < 0 {
		total = size()
	}
	p := newProgressAt(e.Stderr, mode, total, width, time.Now())
	go p.run(progressInterval)
	return p
}

// newProgressAt is a progress on w that started at start, with no
// goroutine: tick and final draw.
func newProgressAt(w io.Writer, mode progressMode, total int64, width func() int, start time.Time) *progress {
	return &progress{
		total: total, mode: mode, w: w, width: width, now: time.Now,
		clock:   stopwatch{start: start},
		samples: []sample{{0, 0}},
		stop:    make(chan struct{}), done: make(chan struct{}),
	}
}

// add counts n more bytes copied; it is cheap enough to call for every
// write.
func (p *progress) add(n int64) {
	if p != nil {
		p.n.Add(n)
	}
}

// waitFor says that the open of the operand name waits for its other end
// ("writer" or "reader"), until opened is called: the line says so instead
// of its figures if the wait lasts until it is drawn (an open that does not
// wait is over long before), and the clock stops meanwhile.
func (p *progress) waitFor(other, name string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.other, p.name = other, name
	p.clock.pause(p.now())
}

// opened ends what waitFor started.
func (p *progress) opened() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.other, p.name = "", ""
	p.clock.resume(p.now())
}

// finish stops drawing and writes the summary, once.
func (p *progress) finish() {
	if p == nil {
		return
	}
	close(p.stop)
	<-p.done
	p.final(p.now())
}

// stderr is w, stderr, for the command's messages: on a terminal each
// message first erases the line, which is drawn again at the next tick, so
// that the two do not run into each other.
func (p *progress) stderr(w io.Writer) io.Writer {
	if p == nil || p.mode != progressTerminal {
		return w
	}
	return progressStderr{p, w}
}

type progressStderr struct {
	p *progress
	w io.Writer
}

func (s progressStderr) Write(b []byte) (int, error) {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	s.p.erase()
	return s.w.Write(b)
}

func (p *progress) run(interval time.Duration) {
	defer close(p.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			// Now, not the tick's time: the count is taken now, and this
			// goroutine may have run late.
			p.tick(time.Now())
		}
	}
}

// tick samples the count and draws what is due at now.
func (p *progress) tick(now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	elapsed := p.clock.elapsed(now)
	n := p.n.Load()
	if p.other == "" {
		p.samples = addSample(p.samples, sample{elapsed, n})
	}
	p.ticks++
	if p.mode != progressTerminal && p.ticks%ticksPerLine != 0 {
		return
	}
	switch {
	case p.mode == progressNumeric:
		if p.other == "" {
			io.WriteString(p.w, numericLine(n, p.total)+"\n")
		}
	case p.other != "":
		p.show(waitingLine(p.other, p.name, p.width()-1))
	default:
		p.show(statusLine(status{n: n, total: p.total, elapsed: elapsed, rate: rateOf(p.samples)}, p.width()-1))
	}
}

// final writes the summary at now: the figures for the whole copy, the
// average rate, no ETA.
func (p *progress) final(now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	elapsed := p.clock.elapsed(now)
	n := p.n.Load()
	if p.mode == progressNumeric {
		io.WriteString(p.w, numericLine(n, p.total)+"\n")
		return
	}
	var avg float64
	if elapsed > 0 {
		avg = float64(n) / elapsed.Seconds()
	}
	line := statusLine(status{n: n, total: p.total, elapsed: elapsed, rate: avg, final: true}, p.width()-1)
	if p.mode == progressTerminal {
		io.WriteString(p.w, "\r"+line+strings.Repeat(" ", max(p.drawn-columns(line), 0))+"\n")
		p.drawn = 0
		return
	}
	io.WriteString(p.w, line+"\n")
}

// show draws line: over the last on a terminal (a line as wide as the
// terminal would wrap on some: callers leave a column), else as a line of
// its own unless it says what the last said.
func (p *progress) show(line string) {
	if p.mode != progressTerminal {
		if line != p.last {
			io.WriteString(p.w, line+"\n")
			p.last = line
		}
		return
	}
	// Pad over the rest of a longer previous line.
	io.WriteString(p.w, "\r"+line+strings.Repeat(" ", max(p.drawn-columns(line), 0)))
	p.drawn = columns(line)
}

// erase blanks a terminal's line.
func (p *progress) erase() {
	if p.drawn > 0 {
		io.WriteString(p.w, "\r"+strings.Repeat(" ", p.drawn)+"\r")
		p.drawn = 0
	}
}

// columns is how many columns s takes, near enough: one a character.
func columns(s string) int { return utf8.RuneCountInString(s) }

// stopwatch measures the time a copy has taken, not counting the pauses.
type stopwatch struct {
	start    time.Time
	paused   time.Duration // the pauses before pausedAt
	pausedAt time.Time     // the zero time when running
}

func (s *stopwatch) elapsed(now time.Time) time.Duration {
	if !s.pausedAt.IsZero() {
		now = s.pausedAt
	}
	return max(now.Sub(s.start)-s.paused, 0)
}

func (s *stopwatch) pause(now time.Time) {
	if s.pausedAt.IsZero() {
		s.pausedAt = now
	}
}

func (s *stopwatch) resume(now time.Time) {
	if !s.pausedAt.IsZero() {
		s.paused += now.Sub(s.pausedAt)
		s.pausedAt = time.Time{}
	}
}

// sample is the count n at time t of the copy's clock.
type sample struct {
	t time.Duration
	n int64
}

// addSample appends x to s and drops the samples older than the window.
func addSample(s []sample, x sample) []sample {
	s = append(s, x)
	i := 0
	for i < len(s)-1 && s[i].t < x.t-rateWindow {
		i++
	}
	if i > 0 {
		s = append(s[:0], s[i:]...)
	}
	return s
}

// rateOf is the rate of the samples in bytes a second: the slope of their
// least-squares line, 0 if they span no time.
func rateOf(s []sample) float64 {
	if len(s) < 2 {
		return 0
	}
	var st, sn float64
	for _, x := range s {
		st += x.t.Seconds()
		sn += float64(x.n)
	}
	mt, mn := st/float64(len(s)), sn/float64(len(s))
	var stt, stn float64
	for _, x := range s {
		dt := x.t.Seconds() - mt
		stt += dt * dt
		stn += dt * (float64(x.n) - mn)
	}
	if stt == 0 {
		return 0
	}
	return max(stn/stt, 0)
}

// status is what a progress line shows.
type status struct {
	n, total int64 // total -1: unknown
	elapsed  time.Duration
	rate     float64 // bytes a second
	final    bool    // the summary: rate is the average, and no ETA
}

// minBar is the narrowest bar worth drawing.
const minBar = 5

// statusLine lays s out as pv does, "1.50GiB 0:00:03 [ 512MiB/s]
// [=====>      ]  48% ETA 0:00:03", in at most width columns (0 or less:
// any): where the line would be wider, whole fields are left out, never cut
// through: the bar first, then the time elapsed, the ETA, the rate, the
// percentage, and last the bytes.
func statusLine(s status, width int) string {
	type field struct {
		text string
		rank int // the fields of rank level or less are left out
	}
	fields := []field{
		{fmt.Sprintf("%7s", command.FormatBytes(s.n)), 6},
		{formatDuration(s.elapsed), 2},
		{fmt.Sprintf("[%7s/s]", command.FormatBytes(int64(s.rate))), 4},
	}
	var frac float64
	if s.total >= 0 {
		frac = 1
		if s.total > 0 {
			frac = min(float64(s.n)/float64(s.total), 1)
		}
		fields = append(fields, field{"", 1}, field{fmt.Sprintf("%3d%%", int(frac*100)), 5})
		if !s.final {
			eta := "--:--:--"
			// At the average rate so far; past 30 years, unknown (and
			// beyond a Duration).
			avg := float64(s.n) / s.elapsed.Seconds()
			if left := float64(max(s.total-s.n, 0)) / avg; s.n > 0 && avg > 0 && left < 1e9 {
				eta = formatDuration(time.Duration(left * float64(time.Second)))
			}
			fields = append(fields, field{"ETA " + eta, 3})
		}
	}
	for level := 0; level < 6; level++ {
		var parts []string
		bar := -1
		for _, f := range fields {
			switch {
			case f.rank <= level:
			case f.text == "":
				bar = len(parts)
				parts = append(parts, "")
			default:
				parts = append(parts, f.text)
			}
		}
		line := strings.Join(parts, " ")
		if bar >= 0 {
			cells := width - columns(line) - 2 // "[" and "]"
			if width <= 0 {
				cells = 30
			}
			if cells < minBar {
				continue
			}
			parts[bar] = progressBar(frac, cells)
			line = strings.Join(parts, " ")
		}
		if width <= 0 || columns(line) <= width {
			return line
		}
	}
	return ""
}

// progressBar is frac of cells filled: "[====>     ]".
func progressBar(frac float64, cells int) string {
	filled := int(frac * float64(cells))
	bar := strings.Repeat("=", filled)
	if filled < cells {
		bar += ">" + strings.Repeat(" ", cells-filled-1)
	}
	return "[" + bar + "]"
}

// waitingLine is the line while the open of name waits for its other end,
// in at most width columns: less of it where it would be wider.
func waitingLine(other, name string, width int) string {
	for _, s := range []string{"waiting for a " + other + " on " + command.Quotef(name), "waiting for a " + other, "waiting"} {
		if width <= 0 || columns(s) <= width {
			return s
		}
	}
	return ""
}

// numericLine is what --numeric writes, as pv -n: the percentage done, or
// where the total is unknown (pv's figure is then meaningless) the bytes.
func numericLine(n, total int64) string {
	switch {
	case total < 0:
		return strconv.FormatInt(n, 10)
	case total == 0 || n >= total:
		return "100"
	}
	return strconv.Itoa(int(float64(n) / float64(total) * 100))
}

// inputSize is the total size of the operands when all are regular files
// (what is left of stdin, for "-"), for the progress bar; -1 when unknown.
// It opens nothing, so that it never waits for a FIFO.
func inputSize(e *command.Env, names []string) int64 {
	var total int64
	for _, name := range names {
		if name == "-" {
			f, ok := e.Stdin.(*os.File)
			if !ok {
				return -1
			}
			fi, err := f.Stat()
			if err != nil || !fi.Mode().IsRegular() {
				return -1
			}
			off, err := f.Seek(0, io.SeekCurrent)
			if err != nil {
				return -1
			}
			total += max(fi.Size()-off, 0)
			continue
		}
		fi, err := os.Stat(name)
		if err != nil || !fi.Mode().IsRegular() {
			return -1
		}
		total += fi.Size()
	}
	return total
}

// formatDuration is d as H:MM:SS.
func formatDuration(d time.Duration) string {
	s := int64(d / time.Second)
	return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
}
