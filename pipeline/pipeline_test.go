package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopipe/gopipe/fifo"
)

func codes(r *Result) []int {
	var c []int
	for _, s := range r.Stages {
		c = append(c, s.Code)
	}
	return c
}

func mustRun(t *testing.T, p *Pipeline) *Result {
	t.Helper()
	res, err := p.Run(context.Background())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res
}

func TestExitStatuses(t *testing.T) {
	t.Parallel()
	p := &Pipeline{Stages: []Stage{helper("exit", "3"), helper("exit", "0"), helper("exit", "1")}}
	res := mustRun(t, p)
	if got := codes(res); !slices.Equal(got, []int{3, 0, 1}) {
		t.Errorf("PIPESTATUS = %v, want [3 0 1]", got)
	}
	if res.Code != 1 {
		t.Errorf("Code = %d, want the last stage's, 1", res.Code)
	}
}

func TestPipefailRightmostFailure(t *testing.T) {
	t.Parallel()
	p := &Pipeline{Pipefail: true, Stages: []Stage{helper("exit", "3"), helper("exit", "4"), helper("cat")}}
	if res := mustRun(t, p); res.Code != 4 {
		t.Errorf("Code = %d, want 4 (rightmost failure); PIPESTATUS %v", res.Code, codes(res))
	}
}

func TestDataFlowsThroughStages(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	p := &Pipeline{
		Stdin:  strings.NewReader("hello\nworld\n"),
		Stdout: &out,
		Stages: []Stage{helper("cat"), helper("cat"), helper("head")},
	}
	res := mustRun(t, p)
	if out.String() != "hello\n" {
		t.Errorf("stdout = %q, want %q", out.String(), "hello\n")
	}
	if res.Code != 0 {
		t.Errorf("PIPESTATUS %v", codes(res))
	}
}

func TestStdoutAndStderrSeparate(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	p := &Pipeline{Stdout: &out, Stderr: &errOut, Stages: []Stage{helper("both", "to-out", "to-err")}}
	mustRun(t, p)
	if out.String() != "to-out\n" || errOut.String() != "to-err\n" {
		t.Errorf("stdout %q, stderr %q; want %q, %q", out.String(), errOut.String(), "to-out\n", "to-err\n")
	}
}

func TestPerStageStderr(t *testing.T) {
	t.Parallel()
	var errA, errB, errP bytes.Buffer
	a := helper("both", "a-out", "a-err")
	a.Stderr = &errA
	b := helper("both", "b-out", "b-err")
	b.Stderr = &errB
	c := helper("both", "c-out", "c-err")
	mustRun(t, &Pipeline{Stderr: &errP, Stages: []Stage{a, b, c, helper("cat")}})
	if errA.String() != "a-err\n" || errB.String() != "b-err\n" || errP.String() != "c-err\n" {
		t.Errorf("stderrs %q %q %q", errA.String(), errB.String(), errP.String())
	}
}

func TestStderrMergedInOrder(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	s := helper("both", "first", "second")
	s.Redirects = []Redirect{{FD: 2, Op: Dup, Src: 1}}
	mustRun(t, &Pipeline{Stdout: &out, Stderr: &errOut, Stages: []Stage{s}})
	if out.String() != "first\nsecond\n" || errOut.Len() != 0 {
		t.Errorf("stdout %q, stderr %q; want both in stdout", out.String(), errOut.String())
	}
}

func TestStderrIntoPipe(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	s := helper("both", "o", "e")
	s.Redirects = []Redirect{{FD: 2, Op: Dup, Src: 1}}
	mustRun(t, &Pipeline{Stdout: &out, Stages: []Stage{s, helper("cat")}})
	if out.String() != "o\ne\n" {
		t.Errorf("stdout %q, want %q", out.String(), "o\ne\n")
	}
}

