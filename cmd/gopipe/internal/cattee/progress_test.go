package cattee

import (
	"strings"
	"testing"
	"time"
)

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0B", 1023: "1023B", 1024: "1.00KiB", 1536: "1.50KiB", 10 << 10: "10.0KiB",
		999 << 10: "999KiB", 1000 << 10: "0.98MiB", 123 << 20: "123MiB", 5 << 30: "5.00GiB",
	} {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestProgressLine(t *testing.T) {
	got := progressLine(3<<20, 0, 65*time.Second, 1<<20, 79)
	if want := "3.00MiB 0:01:05 [1.00MiB/s]"; got != want {
		t.Errorf("size unknown: %q, want %q", got, want)
	}
	got = progressLine(1<<30, 4<<30, 2*time.Second, 512<<20, 79)
	want := "1.00GiB 0:00:02 [ 512MiB/s] [========>" + strings.Repeat(" ", 23) + "]  25% ETA 0:00:06"
	if got != want || len(got) != 79 {
		t.Errorf("size known:\n%q, want\n%q", got, want)
	}
	if got := progressLine(1, 2, time.Second, 1, 30); len(got) > 30 {
		t.Errorf("narrow terminal: %q is wider than 30", got)
	}
	if got := progressLine(0, 2, 0, 0, 79); !strings.Contains(got, "ETA --:--:--") {
		t.Errorf("nothing yet: %q, want an unknown ETA", got)
	}
}

// chanWriter hands each write to a channel.
type chanWriter chan string

func (c chanWriter) Write(p []byte) (int, error) {
	c <- string(p)
	return len(p), nil
}

// TestProgressDrawsAndClears: the line is drawn from its goroutine with
// what was counted, and finish blanks it out.
func TestProgressDrawsAndClears(t *testing.T) {
	w := make(chanWriter, 100)
	p := startProgress(w, 0, func() int { return 80 }, time.Millisecond)
	p.add(2048)
	var line string
	for line = range w {
		if strings.Contains(line, "2.00KiB") {
			break
		}
	}
	if !strings.HasPrefix(line, "\r") {
		t.Errorf("line %q does not start with CR", line)
	}
	p.finish()
	var last string
	for len(w) > 0 {
		last = <-w
	}
	if strings.Trim(last, "\r ") != "" || !strings.HasPrefix(last, "\r") || !strings.HasSuffix(last, "\r") {
		t.Errorf("last write %q does not blank the line", last)
	}
	var nilp *progress
	nilp.add(1)
	nilp.finish()
}
