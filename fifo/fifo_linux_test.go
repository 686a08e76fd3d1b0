package fifo

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopipe/gopipe/internal/testenv"
)

// Security is enforced by the kernel only against other users, and root
// ignores file permissions: these tests run as root (as CI does) and play
// the other side as ordinary uids through setpriv.

const (
	otherUID = 65534 // nobody
	thirdUID = 12345 // needs no passwd entry
)

var sharedBinary = sync.OnceValues(func() (string, error) {
	// The test binary sits in a private build directory: copy it where
	// other uids can run it.
	dir, err := os.MkdirTemp("", "gopipe-test-bin")
	if err != nil {
		return "", err
	}
	os.Chmod(dir, 0o755)
	src, err := os.Executable()
	if err != nil {
		return "", err
	}
	b, err := os.ReadFile(src)
	if err != nil {
		return "", err
	}
	dst := filepath.Join(dir, "fifo.test")
	return dst, os.WriteFile(dst, b, 0o755)
})

// asUser returns a command running the test helper as uid/gid.
func asUser(t *testing.T, uid int, helper string, args ...string) *exec.Cmd {
	t.Helper()
	bin, err := sharedBinary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := runAs(t, uid, append([]string{bin}, args...)...)
	cmd.Env = append(os.Environ(), helperEnv+"="+helper)
	return cmd
}

// runAs returns a command running argv as uid (and gid uid).
func runAs(t *testing.T, uid int, argv ...string) *exec.Cmd {
	t.Helper()
	testenv.Root(t)
	setpriv := testenv.Tool(t, "setpriv", "util-linux")
	id := strconv.Itoa(uid)
	return exec.Command(setpriv, append([]string{"--reuid=" + id, "--regid=" + id, "--clear-groups", "--"}, argv...)...)
}

// sharedDir makes a directory other users can use, with the given mode.
func sharedDir(t *testing.T, mode os.FileMode) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "gopipe-shared")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, mode); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestOtherUserDeniedOnFIFO(t *testing.T) {
	cmd := asUser(t, otherUID, "read")
	name := filepath.Join(sharedDir(t, 0o755), "f")
	if err := Make(name, DefaultMode); err != nil {
		t.Fatal(err)
	}
	cmd.Args = append(cmd.Args, name)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("uid %d opened a 0600 FIFO of root: %s", otherUID, out)
	}
	if !strings.Contains(string(out), "permission denied") || !strings.Contains(string(out), name) {
		t.Fatalf("error does not say which pipe and why: %s", out)
	}
}

// A FIFO of another user in a sticky world-writable directory (as in /tmp):
// its reader opens it whatever fs.protected_fifos says (the kernel checks
// only O_CREAT opens, and GNU cat makes none); its writer only where the
// kernel would let GNU tee's O_CREAT open through. The sysctl is left as
// the machine has it: TestSysctlProtectedFIFOs sets each value.
func TestFIFOOfOtherUserInStickyDir(t *testing.T) {
	creat := asUser(t, otherUID, "creat")
	name := fifoOf(t, thirdUID, 0o666, filepath.Join(sharedDir(t, 0o1777), "f"))
	// With a reader and writer of root's holding it open, the kernel's
	// O_CREAT open either goes through at once or is refused.
	hold, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	creat.Args = append(creat.Args, name)
	_, kernelRefuses := creat.CombinedOutput()
	hold.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rc := openAsync(ctx, name, false)
	w := asUser(t, otherUID, "write", name, "from another user")
	out, err := w.CombinedOutput()
	if kernelRefuses != nil {
		if err == nil || !strings.Contains(string(out), "permission denied") {
			t.Fatalf("writer as uid %d where protected_fifos refuses: %v: %s", otherUID, err, out)
		}
		// The reader still opens, for a writer of the FIFO's owner.
		own := asUser(t, thirdUID, "write", name, "from another user")
		if out, err := own.CombinedOutput(); err != nil {
			t.Fatalf("writer as the owner, uid %d: %v: %s", thirdUID, err, out)
		}
	} else if err != nil {
		t.Fatalf("writer as uid %d: %v: %s", otherUID, err, out)
	}
	r := <-rc
	if r.err != nil {
		t.Fatal(r.err)
	}
	defer r.f.Close()
	got, _ := io.ReadAll(r.f)
	if string(got) != "from another user" {
		t.Fatalf("read %q", got)
	}
}

