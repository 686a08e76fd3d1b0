package fifo

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// startSh runs script in sh with a pipe to its stdin (which lets it go on
// when the test says), in dir, and kills it at the end.
func startSh(t *testing.T, dir, script string) (*exec.Cmd, io.WriteCloser, *strings.Builder) {
	t.Helper()
	cmd := exec.Command("sh", "-c", script)
	cmd.Dir = dir
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out := &strings.Builder{}
	cmd.Stdout = out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, in, out
}

// until polls cond, a state of other processes that no event announces,
// for up to a minute.
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func wchan(pid int) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/wchan")
	return string(b)
}

func findProc(ps []Process, pid int) *Process {
	for i := range ps {
		if ps[i].PID == pid {
			return &ps[i]
		}
	}
	return nil
}

// A writer blocked opening a FIFO is shown as such, and stays blocked
// however often it is looked at: what it then writes reaches the reader
// whole.
func TestUsageBlockedOpener(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "f")
	if err := Make(f, DefaultMode); err != nil {
		t.Fatal(err)
	}
	w, _, _ := startSh(t, dir, "echo hello > f")
	until(t, "the writer to block in open", func() bool { return wchan(w.Process.Pid) == wchanOpen })
	for i := 0; i < 100; i++ {
		u, err := UsageOf(f)
		if err != nil {
			t.Fatal(err)
		}
		p := findProc(u.Opening, w.Process.Pid)
		if p == nil || p.Waiting != "open" || len(u.Holders) != 0 {
			t.Fatalf("look %d: want pid %d opening, no holders: %+v", i, w.Process.Pid, u)
		}
		if os.Geteuid() == 0 && (!p.Sure || !p.Write || p.Read) {
			t.Fatalf("as root, which FIFO and end it opens is known: %+v", p)
		}
		if wchan(w.Process.Pid) != wchanOpen {
			t.Fatalf("look %d released the writer", i)
		}
	}
	r, err := os.Open(f)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil || string(got) != "hello\n" {
		t.Fatalf("read %q, %v", got, err)
	}
}

// A reader waiting for data, a writer holding its end, the bytes in the
// pipe, and a writer blocked on a full pipe; and the bytes a reader then
// reads are exactly those written: looking took none.
func TestUsageHoldersAndBuffer(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "f")
	if err := Make(f, DefaultMode); err != nil {
		t.Fatal(err)
	}
	// The reader holds f, reads nothing until told, then counts all.
	r, rin, rout := startSh(t, dir, "exec 3<f; read go; wc -c <&3")
	w, win, _ := startSh(t, dir, "exec 3>f; read go; head -c 1000 /dev/zero >&3; read go; head -c 100000 /dev/zero >&3")
	until(t, "both ends to be held", func() bool {
		u, err := UsageOf(f)
		return err == nil && len(u.Holders) == 2
	})
	u, _ := UsageOf(f)
	if p := findProc(u.Holders, r.Process.Pid); p == nil || !p.Read || p.Write {
		t.Errorf("reader: %+v", u.Holders)
	}
	if p := findProc(u.Holders, w.Process.Pid); p == nil || p.Read || !p.Write || p.Waiting != "" {
		t.Errorf("writer: %+v", u.Holders)
	}
	if u.Buffered != 0 || u.Capacity < 4096 {
		t.Errorf("empty pipe: buffered %d, capacity %d", u.Buffered, u.Capacity)
	}
	io.WriteString(win, "\n")
	until(t, "1000 bytes in the pipe", func() bool { u, _ := UsageOf(f); return u.Buffered == 1000 })
	// Then more than the pipe holds: the writer (head, its child) blocks.
	io.WriteString(win, "\n")
	var blocked *Process
	until(t, "the writer to show waiting for room", func() bool {
		u, _ = UsageOf(f)
		for i := range u.Holders {
			if u.Holders[i].Waiting == "write" {
				blocked = &u.Holders[i]
				return true
			}
		}
		return false
	})
	if !blocked.Write || len(blocked.Command) == 0 || blocked.Command[0] != "head" {
		t.Errorf("blocked writer: %+v", blocked)
	}
	// Full: its slots are (a page each, the first one shared with the
	// 1000 bytes written before), so nearly all of its capacity.
	if u.Buffered <= u.Capacity-4096 || u.Buffered > u.Capacity {
		t.Errorf("a full pipe holds %d bytes of %d", u.Buffered, u.Capacity)
	}
	for i := 0; i < 100; i++ {
		UsageOf(f)
	}
	io.WriteString(rin, "\n")
	rin.Close()
	win.Close()
	if err := r.Wait(); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(rout.String()); got != "101000" {
		t.Errorf("the reader read %s bytes, want 101000", got)
	}
}

// A reader blocked in read is shown waiting for data.
func TestUsageReaderWaiting(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "f")
	if err := Make(f, DefaultMode); err != nil {
		t.Fatal(err)
	}
	startSh(t, dir, "exec 3>f; read go")
	r := exec.Command("cat", "f")
	r.Dir = dir
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Process.Kill(); r.Wait() })
	until(t, "cat to wait for data", func() bool {
		u, _ := UsageOf(f)
		p := findProc(u.Holders, r.Process.Pid)
		return p != nil && p.Waiting == "read" && p.Read
	})
}

func TestUsageNotFIFO(t *testing.T) {
	f := filepath.Join(t.TempDir(), "plain")
	os.WriteFile(f, nil, 0o600)
	if _, err := UsageOf(f); !strings.Contains(err.Error(), "regular file") {
		t.Errorf("UsageOf a regular file: %v", err)
	}
}
