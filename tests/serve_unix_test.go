//go:build unix

package tests

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gopipe/gopipe/internal/testenv"
)

// These drive gopipe serve and dial through scenarios a script cannot
// sequence: other users (via setpriv, as root), a server killed mid-stream.

func gopipe(t testing.TB) string {
	t.Helper()
	dir, err := binDir()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "gopipe")
}

// sharedDir is a sticky world-writable directory, as /tmp is, that other
// users can reach.
func sharedDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "gopipe-e2e")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o1777)
	return dir
}

// startServe starts gopipe serve and waits for its "listening" line.
func startServe(t *testing.T, args ...string) (cmd *exec.Cmd, log *serverLog) {
	t.Helper()
	return startServeCmd(t, exec.Command(gopipe(t), append([]string{"serve"}, args...)...))
}

// startServeCmd starts cmd, a gopipe serve, and waits for its "listening"
// line.
func startServeCmd(t *testing.T, cmd *exec.Cmd) (*exec.Cmd, *serverLog) {
	t.Helper()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	log := followLog(stderr)
	log.waitFor(t, "listening on")
	return cmd, log
}

// followLog reads a server's log from r, a line at a time.
func followLog(r io.Reader) *serverLog {
	log := &serverLog{lines: make(chan string, 100)}
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			log.lines <- sc.Text()
		}
		close(log.lines)
	}()
	return log
}

// serverLog is what a server writes to stderr, a line at a time.
type serverLog struct {
	lines chan string
	seen  []string
}

// waitFor reads the log until a line contains s (the server writes it
// when a client ends, asynchronously to the client) or the log ends.
func (l *serverLog) waitFor(t *testing.T, s string) string {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case line, ok := <-l.lines:
			if !ok {
				t.Fatalf("log ended without %q:\n%s", s, strings.Join(l.seen, "\n"))
			}
			l.seen = append(l.seen, line)
			if strings.Contains(line, s) {
				return line
			}
		case <-timeout:
			t.Fatalf("log lacks %q after 10s:\n%s", s, strings.Join(l.seen, "\n"))
		}
	}
}

