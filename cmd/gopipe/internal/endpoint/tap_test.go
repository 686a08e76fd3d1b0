package endpoint

import (
	"context"
	"crypto/rand"
	"io"
	mrand "math/rand/v2"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command"
	"github.com/gopipe/gopipe/cmd/gopipe/internal/command/commandtest"
	"github.com/gopipe/gopipe/fifo"
)

// startTap runs `gopipe tap ARGS…` in process until the test ends, and
// returns its stdout and stderr. Its end is checked: status 0 once stopped.
func startTap(t *testing.T, args ...string) (stdout, stderr *commandtest.SyncBuffer) {
	t.Helper()
	t.Setenv("XDG_RUNTIME_DIR", commandtest.TempDir(t)) // bare names live there on Unix
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr = &commandtest.SyncBuffer{}, &commandtest.SyncBuffer{}
	e := command.NewEnv(ctx, strings.NewReader(""), stdout, stderr)
	e.Notify = func(chan<- os.Signal, ...os.Signal) {} // ctx stops it, not the test's signals
	e.StopNotify = func(chan<- os.Signal) {}
	done := make(chan int, 1)
	go func() { done <- command.Run(Tap, e.Enter(Tap, "gopipe tap"), args) }()
	t.Cleanup(func() {
		cancel()
		select {
		case s := <-done:
			if s != 0 {
				t.Errorf("tap: status %d; stderr:\n%s", s, stderr)
			}
		case <-time.After(time.Minute):
			t.Errorf("tap did not stop")
		}
	})
	return stdout, stderr
}

// tapName is a fresh name: pipe names are global on Windows.
func tapName(prefix string) string {
	return prefix + "-" + strings.ToLower(rand.Text()[:10])
}

