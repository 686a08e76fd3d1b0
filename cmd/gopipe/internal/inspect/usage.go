package inspect

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command"
	"github.com/gopipe/gopipe/fifo"
)

// usageOf is who uses in now, if it is a FIFO whose use this OS can see;
// nil otherwise (and then info shows nothing of it).
func usageOf(in fifo.Info) (*fifo.Usage, error) {
	if in.Kind != fifo.KindFIFO && in.Kind != fifo.KindGopipeFIFO {
		return nil, nil
	}
	u, err := fifo.UsageOf(in.Path)
	if errors.Is(err, errors.ErrUnsupported) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// commandLine is a command line as one line, its words quoted where a
// shell would need it and control characters escaped.
func commandLine(argv []string) string {
	words := make([]string, len(argv))
	for i, w := range argv {
		words[i] = command.Quotef(w)
	}
	return strings.Join(words, " ")
}

// endName is the end a process holds or opens.
func endName(p fifo.Process) string {
	switch {
	case p.Read && p.Write:
		return "read+write"
	case p.Read:
		return "read"
	case p.Write:
		return "write"
	}
	return "?"
}

// waitingText says what p waits for, in words.
func waitingText(p fifo.Process) string {
	switch p.Waiting {
	case "read":
		return "waiting for data"
	case "write":
		return "waiting for room (the pipe is full)"
	case "open":
		switch {
		case !p.Sure:
			return "blocked opening a FIFO (which one, only root may tell)"
		case p.Read && !p.Write:
			return "waiting for a writer"
		case p.Write && !p.Read:
			return "waiting for a reader"
		}
		return "waiting for the other end"
	}
	return ""
}

// usageLines are info's lines for u: (key, value) pairs, a key "" going on
// with the one above.
func usageLines(u *fifo.Usage) [][2]string {
	var lines [][2]string
	procLine := func(key string, p fifo.Process, withEnd bool) {
		v := strconv.Itoa(p.PID) + " " + p.User
		if withEnd {
			v += " " + endName(p)
		}
		if w := waitingText(p); w != "" {
			v += ", " + w
		}
		lines = append(lines, [2]string{key, v + ": " + commandLine(p.Command)})
	}
	if len(u.Holders) == 0 {
		lines = append(lines, [2]string{"held by", "nobody"})
	}
	for i, p := range u.Holders {
		procLine(map[bool]string{true: "held by", false: ""}[i == 0], p, true)
	}
	for i, p := range u.Opening {
		procLine(map[bool]string{true: "opening", false: ""}[i == 0], p, p.Sure)
	}
	switch {
	case u.Buffered >= 0 && u.Capacity > 0:
		lines = append(lines, [2]string{"buffered", fmt.Sprintf("%d of %d bytes", u.Buffered, u.Capacity)})
	case len(u.Holders) > 0:
		lines = append(lines, [2]string{"buffered", "unknown (only a reader that holds it may count it)"})
	}
	if u.Partial {
		lines = append(lines, [2]string{"note", "only your own processes are shown: others' may hold or open it too"})
	}
	return lines
}

// jsonProcess is one process in the "held_by" and "opening" arrays.
type jsonProcess struct {
	PID     int      `json:"pid"`
	User    string   `json:"user"`
	UID     int      `json:"uid"`
	Command []string `json:"command"`
	Read    bool     `json:"read"`
	Write   bool     `json:"write"`
	// Waiting is "open", "read", "write" or null.
	Waiting *string `json:"waiting"`
	// Sure: for an opener, known to open this FIFO; true for holders.
	Sure bool `json:"sure"`
}

func jsonProcesses(ps []fifo.Process, holders bool) []jsonProcess {
	out := make([]jsonProcess, 0, len(ps))
	for _, p := range ps {
		cmd := p.Command
		if cmd == nil {
			cmd = []string{}
		}
		out = append(out, jsonProcess{PID: p.PID, User: p.User, UID: p.UID, Command: cmd, Read: p.Read, Write: p.Write, Waiting: nonEmpty(p.Waiting), Sure: holders || p.Sure})
	}
	return out
}

// writeText writes lines through a writer of "key:\tvalue" lines.
func writeUsage(w io.Writer, u *fifo.Usage) {
	for _, l := range usageLines(u) {
		k := l[0]
		if k != "" {
			k += ":"
		}
		fmt.Fprintf(w, "%s\t%s\n", k, command.Visible(l[1]))
	}
}

// frameSeparator is what comes before --watch's frame number frame (from
// 1), info's and graph's alike: on a terminal a clear screen, so that each
// frame replaces the last; elsewhere (a file, a test) a blank line between
// frames, or for JSON nothing (its arrays follow each other).
func frameSeparator(e *command.Env, json bool, frame int) string {
	if f, ok := e.Stdout.(*os.File); ok && command.IsTerminal(f) {
		return "\x1b[H\x1b[2J"
	}
	if frame == 1 || json {
		return ""
	}
	return "\n"
}

// minWatch is the shortest --watch interval.
const minWatch = 10 * time.Millisecond

// watchOption applies --watch[=INTERVAL] or --count N (info's and graph's)
// to what was parsed so far. A bare number is seconds, as watch -n takes it.
func watchOption(o command.Opt, watch bool, interval time.Duration, count int) (bool, time.Duration, int, error) {
	switch o.Key() {
	case "watch":
		watch = true
		if !o.HasValue {
			break
		}
		d, err := o.Duration()
		if secs, ferr := strconv.ParseFloat(o.Value, 64); ferr == nil && secs < 1e9 {
			d, err = time.Duration(secs*float64(time.Second)), nil
		}
		// A frame takes a scan of every process: faster than minWatch
		// would only burn a CPU.
		if err != nil || d < minWatch {
			return watch, interval, count, fmt.Errorf("invalid --watch interval %s (at least %v)", command.Quote(o.Value), minWatch)
		}
		interval = d
	case "count":
		n, err := strconv.Atoi(o.Value)
		if err != nil || n < 1 {
			return watch, interval, count, fmt.Errorf("invalid --count %s", command.Quote(o.Value))
		}
		count = n
	}
	return watch, interval, count, nil
}
