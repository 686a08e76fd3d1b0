//go:build unix

package redirect

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command"
	"github.com/gopipe/gopipe/fifo"
)

// redirectT runs `gopipe redirect ARGS…` in process with ctx and the given
// stdio, handing the signal channel it subscribes to to sigc if not nil.
func redirectT(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer, sigc chan chan<- os.Signal, args ...string) int {
	e := command.NewEnv(ctx, stdin, stdout, stderr)
	if sigc != nil {
		e.Notify = func(c chan<- os.Signal, _ ...os.Signal) { sigc <- c }
		e.StopNotify = func(chan<- os.Signal) {}
	}
	return command.Run(Redirect, e.Enter(Redirect, "gopipe redirect"), args)
}

func TestRedirectExitStatuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		script string
		want   int
	}{
		{"exit 0", 0},
		{"exit 1", 1},
		{"exit 3", 3},
		{"kill -TERM $$", 143},
		{"kill -KILL $$", 137},
	} {
		var errb bytes.Buffer
		if got := redirectT(context.Background(), nil, io.Discard, &errb, nil, "--", "sh", "-c", tc.script); got != tc.want {
			t.Errorf("%s: status %d, want %d (%s)", tc.script, got, tc.want, errb.String())
		}
	}
}

func TestRedirectOwnFailures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args   []string
		want   int
		stderr string
	}{
		{[]string{"--", "gopipe-no-such-command"}, 127, "gopipe: redirect: gopipe-no-such-command: "},
		{[]string{"--stdin", "/nonexistent/x", "--", "true"}, 125, "gopipe: redirect: /nonexistent/x: No such file or directory\n"},
		{[]string{"--stdout", "x"}, 2, "gopipe: redirect: missing command\n"},
		{[]string{"--stderr", "x", "--stderr-to-stdout", "--", "true"}, 2, "gopipe: redirect: --stderr and --stderr-to-stdout conflict\n"},
		{[]string{"--bogus", "--", "true"}, 2, "gopipe: unrecognized option '--bogus'\n"},
	} {
		var errb bytes.Buffer
		got := redirectT(context.Background(), nil, io.Discard, &errb, nil, tc.args...)
		if got != tc.want || !strings.HasPrefix(errb.String(), tc.stderr) {
			t.Errorf("%q: status %d, stderr %q; want %d, %q", tc.args, got, errb.String(), tc.want, tc.stderr)
		}
	}
}

func TestRedirectStdoutStderrSeparateAndMerged(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out, errf, both := filepath.Join(dir, "out"), filepath.Join(dir, "err"), filepath.Join(dir, "both")
	script := "echo to-out; echo to-err >&2"
	if s := redirectT(context.Background(), nil, io.Discard, io.Discard, nil, "--stdout", out, "--stderr", errf, "--", "sh", "-c", script); s != 0 {
		t.Fatalf("status %d", s)
	}
	if s := redirectT(context.Background(), nil, io.Discard, io.Discard, nil, "--stdout", both, "--stderr-to-stdout", "--", "sh", "-c", script); s != 0 {
		t.Fatalf("status %d", s)
	}
	// --append appends, to both files.
	if s := redirectT(context.Background(), nil, io.Discard, io.Discard, nil, "--append", "--stdout", out, "--stderr", errf, "--", "sh", "-c", script); s != 0 {
		t.Fatalf("status %d", s)
	}
	for name, want := range map[string]string{out: "to-out\nto-out\n", errf: "to-err\nto-err\n", both: "to-out\nto-err\n"} {
		if got, _ := os.ReadFile(name); string(got) != want {
			t.Errorf("%s = %q, want %q", filepath.Base(name), got, want)
		}
	}
	// To our own stdout and stderr, which are not files here.
	var ob, eb bytes.Buffer
	redirectT(context.Background(), nil, &ob, &eb, nil, "--stdin", out, "--", "sh", "-c", "cat; echo e >&2")
	if ob.String() != "to-out\nto-out\n" || eb.String() != "e\n" {
		t.Errorf("stdout %q, stderr %q", ob.String(), eb.String())
	}
}

func TestRedirectPTY(t *testing.T) {
	t.Parallel()
	script := `if test -t 1; then echo tty; else echo notty; fi; echo line`
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--pty"}, "tty\nline\n"},
		{nil, "notty\nline\n"},
	} {
		var ob, eb bytes.Buffer
		args := append(tc.args, "--", "sh", "-c", script)
		if s := redirectT(context.Background(), nil, &ob, &eb, nil, args...); s != 0 || ob.String() != tc.want {
			t.Errorf("%q: status %d, stdout %q (stderr %q), want %q", tc.args, s, ob.String(), eb.String(), tc.want)
		}
	}
	// Its exit status is ours, and its window size is that of a terminal.
	var ob bytes.Buffer
	if s := redirectT(context.Background(), nil, &ob, io.Discard, nil, "--pty", "--", "sh", "-c", "stty size </dev/tty; exit 3"); s != 3 || ob.String() != "24 80\n" {
		t.Errorf("status %d, stdout %q; want 3, %q", s, ob.String(), "24 80\n")
	}
}

