package cattee

import (
	"bytes"
	"context"
	"errors"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestStatusLine(t *testing.T) {
	got := statusLine(status{n: 3 << 20, total: -1, elapsed: 65 * time.Second, rate: 1 << 20}, 79)
	if want := "3.00MiB 0:01:05 [1.00MiB/s]"; got != want {
		t.Errorf("size unknown: %q, want %q", got, want)
	}
	known := status{n: 1 << 30, total: 4 << 30, elapsed: 2 * time.Second, rate: 512 << 20}
	for _, tc := range []struct {
		width int
		want  string
	}{
		{79, "1.00GiB 0:00:02 [ 512MiB/s] [========>" + strings.Repeat(" ", 23) + "]  25% ETA 0:00:06"},
		// 40 columns: no room for a bar worth the name; the time elapsed
		// goes next, the ETA matters more once the size is known.
		{39, "1.00GiB [ 512MiB/s]  25% ETA 0:00:06"},
		{30, "1.00GiB [ 512MiB/s]  25%"},
		{19, "1.00GiB  25%"},
		{10, "1.00GiB"},
		{6, ""},
	} {
		if got := statusLine(known, tc.width); got != tc.want {
			t.Errorf("width %d:\n%q, want\n%q", tc.width, got, tc.want)
		}
	}
	if got := statusLine(status{n: 0, total: 2}, 79); !strings.Contains(got, "ETA --:--:--") {
		t.Errorf("nothing yet: %q, want an unknown ETA", got)
	}
	final := statusLine(status{n: 4 << 30, total: 4 << 30, elapsed: 8 * time.Second, rate: 512 << 20, final: true}, 79)
	if want := "4.00GiB 0:00:08 [ 512MiB/s] [" + strings.Repeat("=", 44) + "] 100%"; final != want {
		t.Errorf("summary:\n%q, want\n%q", final, want)
	}
}

// TestStatusLineWidths: at every width, the line fits, and what it shows
// is whole fields: nothing is cut through.
func TestStatusLineWidths(t *testing.T) {
	fields := regexp.MustCompile(`^ *\d+(\.\d+)?[KMGTPE]?i?B$|^\d+:\d\d:\d\d$|^\[ *[\d.]+[KMGTPE]?i?B/s\]$|^\[=*>? *\]$|^\d+%$|^ETA$|^--:--:--$`)
	for _, s := range []status{
		{n: 1 << 30, total: 4 << 30, elapsed: 2 * time.Second, rate: 512 << 20},
		{n: 3 << 20, total: -1, elapsed: 65 * time.Second, rate: 1 << 20},
		{n: 4 << 30, total: 4 << 30, elapsed: 8 * time.Second, rate: 512 << 20, final: true},
		{n: 1000, total: 1 << 40, elapsed: 99 * time.Hour, rate: 1},
	} {
		full := statusLine(s, 0)
		for width := 1; width <= 120; width++ {
			line := statusLine(s, width)
			if columns(line) > width {
				t.Errorf("width %d: %q is wider", width, line)
			}
			if width >= columns(full)+7 && !strings.Contains(line, "[") {
				t.Errorf("width %d: %q has room for everything", width, line)
			}
			// The bar's spaces make it several words: join it again.
			// The bar's and the rate's spaces make them several words:
			// join them again.
			line = regexp.MustCompile(`\[ +`).ReplaceAllString(line, "[")
			line = regexp.MustCompile(`\[[=>]* *\]`).ReplaceAllStringFunc(line, func(b string) string {
				return strings.ReplaceAll(b, " ", "")
			})
			for _, w := range strings.Fields(line) {
				if !fields.MatchString(w) {
					t.Errorf("width %d: %q has %q, no whole field", width, line, w)
				}
			}
		}
	}
}

func TestWaitingLine(t *testing.T) {
	for width, want := range map[int]string{
		79: "waiting for a writer on in",
		25: "waiting for a writer",
		19: "waiting",
		5:  "",
	} {
		if got := waitingLine("writer", "in", width); got != want {
			t.Errorf("width %d: %q, want %q", width, got, want)
		}
	}
	if got := waitingLine("reader", "a\nb", 79); got != "waiting for a reader on 'a'$'\\n''b'" {
		t.Errorf("a name with a newline: %q", got)
	}
}

// TestRateSmoothed: a source that writes a tenth of a second's worth at a
// time (as pv -L does), at a steady 50 MiB/s, sampled four times a second
// with a little lateness: the rate shown holds within 2%, where the last
// interval's rate, what was shown before, swings between 40 and 60 MiB/s.
func TestRateSmoothed(t *testing.T) {
	const rate = 50 << 20
	var samples []sample
	var worst, worstInterval float64
	prev := sample{}
	for i := 1; i <= 60; i++ {
		at := time.Duration(i)*progressInterval + time.Duration(i*7%5)*time.Millisecond
		n := int64(at/(100*time.Millisecond)) * rate / 10 // the bursts so far
		samples = addSample(samples, sample{at, n})
		if len(samples) > 2*int(rateWindow/progressInterval) {
			t.Fatalf("%d samples kept, for a window of %v", len(samples), rateWindow)
		}
		interval := float64(n-prev.n) / (at - prev.t).Seconds()
		prev = sample{at, n}
		if at < rateWindow {
			continue
		}
		worst = max(worst, math.Abs(rateOf(samples)/rate-1))
		worstInterval = max(worstInterval, math.Abs(interval/rate-1))
	}
	if worst > 0.02 {
		t.Errorf("the rate shown is off by up to %.1f%%", 100*worst)
	}
	if worstInterval < 0.15 {
		t.Errorf("the last interval's rate is off by up to %.1f%% only: the test shows nothing", 100*worstInterval)
	}
	if r := rateOf([]sample{{time.Second, 5}}); r != 0 {
		t.Errorf("one sample: rate %v", r)
	}
}

func TestStopwatch(t *testing.T) {
	t0 := time.Now()
	s := stopwatch{start: t0}
	s.pause(t0.Add(time.Second))
	if got := s.elapsed(t0.Add(5 * time.Second)); got != time.Second {
		t.Errorf("paused: %v", got)
	}
	s.resume(t0.Add(9 * time.Second))
	if got := s.elapsed(t0.Add(10 * time.Second)); got != 2*time.Second {
		t.Errorf("after the pause: %v", got)
	}
}

// TestProgressTerminal: on a terminal the line is redrawn in place with the
// counts, a message erases it first, and the summary is written once at
// the end and stays, with the average rate and no ETA.
func TestProgressTerminal(t *testing.T) {
	var w bytes.Buffer
	t0 := time.Now()
	p := newProgressAt(&w, progressTerminal, 4<<20, func() int { return 80 }, t0)
	p.add(1 << 20)
	p.tick(t0.Add(progressInterval))
	if got := w.String(); !strings.HasPrefix(got, "\r1.00MiB 0:00:00 [4.00MiB/s] [") || !strings.HasSuffix(got, " 25% ETA 0:00:00") || strings.Contains(got, "\n") {
		t.Errorf("first line %q", got)
	}
	w.Reset()
	p.stderr(&w).Write([]byte("cat: x: No such file or directory\n"))
	if got := w.String(); !strings.HasPrefix(got, "\r"+strings.Repeat(" ", 79)+"\rcat: x:") {
		t.Errorf("a message while the line is drawn: %q", got)
	}
	w.Reset()
	p.add(3 << 20)
	p.final(t0.Add(2 * time.Second))
	want := "\r4.00MiB 0:00:02 [2.00MiB/s] [" + strings.Repeat("=", 44) + "] 100%\n"
	if got := w.String(); got != want {
		t.Errorf("summary\n%q, want\n%q", got, want)
	}
}

// TestProgressLines: not on a terminal, a line a second, each ending in a
// newline, none repeated (a wait's), and the summary last.
func TestProgressLines(t *testing.T) {
	var w bytes.Buffer
	t0 := time.Now()
	p := newProgressAt(&w, progressLines, -1, func() int { return linesWidth }, t0)
	now := t0
	p.now = func() time.Time { return now }
	p.waitFor("writer", "in")
	for i := 1; i <= 8; i++ {
		now = t0.Add(time.Duration(i) * progressInterval)
		p.tick(now)
	}
	p.opened()
	p.add(2048)
	for i := 9; i <= 12; i++ {
		now = t0.Add(time.Duration(i) * progressInterval)
		p.tick(now)
	}
	p.final(t0.Add(6 * time.Second))
	lines := strings.SplitAfter(w.String(), "\n")
	if len(lines) != 4 || lines[3] != "" || strings.Contains(w.String(), "\r") {
		t.Fatalf("lines %q, want 3", lines)
	}
	if lines[0] != "waiting for a writer on in\n" {
		t.Errorf("while waiting: %q", lines[0])
	}
	if !strings.HasPrefix(lines[1], "2.00KiB 0:00:01 [") {
		t.Errorf("once copying: %q (the wait is not counted)", lines[1])
	}
	if lines[2] != "2.00KiB 0:00:04 [   512B/s]\n" {
		t.Errorf("summary: %q, want the average rate", lines[2])
	}
}

func TestProgressNumeric(t *testing.T) {
	for _, tc := range []struct {
		total int64
		want  string
	}{
		{4096, "25\n50\n100\n"},
		{-1, "1024\n2048\n4096\n"},
	} {
		var w bytes.Buffer
		t0 := time.Now()
		p := newProgressAt(&w, progressNumeric, tc.total, func() int { return linesWidth }, t0)
		for i := 1; i <= 8; i++ {
			p.add(256)
			p.tick(t0.Add(time.Duration(i) * progressInterval))
		}
		p.add(2048)
		p.final(t0.Add(3 * time.Second))
		if got := w.String(); got != tc.want {
			t.Errorf("total %d: %q, want %q", tc.total, got, tc.want)
		}
	}
}

// chanWriter hands each write to a channel.
type chanWriter chan string

func (c chanWriter) Write(p []byte) (int, error) {
	c <- string(p)
	return len(p), nil
}

// TestProgressDraws: the goroutine draws what was counted, and finish
// leaves the summary; a nil progress does nothing.
func TestProgressDraws(t *testing.T) {
	w := make(chanWriter, 100)
	p := newProgressAt(w, progressTerminal, -1, func() int { return 80 }, time.Now())
	go p.run(time.Millisecond)
	p.add(2048)
	for line := range w {
		if strings.HasPrefix(line, "\r2.00KiB ") {
			break
		}
	}
	p.finish()
	var last string
	for len(w) > 0 {
		last = <-w
	}
	if !strings.HasPrefix(last, "\r2.00KiB ") || !strings.HasSuffix(last, "\n") {
		t.Errorf("last write %q is not the summary", last)
	}
	var nilp *progress
	nilp.add(1)
	nilp.waitFor("writer", "x")
	nilp.opened()
	nilp.finish()
	if nilp.stderr(w) != w {
		t.Error("a nil progress changes stderr")
	}
}

// fakeClock is the limiter's time, moved on by its sleeps.
type fakeClock struct{ now time.Time }

func (c *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	c.now = c.now.Add(d)
	return ctx.Err()
}

// TestLimiter: the chunks go at the rate, however late the timers; a copy
// whose input stalled catches up by no more than limiterSlack's worth; a
// cancelled wait returns at once.
func TestLimiter(t *testing.T) {
	c := &fakeClock{now: time.Now()}
	l := newLimiter(context.Background(), 1<<20)
	l.now, l.sleep, l.next = func() time.Time { return c.now }, c.sleep, c.now
	start := c.now
	if l.chunk() != int(float64(1<<20)*limiterChunk.Seconds()) {
		t.Errorf("chunk %d", l.chunk())
	}
	var sent int
	for sent < 10<<20 {
		n := l.chunk()
		if err := l.wait(n); err != nil {
			t.Fatal(err)
		}
		sent += n
		c.now = c.now.Add(time.Millisecond) // a late timer, and the write
	}
	if d := c.now.Sub(start); d < 9900*time.Millisecond || d > 10100*time.Millisecond {
		t.Errorf("10 MiB at 1 MiB/s took %v", d)
	}
	c.now = c.now.Add(time.Hour) // the input stalls
	at := c.now
	for sent = 0; sent < 1<<20; sent += l.chunk() {
		l.wait(l.chunk())
	}
	if d := c.now.Sub(at); d < time.Second-limiterSlack-limiterChunk {
		t.Errorf("1 MiB after a stall took %v", d)
	}
	if newLimiter(context.Background(), 0) != nil {
		t.Error("rate 0: a limiter")
	}
	if l := newLimiter(context.Background(), 3); l.chunk() != 1 {
		t.Errorf("3 bytes a second: chunks of %d", l.chunk())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	l = newLimiter(ctx, 1)
	l.wait(1)
	begin := time.Now()
	if err := l.wait(1); !errors.Is(err, context.Canceled) || time.Since(begin) > 500*time.Millisecond {
		t.Errorf("cancelled wait: %v after %v", err, time.Since(begin))
	}
}
