//go:build unix

package tests

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gopipe/gopipe/internal/testenv"
)

// TestCatProgressInTerminal runs gopipe cat --progress in a real terminal,
// a tmux pane: the pv-like line appears on it while the copy is under way,
// with a bar and an ETA since the size is known, and when cat has finished
// the summary stays on the screen, once: the total, the time, the average
// rate, a full bar, no ETA.
//
// The test holds cat back by reading its output, a FIFO, only partly, and
// follows what cat draws through tmux pipe-pane, so it waits on events, not
// on time.
func TestCatProgressInTerminal(t *testing.T) {
	testProgressInTerminal(t, "gopipe cat --progress data > out", 100)
}

// TestTeeProgressInTerminal is the same for gopipe tee, its stdin the file.
func TestTeeProgressInTerminal(t *testing.T) {
	testProgressInTerminal(t, "gopipe tee --progress < data > out", 100)
}

// TestProgressInNarrowTerminal: at 40 columns the line leaves out whole
// fields (the bar, then the time elapsed) rather than being cut through or
// wrapping, and so does the summary.
func TestProgressInNarrowTerminal(t *testing.T) {
	testProgressInTerminal(t, "gopipe cat --progress data > out", 40)
}

// Fields of the progress line, as regexps.
const (
	reBytes = `\d+(\.\d+)?[KMG]iB`
	reTime  = `\d+:\d\d:\d\d`
	reRate  = `\[ *[\d.]+[KMG]?i?B/s\]`
)