// fifoOf makes a FIFO of uid's with mode at name, and returns name.
func fifoOf(t *testing.T, uid int, mode os.FileMode, name string) string {
	t.Helper()
	if err := Make(name, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(name, uid, uid); err != nil {
		t.Fatal(err)
	}
	return name
}

// startServer runs Listen in the test process on a socket other users can
// reach at the file level, so that only the listener's uid check stands
// between them and the server.
func startServer(t *testing.T, cfg *Config) (name string, refused chan Peer) {
	t.Helper()
	name = filepath.Join(sharedDir(t, 0o755), "s")
	refused = make(chan Peer, 10)
	cfg.Refused = func(p Peer, err error) { refused <- p }
	l, err := Listen(name, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	os.Chmod(name, 0o666)
	wg := echo(l)
	t.Cleanup(wg.Wait)
	t.Cleanup(func() { l.Close() })
	return name, refused
}

func TestListenerRefusesOtherUser(t *testing.T) {
	dial := asUser(t, otherUID, "dial")
	name, refused := startServer(t, &Config{})
	dial.Args = append(dial.Args, name, "hello")
	out, err := dial.CombinedOutput()
	if err == nil {
		t.Fatalf("uid %d was served: %s", otherUID, out)
	}
	select {
	case p := <-refused:
		if p.UserID != strconv.Itoa(otherUID) || p.PID == 0 {
			t.Errorf("refused peer %+v, want uid %d with a pid", p, otherUID)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the refusal was not reported")
	}
}

func TestListenerAllowUser(t *testing.T) {
	dial := asUser(t, otherUID, "dial")
	name, refused := startServer(t, &Config{AllowUsers: []string{"nobody"}})
	dial.Args = append(dial.Args, name, "hello")
	out, err := dial.CombinedOutput()
	if err != nil || string(out) != "hello" {
		t.Fatalf("allowed uid %d: %v: %q", otherUID, err, out)
	}
	if len(refused) != 0 {
		t.Fatal("an allowed peer was refused")
	}
}

func TestSocketFileDeniesOtherUser(t *testing.T) {
	dial := asUser(t, otherUID, "dial")
	dir := sharedDir(t, 0o755)
	name := filepath.Join(dir, "s")
	l, err := Listen(name, nil) // 0600: the kernel refuses the connect
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	dial.Args = append(dial.Args, name, "hello")
	out, err := dial.CombinedOutput()
	if err == nil || !bytes.Contains(out, []byte("permission denied")) {
		t.Fatalf("uid %d reached a 0600 socket: %v: %s", otherUID, err, out)
	}
}

// A client refuses a server run by another user (not root, not trusted):
// it could be an impostor that took the name.
func TestDialRefusesOtherUsersServer(t *testing.T) {
	serve := asUser(t, otherUID, "serve")
	name := filepath.Join(sharedDir(t, 0o1777), "s")
	serve.Args = append(serve.Args, name, "root")
	stdout, err := serve.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	serve.Stderr = &stderr
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { serve.Process.Kill(); serve.Wait() }()
	if err := waitReady(stdout); err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, name, nil)
	if err == nil {
		c.Close()
		t.Fatal("Dial accepted a server of another user")
	}
	if !strings.Contains(err.Error(), "nobody") {
		t.Errorf("error does not name the server's user: %v", err)
	}
	// Trusting that user lets the same dial through.
	c, err = Dial(ctx, name, &Config{TrustServers: []string{"nobody"}})
	if err != nil {
		t.Fatalf("Dial with TrustServers: %v", err)
	}
	c.Close()
}

// A client that dies mid-message does not disturb the other clients.
func TestClientDyingMidMessage(t *testing.T) {
	l, name := listenT(t, nil)
	wg := echo(l)
	defer wg.Wait()
	defer l.Close()
	good := dialT(t, name, nil)
	defer good.Close()
	bad, err := net.Dial("unix", name)
	if err != nil {
		t.Fatal(err)
	}
	bad.Write([]byte("half a mess"))
	bad.Close()
	good.Write([]byte("still fine"))
	got := make([]byte, 10)
	if _, err := io.ReadFull(good, got); err != nil || string(got) != "still fine" {
		t.Fatalf("%q, %v", got, err)
	}
}

// A reader without write permission cannot release a blocking open(2), so
// it waits in the poller alone: it must still meet its writer and give up
// on time.
func TestReaderWithoutWritePermission(t *testing.T) {
	read := asUser(t, otherUID, "read")
	name := filepath.Join(sharedDir(t, 0o755), "f")
	if err := Make(name, 0o644); err != nil {
		t.Fatal(err)
	}
	timeout := asUser(t, otherUID, "read-timeout", name)
	if out, err := timeout.CombinedOutput(); err != nil {
		t.Fatalf("read-timeout: %v: %s", err, out)
	}
	read.Args = append(read.Args, name)
	var out bytes.Buffer
	read.Stdout, read.Stderr = &out, &out
	if err := read.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	w, err := OpenWriter(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("to a reader that may not write"))
	w.Close()
	if err := read.Wait(); err != nil || out.String() != "to a reader that may not write" {
		t.Fatalf("reader: %v: %q", err, out.String())
	}
}

// A writer without read permission retries its open instead of blocking.
func TestWriterWithoutReadPermission(t *testing.T) {
	write := asUser(t, otherUID, "write")
	name := filepath.Join(sharedDir(t, 0o755), "f")
	if err := Make(name, 0o622); err != nil {
		t.Fatal(err)
	}
	write.Args = append(write.Args, name, "from a writer that may not read")
	var out bytes.Buffer
	write.Stdout, write.Stderr = &out, &out
	if err := write.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r, err := OpenReader(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, _ := io.ReadAll(r)
	if err := write.Wait(); err != nil || string(got) != "from a writer that may not read" {
		t.Fatalf("writer: %v: %s; read %q", err, out.String(), got)
	}
}
