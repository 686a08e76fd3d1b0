package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopipe/gopipe/internal/testenv"
)

// wchanOf is where pid sleeps in the kernel.
func wchanOf(pid int) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/wchan")
	return string(b)
}

// The classic demo, mkfifo f; ls > f &: info names the shell's child that
// waits in open for a reader, with its command line, and 100 looks at it
// release nothing: the reader that comes then gets the whole listing.
func TestInfoBlockedWriterDemo(t *testing.T) {
	// Which FIFO a blocked open waits on is root's to read where Yama
	// restricts ptrace (as Ubuntu does): the test is of root's view.
	testenv.Root(t)
	dir := t.TempDir()
	gp := gopipe(t)
	if out, err := exec.Command(gp, "mkfifo", filepath.Join(dir, "f")).CombinedOutput(); err != nil {
		t.Fatalf("mkfifo: %v %s", err, out)
	}
	w := exec.Command("sh", "-c", "ls / > f")
	w.Dir = dir
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Process.Kill(); w.Wait() })
	// It blocks in open, which nothing outside announces: poll for it.
	for deadline := time.Now().Add(time.Minute); wchanOf(w.Process.Pid) != "wait_for_partner"; {
		if time.Now().After(deadline) {
			t.Fatal("the writer never blocked in open")
		}
		time.Sleep(time.Millisecond)
	}
	// (Not "opening:   PID": another process may be blocked opening a
	// FIFO too, and listed first.)
	want := " " + strconv.Itoa(w.Process.Pid) + " root write, waiting for a reader: sh -c 'ls / > f'\n"
	for i := 0; i < 100; i++ {
		info := exec.Command(gp, "info", "f")
		info.Dir = dir
		out, err := info.CombinedOutput()
		if err != nil || !strings.Contains(string(out), want) || !strings.Contains(string(out), "held by:   nobody\n") {
			t.Fatalf("info %d: %v, want %q in:\n%s", i, err, want, out)
		}
		if wchanOf(w.Process.Pid) != "wait_for_partner" {
			t.Fatalf("info %d released the writer", i)
		}
	}
	cat := exec.Command(gp, "cat", "f")
	cat.Dir = dir
	got, err := cat.Output()
	ls, _ := exec.Command("ls", "/").Output()
	if err != nil || string(got) != string(ls) {
		t.Fatalf("the reader got %q (%v), want ls's %q", got, err, ls)
	}
}

// An ordinary user sees their own processes and is told that others' may
// exist, rather than shown a guess.
func TestInfoAsUserSaysWhatItCannotSee(t *testing.T) {
	dir := ownedDir(t, userA, 0o755)
	f := filepath.Join(dir, "f")
	gp := gopipe(t)
	if out, err := asUser(t, userA, nil, gp, "mkfifo", "-m", "0666", f).CombinedOutput(); err != nil {
		t.Fatalf("mkfifo: %v %s", err, out)
	}
	// root holds it, and so does userA.
	holders := []*exec.Cmd{exec.Command("sh", "-c", "exec 3<>f; read x"), asUser(t, userA, nil, "sh", "-c", "exec 3<>f; read x")}
	for _, cmd := range holders {
		cmd.Dir = dir
		in, _ := cmd.StdinPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { in.Close(); cmd.Wait() })
	}
	var out string
	for deadline := time.Now().Add(time.Minute); strings.Count(out, "read+write") < 2; {
		if time.Now().After(deadline) {
			t.Fatalf("root's info never showed both holders:\n%s", out)
		}
		o, _ := exec.Command(gp, "info", f).Output()
		out = string(o)
	}
	if strings.Contains(out, "note:") {
		t.Errorf("root sees everything, and is told otherwise:\n%s", out)
	}
	o, errs, err := run(asUser(t, userA, nil, gp, "info", f), "")
	rootPID := strconv.Itoa(holders[0].Process.Pid) + " "
	if err != nil || strings.Count(o, "read+write") != 1 || strings.Contains(o, rootPID) || !strings.Contains(o, "read+write: sh -c 'exec 3<>f; read x'") || !strings.Contains(o, "note:      only your own processes are shown") {
		t.Errorf("info as user %d: %v %s\n%s", userA, err, errs, o)
	}
}

// gopipe's own commands wait differently from sh's: tee blocked on a FIFO
// with no reader pins it with an O_PATH descriptor (which is no reader, and
// info must not take it for one and open it: that would release tee into
// a pipe nobody reads), and cat waits for data in epoll on another thread.
func TestInfoGopipeEnds(t *testing.T) {
	testenv.Root(t) // as TestInfoBlockedWriterDemo
	dir := t.TempDir()
	gp := gopipe(t)
	f := filepath.Join(dir, "f")
	if out, err := exec.Command(gp, "mkfifo", f).CombinedOutput(); err != nil {
		t.Fatalf("mkfifo: %v %s", err, out)
	}
	tee := exec.Command(gp, "tee", f)
	tee.Stdin = strings.NewReader("important\n")
	if err := tee.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tee.Process.Kill(); tee.Wait() })
	info := func() string {
		out, err := exec.Command(gp, "info", f).CombinedOutput()
		if err != nil {
			t.Fatalf("info: %v %s", err, out)
		}
		return string(out)
	}
	want := " " + strconv.Itoa(tee.Process.Pid) + " root write, waiting for a reader: " + gp + " tee " + f + "\n"
	var out string
	for deadline := time.Now().Add(time.Minute); !strings.Contains(out, want); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("info never showed tee waiting for a reader, want %q:\n%s", want, out)
		}
		out = info()
	}
	for i := 0; i < 100; i++ {
		if out := info(); !strings.Contains(out, want) || !strings.Contains(out, "held by:   nobody\n") {
			t.Fatalf("look %d:\n%s", i, out)
		}
	}
	got, err := exec.Command(gp, "cat", f).Output()
	if err != nil || string(got) != "important\n" {
		t.Fatalf("the reader got %q, %v: tee's data went elsewhere", got, err)
	}
	if err := tee.Wait(); err != nil {
		t.Fatalf("tee: %v", err)
	}

	// cat alone waits in open for a writer: it opens the FIFO it has
	// pinned through /proc/self/fd/N, its own, which info reads as such.
	lone := exec.Command(gp, "cat", f)
	if err := lone.Start(); err != nil {
		t.Fatal(err)
	}
	want = " " + strconv.Itoa(lone.Process.Pid) + " root read, waiting for a writer: " + gp + " cat " + f + "\n"
	for deadline := time.Now().Add(time.Minute); !strings.Contains(out, want); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("info never showed cat waiting for a writer, want %q:\n%s", want, out)
		}
		out = info()
	}
	lone.Process.Kill()
	lone.Wait()

	// cat holds the FIFO (a writer holds it too) and waits for data.
	w := exec.Command("sh", "-c", "exec 3>f; read x")
	w.Dir = dir
	win, _ := w.StdinPipe()
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { win.Close(); w.Wait() })
	cat := exec.Command(gp, "cat", f)
	if err := cat.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cat.Process.Kill(); cat.Wait() })
	want = strconv.Itoa(cat.Process.Pid) + " root read, waiting for data: " + gp + " cat " + f + "\n"
	for deadline := time.Now().Add(time.Minute); !strings.Contains(out, want); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("info never showed cat waiting for data, want %q:\n%s", want, out)
		}
		out = info()
	}
}