func testProgressInTerminal(t *testing.T, command string, width int) {
	dir := t.TempDir()
	data := make([]byte, 64<<20)
	rand.NewChaCha8([32]byte{7}).Read(data)
	if err := os.WriteFile(filepath.Join(dir, "data"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mkfifo(filepath.Join(dir, "out"), 0o600); err != nil {
		t.Fatal(err)
	}
	term := startTmux(t, dir, width)
	term.run(command)

	out, err := os.Open(filepath.Join(dir, "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	out.SetReadDeadline(time.Now().Add(time.Minute))
	var got bytes.Buffer
	if _, err := io.CopyN(&got, out, 1<<20); err != nil {
		t.Fatal(err)
	}
	// cat is now stuck with most of the data to go: wait for its line.
	line := regexp.MustCompile(reBytes + ` ` + reTime + ` ` + reRate + ` \[=*> *\] +\d+% ETA ` + reTime)
	// The summary is padded over what the line showed before.
	summary := regexp.MustCompile(`(?m)^ *64\.0MiB ` + reTime + ` ` + reRate + ` \[=+\] 100% *$`)
	if width < 80 {
		line = regexp.MustCompile(reBytes + ` ` + reRate + ` +\d+% ETA ` + reTime)
		summary = regexp.MustCompile(`(?m)^64\.0MiB ` + reTime + ` ` + reRate + ` 100% *$`)
	}
	term.waitFor(line)
	drawn := term.seen.String()
	drawn = drawn[strings.LastIndexByte(drawn, '\r')+1:]
	if len(drawn) >= width {
		t.Errorf("the line %q is %d columns wide, on a terminal of %d", drawn, len(drawn), width)
	}

	if _, err := io.Copy(&got, out); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), data) {
		t.Errorf("cat passed on %d bytes, not the %d of the file", got.Len(), len(data))
	}
	screen := term.done()
	if n := len(summary.FindAllString(screen, -1)); n != 1 || strings.Contains(screen, "ETA") {
		t.Errorf("the screen shows the summary %d times, want once and no ETA:\n%s", n, screen)
	}
	if l := summary.FindString(screen); len(strings.TrimRight(l, " ")) >= width {
		t.Errorf("the summary is %d columns wide, on a terminal of %d:\n%s", len(l), width, screen)
	}
}

// TestProgressWaitingInTerminal: while cat waits for a writer on a FIFO,
// and tee for a reader, the line says so; the summary replaces it once the
// copy is over.
func TestProgressWaitingInTerminal(t *testing.T) {
	for _, tc := range []struct {
		command, hint string
		flag          int // how the test opens the FIFO
	}{
		{"gopipe cat --progress fifo > out", "waiting for a writer on fifo", os.O_WRONLY},
		{"echo hi | gopipe tee --progress fifo > out", "waiting for a reader on fifo", os.O_RDONLY},
	} {
		dir := t.TempDir()
		fifo := filepath.Join(dir, "fifo")
		if err := unix.Mkfifo(fifo, 0o600); err != nil {
			t.Fatal(err)
		}
		term := startTmux(t, dir, 100)
		term.run(tc.command)
		term.waitFor(regexp.MustCompile(regexp.QuoteMeta(tc.hint)))
		f, err := os.OpenFile(fifo, tc.flag, 0)
		if err != nil {
			t.Fatal(err)
		}
		if tc.flag == os.O_WRONLY {
			f.WriteString("hi\n")
		} else {
			io.Copy(io.Discard, f)
		}
		f.Close()
		screen := term.done()
		if strings.Contains(screen, "waiting") || !regexp.MustCompile(`(?m)^ +3B `+reTime+` `+reRate+` *$`).MatchString(screen) {
			t.Errorf("%s: want the summary in place of the hint:\n%s", tc.command, screen)
		}
	}
}

// tmuxTerm is a private tmux server with one pane, a shell in dir.
type tmuxTerm struct {
	t      *testing.T
	tmux   func(args ...string) string
	socket string
	pane   *bufio.Reader
	seen   strings.Builder
}

// startTmux starts a tmux server whose one pane is width columns wide: its
// own socket directory and name, no configuration, our binary first on
// PATH. Everything the pane shows comes down a FIFO, which waitFor reads.
func startTmux(t *testing.T, dir string, width int) *tmuxTerm {
	tmuxPath := testenv.Tool(t, "tmux", "tmux")
	bin, err := binDir()
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Mkfifo(filepath.Join(dir, "pane"), 0o600); err != nil {
		t.Fatal(err)
	}
	socket := fmt.Sprintf("gopipe-test-%d", rand.Uint64())
	env := []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"TMUX_TMPDIR=" + dir, "HOME=" + dir, "TERM=xterm", "LANG=C.UTF-8"}
	tmux := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(tmuxPath, append([]string{"-L", socket, "-f", "/dev/null"}, args...)...)
		cmd.Env, cmd.Dir = env, dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	tmux("new-session", "-d", "-s", "t", "-x", fmt.Sprint(width), "-y", "12", "sh")
	t.Cleanup(func() {
		// The server's socket is under TMUX_TMPDIR: kill it with the
		// same environment, or it outlives the test.
		kill := exec.Command(tmuxPath, "-L", socket, "kill-server")
		kill.Env = env
		kill.Run()
	})
	tmux("pipe-pane", "-t", "t", "-O", "cat > pane")
	paneFile, err := os.Open(filepath.Join(dir, "pane"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { paneFile.Close() })
	paneFile.SetReadDeadline(time.Now().Add(time.Minute))
	return &tmuxTerm{t: t, tmux: tmux, socket: socket, pane: bufio.NewReader(paneFile)}
}

// run types command into the pane, to signal when it is done.
func (term *tmuxTerm) run(command string) {
	term.tmux("send-keys", "-t", "t", fmt.Sprintf("%s; tmux -L %s wait-for -S done", command, term.socket), "Enter")
}

// waitFor reads what the pane shows until re matches it.
func (term *tmuxTerm) waitFor(re *regexp.Regexp) {
	term.t.Helper()
	for !re.MatchString(term.seen.String()) {
		b, err := term.pane.ReadByte()
		if err != nil {
			term.t.Fatalf("reading the pane: %v; it showed %q", err, term.seen.String())
		}
		term.seen.WriteByte(b)
	}
}

// done waits for the command to end and returns the screen, its wrapped
// lines joined.
func (term *tmuxTerm) done() string {
	go io.Copy(io.Discard, term.pane)
	term.tmux("wait-for", "done")
	return term.tmux("capture-pane", "-t", "t", "-p", "-J")
}