// `2>&1 >file` sends stderr where stdout was, and stdout to the file.
func TestRedirectionsApplyInOrder(t *testing.T) {
	t.Parallel()
	dir := tempDir(t)
	f := filepath.Join(dir, "f")
	var out, errOut bytes.Buffer
	s := helper("both", "o", "e")
	s.Redirects = []Redirect{{FD: 2, Op: Dup, Src: 1}, {FD: 1, Op: Output, Name: f}}
	mustRun(t, &Pipeline{Stdout: &out, Stderr: &errOut, Stages: []Stage{s}})
	got, _ := os.ReadFile(f)
	if string(got) != "o\n" || out.String() != "e\n" || errOut.Len() != 0 {
		t.Errorf("file %q stdout %q stderr %q; want %q %q %q", got, out.String(), errOut.String(), "o\n", "e\n", "")
	}
}

func TestFileRedirections(t *testing.T) {
	t.Parallel()
	dir := tempDir(t)
	in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out")
	if err := os.WriteFile(in, []byte("data\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, []byte("old contents\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := helper("cat")
	s.Redirects = []Redirect{{FD: 0, Op: Input, Name: in}, {FD: 1, Op: Output, Name: out}}
	mustRun(t, &Pipeline{Stages: []Stage{s}})
	s.Redirects[1].Op = Append
	mustRun(t, &Pipeline{Stages: []Stage{s}})
	if got, _ := os.ReadFile(out); string(got) != "data\ndata\n" {
		t.Errorf("out = %q, want truncated then appended", got)
	}
}

// A stage's redirections name files relative to its Dir, as a shell's
// do after cd.
func TestRedirectionsRelativeToDir(t *testing.T) {
	t.Parallel()
	dir := tempDir(t)
	if err := os.WriteFile(filepath.Join(dir, "in"), []byte("data\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := helper("cat")
	s.Dir = dir
	s.Redirects = []Redirect{{FD: 0, Op: Input, Name: "in"}, {FD: 1, Op: Output, Name: "out"}}
	mustRun(t, &Pipeline{Stages: []Stage{s}})
	if got, err := os.ReadFile(filepath.Join(dir, "out")); string(got) != "data\n" {
		t.Errorf("out in Dir = %q, %v; want %q", got, err, "data\n")
	}
}

func TestMissingInputFailsOnlyItsStage(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	s := helper("cat")
	s.Redirects = []Redirect{{FD: 0, Op: Input, Name: filepath.Join(tempDir(t), "nothing")}}
	res := mustRun(t, &Pipeline{Stdout: &out, Stages: []Stage{s, helper("echo", "still", "runs")}})
	if got := codes(res); !slices.Equal(got, []int{1, 0}) {
		t.Errorf("PIPESTATUS %v, want [1 0]", got)
	}
	if !errors.Is(res.Stages[0].Err, os.ErrNotExist) {
		t.Errorf("stage 0 error %v, want ErrNotExist", res.Stages[0].Err)
	}
	if out.String() != "still runs\n" {
		t.Errorf("stdout %q", out.String())
	}
}

func TestCommandNotFound(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	res := mustRun(t, &Pipeline{
		Stdout: &out,
		Stages: []Stage{{Args: []string{"gopipe-no-such-command"}}, helper("cat")},
	})
	if got := codes(res); !slices.Equal(got, []int{127, 0}) {
		t.Errorf("PIPESTATUS %v, want [127 0]", got)
	}
	if !errors.Is(res.Stages[0].Err, exec.ErrNotFound) {
		t.Errorf("error %v, want exec.ErrNotFound", res.Stages[0].Err)
	}
}

func TestInvalidPipelines(t *testing.T) {
	t.Parallel()
	for _, p := range []*Pipeline{
		{},
		{Stages: []Stage{{}}},
		{Stages: []Stage{{Args: []string{"x"}, Redirects: []Redirect{{FD: 3, Op: Dup, Src: 1}}}}},
		{Stages: []Stage{{Args: []string{"x"}, Redirects: []Redirect{{FD: 1, Op: Output}}}}},
	} {
		if _, err := p.Run(context.Background()); err == nil {
			t.Errorf("%+v: no error", p.Stages)
		}
	}
}

// A producer that fails because its consumer has gone does not fail the
// pipeline under pipefail, unless StrictPipefail says so.
func TestPipefailIgnoresBrokenPipe(t *testing.T) {
	t.Parallel()
	for _, strict := range []bool{false, true} {
		var out bytes.Buffer
		p := &Pipeline{Stdout: &out, Pipefail: true, StrictPipefail: strict, Stages: []Stage{helper("yes"), helper("head")}}
		res := mustRun(t, p)
		if !res.Stages[0].BrokenPipe || res.Stages[0].Code == 0 {
			t.Fatalf("yes: %+v, want a broken-pipe failure", res.Stages[0])
		}
		want := 0
		if strict {
			want = res.Stages[0].Code
		}
		if res.Code != want {
			t.Errorf("strict=%v: Code %d, want %d", strict, res.Code, want)
		}
		if out.String() != "y\n" {
			t.Errorf("stdout %q", out.String())
		}
	}
}

// A failure before the consumer ends is a real one.
func TestPipefailCountsEarlyFailure(t *testing.T) {
	t.Parallel()
	res := mustRun(t, &Pipeline{Pipefail: true, Stages: []Stage{helper("exit", "5"), helper("cat")}})
	if res.Stages[0].BrokenPipe || res.Code != 5 {
		t.Errorf("%+v, Code %d: want a failure of 5", res.Stages[0], res.Code)
	}
}

func TestFIFORedirections(t *testing.T) {
	t.Parallel()
	name := filepath.Join(tempDir(t), "fifo")
	if runtime.GOOS == "windows" {
		name = "gopipe-pipeline-test-" + strconv.Itoa(os.Getpid())
	}
	if err := fifo.Make(name, fifo.DefaultMode); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fifo.Remove(name) })
	// Both ends are opened by the same pipeline, at once.
	w := helper("echo", "through", "the", "fifo")
	w.Redirects = []Redirect{{FD: 1, Op: Output, Name: name}}
	r := helper("cat")
	r.Redirects = []Redirect{{FD: 0, Op: Input, Name: name}}
	var out bytes.Buffer
	res := mustRun(t, &Pipeline{Stdout: &out, Stages: []Stage{w, r}})
	if out.String() != "through the fifo\n" || res.Code != 0 {
		t.Errorf("stdout %q, PIPESTATUS %v", out.String(), codes(res))
	}
}

func TestMakeFIFO(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("a Windows FIFO's name is a pipe's, not a path in TempDir")
	}
	name := filepath.Join(tempDir(t), "new")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	w := helper("echo", "made")
	w.Redirects = []Redirect{{FD: 1, Op: Output, Name: name, MakeFIFO: true}}
	r := helper("cat")
	r.Redirects = []Redirect{{FD: 0, Op: Input, Name: name, MakeFIFO: true}}
	var out bytes.Buffer
	if _, err := (&Pipeline{Stdout: &out, Stages: []Stage{w, r}}).Run(ctx); err != nil {
		t.Fatal(err)
	}
	if out.String() != "made\n" {
		t.Errorf("stdout %q", out.String())
	}
	if fi, err := os.Lstat(name); err != nil || fi.Mode().Type() != os.ModeNamedPipe {
		t.Errorf("%s: %v, %v: want a FIFO", name, fi, err)
	}
}

// An open of a FIFO nobody else opens ends with the context.
func TestCancelWhileOpeningFIFO(t *testing.T) {
	t.Parallel()
	name := filepath.Join(tempDir(t), "fifo")
	if runtime.GOOS == "windows" {
		t.Skip("a Windows FIFO writer does not wait for a reader")
	}
	if err := fifo.Make(name, fifo.DefaultMode); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := helper("echo", "x")
	s.Redirects = []Redirect{{FD: 1, Op: Output, Name: name}}
	done := make(chan struct{})
	var res *Result
	var err error
	go func() {
		res, err = (&Pipeline{Stages: []Stage{s}}).Run(ctx)
		close(done)
	}()
	cancel()
	<-done
	if !errors.Is(err, context.Canceled) || res.Stages[0].Code == 0 {
		t.Errorf("err %v, status %+v; want context.Canceled and a failure", err, res.Stages[0])
	}
}

// Cancelling kills every stage and what they started.
func TestCancelLeavesNoProcess(t *testing.T) {
	t.Parallel()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := &Pipeline{Stdout: w, Stages: []Stage{helper("tree"), helper("cat")}}
	done := make(chan error, 1)
	var res *Result
	go func() {
		var err error
		res, err = p.Run(ctx)
		done <- err
	}()
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatalf("reading pids: %v", err)
	}
	var pids []int
	for _, f := range strings.Fields(line) {
		pid, _ := strconv.Atoi(f)
		pids = append(pids, pid)
	}
	cancel()
	err = <-done
	w.Close()
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run: %v, want context.Canceled", err)
	}
	for i, st := range res.Stages {
		if st.Code == 0 {
			t.Errorf("stage %d: %+v, want killed", i, st)
		}
	}
	for _, pid := range pids {
		waitGone(t, pid)
	}
}

