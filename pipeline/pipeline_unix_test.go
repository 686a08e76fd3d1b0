//go:build unix

package pipeline

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/gopipe/gopipe/fifo"
)

// A stage killed by a signal has status 128+n, as in a shell, and a
// producer killed by SIGPIPE is a broken pipe.
func TestSignalStatuses(t *testing.T) {
	t.Parallel()
	// Only the first stage may end on its own (of SIGPIPE): a later stage
	// that could (head, reading what yes wrote) may see yes die of the
	// signal and end before its own signal reaches it, on a loaded machine.
	p := &Pipeline{Stages: []Stage{helper("yes"), helper("sleep"), helper("sleep")}}
	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	res := mustRun(t, p)
	// Every stage gets the signal as it starts; yes may die of SIGPIPE
	// first, if head is gone.
	for i, st := range res.Stages {
		if sig, ok := st.Signal.(syscall.Signal); !ok || st.Code != 128+int(sig) {
			t.Errorf("stage %d: %+v, want killed by a signal", i, st)
		}
	}
	if st := res.Stages[2]; st.Code != 128+int(syscall.SIGTERM) || st.Signal != syscall.SIGTERM {
		t.Errorf("sleep: %+v, want killed by SIGTERM (143)", st)
	}
	if st := res.Stages[0]; st.Signal == syscall.SIGPIPE && (!st.BrokenPipe || st.Code != 141) {
		t.Errorf("yes: %+v, want 141 and BrokenPipe", st)
	}
}

func TestSIGPIPEStatus(t *testing.T) {
	t.Parallel()
	res := mustRun(t, &Pipeline{Pipefail: true, Stages: []Stage{helper("yes"), helper("head")}})
	if got := codes(res); !slices.Equal(got, []int{141, 0}) || !res.Stages[0].BrokenPipe || res.Code != 0 {
		t.Errorf("PIPESTATUS %v, %+v, Code %d: want [141 0], a broken pipe, 0", got, res.Stages[0], res.Code)
	}
}

// Signal reaches the stages; one that ignores SIGINT carries on.
func TestStageIgnoringSIGINT(t *testing.T) {
	t.Parallel()
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer outR.Close()
	ig := helper("ignoreint")
	ig.Stderr = outW
	p := &Pipeline{Stdin: inR, Stages: []Stage{ig, helper("sleep")}}
	done := make(chan *Result, 1)
	go func() {
		res, err := p.Run(context.Background())
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	br := bufio.NewReader(outR)
	if line, err := br.ReadString('\n'); line != "ready\n" {
		t.Fatalf("read %q, %v", line, err)
	}
	if err := p.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	inW.WriteString("after\n")
	inW.Close()
	res := <-done
	inR.Close()
	outW.Close()
	if got := codes(res); !slices.Equal(got, []int{0, 130}) {
		t.Errorf("PIPESTATUS %v, want [0 130]: ignoreint ignores SIGINT, sleep does not", got)
	}
}

// The stages and their children share one process group, which is not
// ours.
func TestOneProcessGroup(t *testing.T) {
	t.Parallel()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p := &Pipeline{Stdout: w, Stages: []Stage{helper("tree"), helper("cat")}}
	done := make(chan struct{})
	go func() {
		p.Run(context.Background())
		close(done)
	}()
	var stage, child int
	if _, err := fmtSscan(bufio.NewReader(r), &stage, &child); err != nil {
		t.Fatal(err)
	}
	want, err := syscall.Getpgid(stage)
	if err != nil {
		t.Fatal(err)
	}
	if pg, err := syscall.Getpgid(child); err != nil || pg != want {
		t.Errorf("the stage's child is in group %d (%v), the stage in %d", pg, err, want)
	}
	if want == syscall.Getpgrp() {
		t.Errorf("the stages are in our group")
	}
	p.Signal(syscall.SIGKILL)
	<-done
	w.Close()
	waitGone(t, child)
	waitGone(t, stage)
}

// A FIFO handed to a stage is in blocking mode, as programs expect of
// their stdio: package fifo opens it non-blocking.
func TestFIFOIsBlockingForTheStage(t *testing.T) {
	t.Parallel()
	name := tempDir(t) + "/fifo"
	w := helper("echo", "x")
	w.Redirects = []Redirect{{FD: 1, Op: Output, Name: name, MakeFIFO: true}}
	r := helper("blocking")
	r.Redirects = []Redirect{{FD: 0, Op: Input, Name: name, MakeFIFO: true}}
	var out strings.Builder
	res := mustRun(t, &Pipeline{Stdout: &out, Stages: []Stage{w, r}})
	if out.String() != "blocking\n" || res.Code != 0 {
		t.Errorf("stdout %q, PIPESTATUS %v", out.String(), codes(res))
	}
}

// --mkfifo makes a FIFO where the name means nothing to a redirection: an
// endpoint of serve's of that name, in the private directory, does not
// count, since a redirection never opens it.
func TestMakeFIFOBesideEndpoint(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	t.Chdir(t.TempDir())
	l, err := fifo.Listen("same", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if exists("same") {
		t.Fatal("an endpoint counts as the redirection's file")
	}
	if err := fifo.Make("same", fifo.DefaultMode); err != nil {
		t.Fatal(err)
	}
	if !exists("same") {
		t.Fatal("the FIFO made does not count")
	}
}

// A directory cannot be run (126), and its error says it is one (EISDIR),
// as a shell says, where execve(2) says EACCES.
func TestDirectoryCannotRun(t *testing.T) {
	t.Parallel()
	dir := tempDir(t)
	res := mustRun(t, &Pipeline{Stages: []Stage{{Args: []string{dir}}}})
	if res.Code != 126 || !errors.Is(res.Stages[0].Err, syscall.EISDIR) {
		t.Errorf("status %d, error %v; want 126, EISDIR", res.Code, res.Stages[0].Err)
	}
}

// Exec replaces the process with the stage, in its Dir: the same process
// runs it.
func TestExecReplacesTheProcess(t *testing.T) {
	t.Parallel()
	dir := tempDir(t)
	cmd := helperCmd("exec", dir)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if want := fmt.Sprintf("pid %d\n", cmd.Process.Pid); string(out) != want {
		t.Errorf("output %q, want %q", out, want)
	}
}

// Exec returns the status of a stage that cannot run, as Run gives it, and
// refuses at once one with redirections.
func TestExecFailures(t *testing.T) {
	for _, tc := range []struct {
		s    Stage
		code int
		err  error
	}{
		{Stage{Args: []string{"gopipe-no-such-command"}}, 127, exec.ErrNotFound},
		{Stage{Args: []string{"./gopipe-no-such-file"}}, 127, fs.ErrNotExist},
		{Stage{Args: []string{tempDir(t)}}, 126, syscall.EISDIR},
		{Stage{Args: []string{"true"}, Redirects: []Redirect{{FD: 1, Op: Output, Name: "f"}}}, 0, errors.ErrUnsupported},
	} {
		st := Exec(tc.s)
		if st.Code != tc.code || !errors.Is(st.Err, tc.err) {
			t.Errorf("Exec(%q): %d, %v; want %d, %v", tc.s.Args, st.Code, st.Err, tc.code, tc.err)
		}
	}
}
