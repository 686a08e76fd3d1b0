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
// with a bar and an ETA since the size is known, and it is gone from the
// screen when cat has finished.
//
// The test holds cat back by reading its output, a FIFO, only partly, and
// follows what cat draws through tmux pipe-pane, so it waits on events, not
// on time.
func TestCatProgressInTerminal(t *testing.T) {
	testProgressInTerminal(t, "gopipe cat --progress data > out")
}

// TestTeeProgressInTerminal is the same for gopipe tee, its stdin the file.
func TestTeeProgressInTerminal(t *testing.T) {
	testProgressInTerminal(t, "gopipe tee --progress < data > out")
}

func testProgressInTerminal(t *testing.T, command string) {
	tmuxPath := testenv.Tool(t, "tmux", "tmux")
	bin, err := binDir()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	data := make([]byte, 64<<20)
	rand.NewChaCha8([32]byte{7}).Read(data)
	if err := os.WriteFile(filepath.Join(dir, "data"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"out", "pane"} {
		if err := unix.Mkfifo(filepath.Join(dir, name), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	// A private tmux server: its own socket directory and name, no
	// configuration, our binary first on PATH.
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
	tmux("new-session", "-d", "-s", "t", "-x", "100", "-y", "12", "sh")
	t.Cleanup(func() {
		// The server's socket is under TMUX_TMPDIR: kill it with the
		// same environment, or it outlives the test.
		kill := exec.Command(tmuxPath, "-L", socket, "kill-server")
		kill.Env = env
		kill.Run()
	})

	// Everything the pane shows comes down the pane FIFO.
	tmux("pipe-pane", "-t", "t", "-O", "cat > pane")
	paneFile, err := os.Open(filepath.Join(dir, "pane"))
	if err != nil {
		t.Fatal(err)
	}
	defer paneFile.Close()
	paneFile.SetReadDeadline(time.Now().Add(time.Minute))
	pane := bufio.NewReader(paneFile)

	tmux("send-keys", "-t", "t", fmt.Sprintf("%s; tmux -L %s wait-for -S done", command, socket), "Enter")

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
	line := regexp.MustCompile(`\d+(\.\d+)?[KMG]iB \d+:\d\d:\d\d \[ *[\d.]+[KMG]?i?B/s\] \[=*> *\] +\d+% ETA \d+:\d\d:\d\d`)
	var seen strings.Builder
	for !line.MatchString(seen.String()) {
		b, err := pane.ReadByte()
		if err != nil {
			t.Fatalf("reading the pane: %v; it showed %q", err, seen.String())
		}
		seen.WriteByte(b)
	}
	go io.Copy(io.Discard, pane)

	if _, err := io.Copy(&got, out); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), data) {
		t.Errorf("cat passed on %d bytes, not the %d of the file", got.Len(), len(data))
	}
	tmux("wait-for", "done")
	screen := tmux("capture-pane", "-t", "t", "-p")
	if strings.Contains(screen, "ETA") || strings.Contains(screen, "B/s]") {
		t.Errorf("the progress line is still on the screen:\n%s", screen)
	}
}