// A child that ignores SIGINT lives on after we pass it on, and its exit
// status is ours.
func TestRedirectChildIgnoringSIGINT(t *testing.T) {
	t.Parallel()
	inR, inW, _ := os.Pipe()
	outR, outW, _ := os.Pipe()
	defer outR.Close()
	sigc := make(chan chan<- os.Signal, 1)
	done := make(chan int, 1)
	go func() {
		done <- redirectT(context.Background(), inR, outW, io.Discard, sigc,
			"--", "sh", "-c", `trap "" INT; echo ready; read x; echo got $x`)
		inR.Close()
		outW.Close()
	}()
	sig := <-sigc
	br := bufio.NewReader(outR)
	if line, err := br.ReadString('\n'); line != "ready\n" {
		t.Fatalf("read %q, %v", line, err)
	}
	sig <- os.Interrupt
	inW.WriteString("more\n")
	inW.Close()
	if s := <-done; s != 0 {
		t.Errorf("status %d, want 0", s)
	}
	if rest, _ := io.ReadAll(br); string(rest) != "got more\n" {
		t.Errorf("then %q", rest)
	}
}

// A signal we get reaches the child.
func TestRedirectForwardsSignals(t *testing.T) {
	t.Parallel()
	outR, outW, _ := os.Pipe()
	defer outR.Close()
	sigc := make(chan chan<- os.Signal, 1)
	done := make(chan int, 1)
	go func() {
		done <- redirectT(context.Background(), nil, outW, io.Discard, sigc, "--", "sh", "-c", "echo ready; exec sleep 30")
		outW.Close()
	}()
	sig := <-sigc
	if line, _ := bufio.NewReader(outR).ReadString('\n'); line != "ready\n" {
		t.Fatalf("read %q", line)
	}
	sig <- syscall.SIGTERM
	if s := <-done; s != 143 {
		t.Errorf("status %d, want 143", s)
	}
}

// A grandchild holding our stdout open does not hold us past a bound;
// what the child wrote is delivered.
func TestRedirectGrandchildHoldingStdout(t *testing.T) {
	t.Parallel()
	var ob bytes.Buffer
	start := time.Now()
	s := redirectT(context.Background(), nil, &ob, io.Discard, nil, "--", "sh", "-c", "sleep 30 & echo $!")
	if s != 0 {
		t.Errorf("status %d", s)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(ob.String()))
	if err != nil {
		t.Fatalf("stdout %q", ob.String())
	}
	syscall.Kill(pid, syscall.SIGKILL)
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("took %v", d)
	}
}

// Cancelling kills the child and what it started.
func TestRedirectCancelLeavesNoProcess(t *testing.T) {
	t.Parallel()
	outR, outW, _ := os.Pipe()
	defer outR.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- redirectT(ctx, nil, outW, io.Discard, nil, "--", "sh", "-c", "sleep 30 & echo $$ $!; wait")
		outW.Close()
	}()
	line, _ := bufio.NewReader(outR).ReadString('\n')
	var pids []int
	for _, f := range strings.Fields(line) {
		pid, _ := strconv.Atoi(f)
		pids = append(pids, pid)
	}
	if len(pids) != 2 {
		t.Fatalf("read %q", line)
	}
	cancel()
	if s := <-done; s != 137 {
		t.Errorf("status %d, want 137", s)
	}
	for _, pid := range pids {
		waitGone(t, pid)
	}
}

// Waiting for a FIFO's reader ends with ctrl-C.
func TestRedirectFIFOWaitCancelledBySIGINT(t *testing.T) {
	t.Parallel()
	name := filepath.Join(t.TempDir(), "fifo")
	if err := fifo.Make(name, fifo.DefaultMode); err != nil {
		t.Fatal(err)
	}
	sigc := make(chan chan<- os.Signal, 1)
	done := make(chan int, 1)
	go func() {
		done <- redirectT(context.Background(), nil, io.Discard, io.Discard, sigc, "--stdout", name, "--", "echo", "x")
	}()
	(<-sigc) <- os.Interrupt
	if s := <-done; s != 130 {
		t.Errorf("status %d, want 130", s)
	}
}

func TestRedirectThroughFIFO(t *testing.T) {
	t.Parallel()
	name := filepath.Join(t.TempDir(), "fifo")
	done := make(chan int, 1)
	go func() {
		done <- redirectT(context.Background(), nil, io.Discard, io.Discard, nil, "--mkfifo", "--stdout", name, "--", "echo", "through")
	}()
	// The reader waits for the FIFO to be made.
	var f *os.File
	for {
		var err error
		if f, err = fifo.OpenReader(context.Background(), name); err == nil {
			break
		}
		if !os.IsNotExist(err) {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond) // polling for the name, not synchronising on it
	}
	got, _ := io.ReadAll(f)
	f.Close()
	if s := <-done; s != 0 || string(got) != "through\n" {
		t.Errorf("status %d, read %q", s, got)
	}
}

// waitGone waits for pid to be gone (a zombie counts), or fails.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := syscall.Kill(pid, 0); err == syscall.ESRCH {
			return
		}
		if stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil {
			if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Errorf("process %d is still there", pid)
			syscall.Kill(pid, syscall.SIGKILL)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