// dialTap connects to name, with a deadline so that a failure cannot hang.
func dialTap(t *testing.T, name string) net.Conn {
	t.Helper()
	c, err := dialWaiting(context.Background(), name, nil, time.Minute)
	if err != nil {
		t.Fatalf("dial %s: %v", name, err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(time.Minute))
	return c
}

// echoUpstream serves one client on name, echoing what it sends until it
// half-closes: a message pipe on Windows as gopipe serve's is (the only
// kind whose clients can half-close there). It stops with the test.
func echoUpstream(t *testing.T, name string) {
	t.Helper()
	l, err := fifo.Listen(name, &fifo.Config{MessageMode: runtime.GOOS == "windows"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		s, err := l.Accept()
		if err != nil {
			return
		}
		defer s.Close()
		io.Copy(s, s)
		closeWrite(s)
	}()
}

// exchange sends msg on c, half-closes, and returns all it reads back.
func exchange(c net.Conn, msg string) (string, error) {
	if _, err := io.WriteString(c, msg); err != nil {
		return "", err
	}
	closeWrite(c)
	b, err := io.ReadAll(c)
	return string(b), err
}

func TestTapWaitsForUpstream(t *testing.T) {
	tap, up := tapName("tap"), tapName("up")
	stdout, stderr := startTap(t, "--text", "--wait", "1m", tap, up)
	c := dialTap(t, tap)
	// The client is connected, and only now does UPSTREAM appear.
	echoUpstream(t, up)
	got, err := exchange(c, "late but there\n")
	if err != nil || got != "late but there\n" {
		t.Fatalf("echo through tap: %q, %v; stderr:\n%s", got, err, stderr)
	}
	if !strings.Contains(stdout.String(), "c>s offset 0, 15 bytes\nlate but there\\n") {
		t.Errorf("tap's record:\n%s", stdout)
	}
}

func TestTapMissingUpstream(t *testing.T) {
	tap, up := tapName("tap"), tapName("none")
	_, stderr := startTap(t, tap, up)
	// Without --wait the client is turned away at once: it reads nothing
	// (an end, or a reset since what it sent was never read).
	if got, _ := exchange(dialTap(t, tap), "anyone?\n"); got != "" {
		t.Errorf("read %q from a tap with no upstream", got)
	}
	if !strings.Contains(stderr.String(), "#1") || !strings.Contains(stderr.String(), "upstream") {
		t.Errorf("tap's log does not say why:\n%s", stderr)
	}
}

func TestTapBadWait(t *testing.T) {
	var out, errb commandtest.SyncBuffer
	e := command.NewEnv(context.Background(), strings.NewReader(""), &out, &errb)
	if s := command.Run(Tap, e.Enter(Tap, "gopipe tap"), []string{"--wait", "soon", "a", "b"}); s != 2 || !strings.Contains(errb.String(), "invalid --wait 'soon'") {
		t.Errorf("status %d, stderr %q", s, errb.String())
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

// When the dump cannot be written, tap still relays the client it has,
// takes no more, and ends with GNU's "write error", status 1.
func TestTapStdoutFails(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", commandtest.TempDir(t))
	tap, up := tapName("tap"), tapName("up")
	echoUpstream(t, up)
	var stderr commandtest.SyncBuffer
	e := command.NewEnv(context.Background(), strings.NewReader(""), failingWriter{}, &stderr)
	e.Notify = func(chan<- os.Signal, ...os.Signal) {}
	e.StopNotify = func(chan<- os.Signal) {}
	done := make(chan int, 1)
	go func() { done <- command.Run(Tap, e.Enter(Tap, "gopipe tap"), []string{tap, up}) }()
	got, err := exchange(dialTap(t, tap), "relayed anyway\n")
	if err != nil || got != "relayed anyway\n" {
		t.Fatalf("through tap: %q, %v", got, err)
	}
	select {
	case s := <-done:
		if s != 1 || !strings.Contains(stderr.String(), "gopipe: write error: ") {
			t.Errorf("status %d, stderr:\n%s", s, stderr.String())
		}
	case <-time.After(time.Minute):
		t.Fatal("tap goes on with no stdout")
	}
}

// TestEscapeTextUnambiguous: --text's dump of a chunk reads back as the
// very bytes, for bytes that look like escapes too, so two different chunks
// never print the same.
func TestEscapeTextUnambiguous(t *testing.T) {
	for in, want := range map[string]string{
		"\x00":          `\x00`,
		`\x00`:          `\\x00`,
		"a\\b":          `a\\b`,
		"tab\there":     `tab\there`,
		"line\n":        `line\n`,
		`line\n`:        `line\\n`,
		"two\nlines":    "two\\n\nlines",
		"crlf\r\n":      `crlf\r\n`,
		"\x7f\xff\xc3":  `\x7f\xff\xc3`,
		"é€😀":           "é€😀",
		"\u200b\u0085":  `\u200b\u0085`,
		"\U000e0001":    `\U000e0001`,
		"\ufffd":        "\ufffd",
		"bell\a\x1b[0m": `bell\x07\x1b[0m`,
	} {
		if got := escapeText([]byte(in)); got != want {
			t.Errorf("escapeText(%q) = %q, want %q", in, got, want)
		}
	}
	seen := map[string]string{}
	rnd := mrand.New(mrand.NewPCG(1, 2))
	for range 20000 {
		// Bytes that make escapes, and their look-alikes.
		const alphabet = "\x00\\x0\nn\t\xff\xc3\xa9a"
		b := make([]byte, rnd.IntN(7))
		for j := range b {
			b[j] = alphabet[rnd.IntN(len(alphabet))]
		}
		out := escapeText(b)
		if prev, ok := seen[out]; ok && prev != string(b) {
			t.Fatalf("%q and %q both print %q", prev, b, out)
		}
		seen[out] = string(b)
		if got := unescapeText(out); got != string(b) {
			t.Fatalf("%q prints %q, which reads back as %q", b, out, got)
		}
	}
}

// unescapeText reads back what escapeText printed, by the rules tap's help
// gives: line breaks removed, then bash's printf %b's escapes.
func unescapeText(s string) string {
	s = strings.ReplaceAll(s, "\n", "")
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case '\\':
			b.WriteByte('\\')
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'x':
			v, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
			b.WriteByte(byte(v))
			i += 2
		case 'u', 'U':
			n := map[byte]int{'u': 4, 'U': 8}[s[i]]
			v, _ := strconv.ParseUint(s[i+1:i+1+n], 16, 32)
			b.WriteRune(rune(v))
			i += n
		}
	}
	return b.String()
}