// dialAs runs gopipe dial as uid (-1: ourselves) with stdin.
func dialAs(t *testing.T, uid int, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	argv := append([]string{gopipe(t), "dial"}, args...)
	if uid >= 0 {
		testenv.Root(t)
		id := strconv.Itoa(uid)
		argv = append([]string{testenv.Tool(t, "setpriv", "util-linux"), "--reuid=" + id, "--regid=" + id, "--clear-groups", "--"}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

const nobody = 65534

func TestServeRefusesOtherUser(t *testing.T) {
	sock := filepath.Join(sharedDir(t), "s")
	// --allow-user for a third uid makes the socket reachable (0666), so
	// that only serve's uid check stands in nobody's way.
	_, log := startServe(t, "--allow-user", "12345", sock)
	out, errs, _ := dialAs(t, nobody, "secret\n", sock)
	if out != "" {
		t.Fatalf("a refused client got %q", out)
	}
	if !strings.Contains(errs, "it refuses clients it does not allow") {
		t.Errorf("the refused client is not told why: %q", errs)
	}
	if line := log.waitFor(t, "refused pid"); !strings.Contains(line, "user nobody: not allowed") || strings.Count(line, "nobody") != 1 {
		t.Errorf("the refusal does not name the user once: %s", line)
	}
}

func TestServeAllowUser(t *testing.T) {
	sock := filepath.Join(sharedDir(t), "s")
	_, log := startServe(t, "--allow-user", "nobody", sock)
	out, errs, err := dialAs(t, nobody, "let me in\n", sock)
	if err != nil || out != "let me in\n" {
		t.Fatalf("allowed client: %v %q %s", err, out, errs)
	}
	log.waitFor(t, "user nobody): 10 bytes in, 10 out")
}

func TestDefaultSocketDeniesOtherUser(t *testing.T) {
	sock := filepath.Join(sharedDir(t), "s")
	startServe(t, sock)
	_, errs, err := dialAs(t, nobody, "x", sock)
	if err == nil || !strings.Contains(errs, "Permission denied") {
		t.Fatalf("nobody reached a 0600 socket: %v %s", err, errs)
	}
}

func TestDialRefusesSymlink(t *testing.T) {
	dir := sharedDir(t)
	sock := filepath.Join(dir, "s")
	startServe(t, sock)
	link := filepath.Join(dir, "link")
	os.Symlink(sock, link)
	_, errs, err := dialAs(t, -1, "x", link)
	if err == nil || !strings.Contains(errs, "Not a socket: it is a symbolic link") {
		t.Fatalf("dial through a symlink: %v %s", err, errs)
	}
}

func TestServeReplacesStaleSocket(t *testing.T) {
	sock := filepath.Join(sharedDir(t), "s")
	cmd, _ := startServe(t, sock)
	cmd.Process.Kill() // dies without removing its socket
	cmd.Wait()
	if _, err := os.Lstat(sock); err != nil {
		t.Fatalf("no stale socket to test with: %v", err)
	}
	startServe(t, sock)
	out, errs, err := dialAs(t, -1, "fresh\n", sock)
	if err != nil || out != "fresh\n" {
		t.Fatalf("%v %q %s", err, out, errs)
	}
}

// A server killed mid-stream leaves its client with a clear error.
func TestServerKilledMidStream(t *testing.T) {
	sock := filepath.Join(sharedDir(t), "s")
	srv, _ := startServe(t, sock)
	dial := exec.Command(gopipe(t), "dial", sock)
	in, _ := dial.StdinPipe()
	out, _ := dial.StdoutPipe()
	var errb bytes.Buffer
	dial.Stderr = &errb
	if err := dial.Start(); err != nil {
		t.Fatal(err)
	}
	in.Write([]byte("first\n"))
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "first\n" {
		t.Fatalf("echo: %q %v", line, err)
	}
	srv.Process.Kill()
	err = dial.Wait()
	in.Close()
	if err == nil {
		t.Fatal("dial exited 0 after its server was killed")
	}
	if !strings.Contains(errb.String(), "the server closed the connection before the end of input") {
		t.Fatalf("unclear error: %q", errb.String())
	}
}

// ctrl-C stops accepting, lets the clients finish within the grace period,
// and exits 0.
func TestServeGracefulStop(t *testing.T) {
	sock := filepath.Join(sharedDir(t), "s")
	srv, log := startServe(t, "--grace", "200ms", sock)
	dial := exec.Command(gopipe(t), "dial", sock)
	in, _ := dial.StdinPipe()
	out, _ := dial.StdoutPipe()
	dial.Start()
	in.Write([]byte("hold\n"))
	bufio.NewReader(out).ReadString('\n')
	srv.Process.Signal(syscall.SIGINT)
	if err := srv.Wait(); err != nil {
		t.Fatalf("serve after ctrl-C: %v", err)
	}
	in.Close()
	dial.Wait()
	log.waitFor(t, "grace period over: closing 1 clients")
	log.waitFor(t, "cut off at shutdown")
}

// A client that dies mid-message does not disturb the others.
func TestServeClientDiesMidMessage(t *testing.T) {
	sock := filepath.Join(sharedDir(t), "s")
	_, log := startServe(t, sock)
	good := exec.Command(gopipe(t), "dial", sock)
	in, _ := good.StdinPipe()
	out, _ := good.StdoutPipe()
	if err := good.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { in.Close(); good.Wait() }()
	r := bufio.NewReader(out)
	in.Write([]byte("before\n"))
	if line, err := r.ReadString('\n'); err != nil || line != "before\n" {
		t.Fatalf("%q %v", line, err)
	}
	// The bad client sends half a message and dies: its socket closes
	// under the server with the message unfinished.
	bad, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	bad.Write([]byte("half a mess"))
	bad.Close()
	log.waitFor(t, "client 2 ")
	in.Write([]byte("after\n"))
	if line, err := r.ReadString('\n'); err != nil || line != "after\n" {
		t.Fatalf("the good client after the bad one died: %q %v", line, err)
	}
}

// After ctrl-C, SIGTERM or SIGHUP (a closed terminal), serve and tap are
// gone and so is their name: in every run, not in most.
func TestServerNameGoneAfterSignal(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		for _, server := range []string{"serve", "tap"} {
			for range 10 {
				sock := filepath.Join(sharedDir(t), "s")
				args := []string{"serve", sock}
				if server == "tap" {
					args = []string{"tap", sock, "upstream"}
				}
				cmd := exec.Command(gopipe(t), args...)
				stderr, err := cmd.StderrPipe()
				if err != nil {
					t.Fatal(err)
				}
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				log := followLog(stderr)
				log.waitFor(t, map[string]string{"serve": "listening on", "tap": "tapping"}[server])
				cmd.Process.Signal(sig)
				cmd.Wait()
				if _, err := os.Lstat(sock); err == nil {
					t.Fatalf("%s left its socket behind after %v", server, sig)
				}
			}
		}
	}
}

// A second ctrl-C ends serve at once, its clients cut off, however long
// the grace: it dies of that signal, as users expect, its name gone.
func TestServeSecondSignal(t *testing.T) {
	sock := filepath.Join(sharedDir(t), "s")
	srv, log := startServe(t, "--grace", "1h", sock)
	dial := exec.Command(gopipe(t), "dial", sock)
	in, _ := dial.StdinPipe()
	out, _ := dial.StdoutPipe()
	if err := dial.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { in.Close(); dial.Wait() }()
	in.Write([]byte("held\n"))
	bufio.NewReader(out).ReadString('\n')
	srv.Process.Signal(syscall.SIGINT)
	log.waitFor(t, "stopping")
	srv.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- srv.Wait() }()
	select {
	case err := <-done:
		ws, _ := srv.ProcessState.Sys().(syscall.WaitStatus)
		if !ws.Signaled() || ws.Signal() != syscall.SIGINT {
			t.Errorf("serve after a second SIGINT: %v, want a death by SIGINT", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve still runs 30s after a second SIGINT")
	}
	log.waitFor(t, "interrupt again: closing 1 clients")
	if _, err := os.Lstat(sock); err == nil {
		t.Error("serve left its socket behind")
	}
}

// A name with a control character in it stays on its line in serve's log
// and in ls: escaped, or quoted as GNU ls quotes it.
func TestNamesWithControlCharacters(t *testing.T) {
	dir := sharedDir(t)
	name := filepath.Join(dir, "x\ny")
	_, log := startServe(t, name)
	cmd := exec.Command(gopipe(t), "ls", dir)
	out, err := cmd.Output()
	if err != nil || !strings.Contains(string(out), `'x'$'\n''y'`) || strings.Count(string(out), "\n") != 1 {
		t.Errorf("ls: %v %q", err, out)
	}
	if line := log.seen[len(log.seen)-1]; !strings.HasSuffix(line, `listening on `+dir+`/x\ny`) {
		t.Errorf("serve's log: %q", line)
	}
}