// A grandchild holding the pipeline's stdout does not hold the pipeline
// past WaitDelay; what was written before is delivered.
func TestGrandchildHoldingStdout(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	p := &Pipeline{Stdout: &out, WaitDelay: 200 * time.Millisecond, Stages: []Stage{helper("spawn")}}
	res := mustRun(t, p)
	pid, err := strconv.Atoi(strings.TrimSpace(out.String()))
	if err != nil {
		t.Fatalf("stdout %q: %v", out.String(), err)
	}
	killPid(pid)
	waitGone(t, pid)
	st := res.Stages[0]
	if st.Code != 0 || !errors.Is(st.Err, exec.ErrWaitDelay) {
		t.Errorf("status %+v, want 0 with exec.ErrWaitDelay", st)
	}
}

func TestSignalBeforeStart(t *testing.T) {
	t.Parallel()
	p := &Pipeline{Stages: []Stage{helper("sleep")}}
	if err := p.Signal(os.Kill); err != nil {
		t.Fatal(err)
	}
	res := mustRun(t, p)
	if res.Code == 0 {
		t.Errorf("status %+v, want killed", res.Stages[0])
	}
}

func TestRunTwice(t *testing.T) {
	t.Parallel()
	p := &Pipeline{Stages: []Stage{helper("exit", "0")}}
	mustRun(t, p)
	if _, err := p.Run(context.Background()); !errors.Is(err, ErrStarted) {
		t.Errorf("second Run: %v, want ErrStarted", err)
	}
}

// Four stages move 1 GiB, every byte checked at the end.
func TestGigabyteThroughFourStages(t *testing.T) {
	if testing.Short() {
		t.Skip("1 GiB: not with -short")
	}
	t.Parallel()
	const size = 1 << 30
	var out bytes.Buffer
	start := time.Now()
	res := mustRun(t, &Pipeline{
		Stdout: &out,
		Stages: []Stage{helper("gen", strconv.Itoa(size)), helper("cat"), helper("cat"), helper("check")},
	})
	if got := codes(res); !slices.Equal(got, []int{0, 0, 0, 0}) {
		t.Errorf("PIPESTATUS %v; stdout %q", got, out.String())
	}
	if strings.TrimSpace(out.String()) != strconv.Itoa(size) {
		t.Errorf("check: %q, want %d bytes", out.String(), size)
	}
	t.Logf("1 GiB in %v", time.Since(start))
}

// waitGone waits for pid to be gone, or fails after a while.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !processGone(pid) {
		if time.Now().After(deadline) {
			t.Errorf("process %d is still there", pid)
			killPid(pid)
			return
		}
		runtime.Gosched()
	}
}

var _ io.Writer = (*os.File)(nil)
