// Package pipeline runs commands connected stdout to stdin, as a shell runs
// `a | b | c`, on Unix and Windows alike.
//
// Each [Stage] is a command with its own stderr and its own redirections to
// files, FIFOs or Windows named pipes, applied in order as a shell applies
// them (`2>&1 >f` is not `>f 2>&1`). [Pipeline.Run] returns every stage's
// exit status, what bash calls PIPESTATUS, and the pipeline's status, with
// pipefail if asked.
//
// The stages share one process group on Unix (one job object on Windows),
// so that cancelling the context kills every stage and whatever they
// started, and [Pipeline.Signal] reaches them all.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gopipe/gopipe/fifo"
)

// RedirOp is what a [Redirect] does.
type RedirOp int

const (
	Input  RedirOp = iota // FD < Name
	Output                // FD > Name: a file is created or truncated
	Append                // FD >> Name
	Dup                   // FD >& Src: FD becomes a copy of Src, as in 2>&1
)

// Redirect is one redirection of a stage's stdin (0), stdout (1) or
// stderr (2).
//
// Name is a file, a FIFO or, on Windows, a named pipe (\\.\pipe\NAME, or a
// bare NAME when no file of that name exists and such a pipe does). Opening a
// FIFO waits for its other end, as open(2) does, until the context ends.
// A missing Name is an error for Input and a new regular file for Output and
// Append, unless MakeFIFO asks for a FIFO.
type Redirect struct {
	FD       int
	Op       RedirOp
	Name     string // Input, Output, Append
	Src      int    // Dup
	MakeFIFO bool   // create a missing Name as a FIFO (mode 0600)
}

func (r Redirect) String() string {
	switch r.Op {
	case Input:
		return fmt.Sprintf("%d<%s", r.FD, r.Name)
	case Output:
		return fmt.Sprintf("%d>%s", r.FD, r.Name)
	case Append:
		return fmt.Sprintf("%d>>%s", r.FD, r.Name)
	case Dup:
		return fmt.Sprintf("%d>&%d", r.FD, r.Src)
	}
	return fmt.Sprintf("RedirOp(%d)", int(r.Op))
}

// Stage is one command of a pipeline.
type Stage struct {
	// Args is the command line; Args[0] is looked up in PATH unless Path
	// is set.
	Args []string
	// Path, if set, is the program to run, Args[0] then being only its
	// argv[0].
	Path string
	// Dir is the working directory, "" meaning ours; relative names in
	// Redirects are relative to it too, as they are to a shell's.
	Dir string
	Env []string // environment; nil means ours
	// Stderr is the stage's standard error; nil means the pipeline's.
	Stderr io.Writer
	// Redirects apply in order, after the stage's stdin and stdout have
	// been connected to its neighbours (or the pipeline's own).
	Redirects []Redirect
}

// Redirected is rd as the stage opens it: its Name relative to the stage's
// Dir.
func (s *Stage) Redirected(rd Redirect) Redirect {
	if s.Dir != "" && rd.Op != Dup && !filepath.IsAbs(rd.Name) {
		rd.Name = filepath.Join(s.Dir, rd.Name)
	}
	return rd
}

// DefaultWaitDelay is how long a pipeline waits, once a stage has exited,
// for the copying of its output to a non-file io.Writer to finish, when
// Pipeline.WaitDelay is 0.
const DefaultWaitDelay = 2 * time.Second

// Pipeline is a list of stages, each one's stdout feeding the next one's
// stdin. A Pipeline runs once.
type Pipeline struct {
	Stages []Stage
	// Stdin feeds the first stage, Stdout takes the last one's output, and
	// Stderr every stage's that has none of its own. nil means the null
	// device. An *os.File is handed to the commands as it is; anything else
	// is copied through a pipe (see WaitDelay).
	Stdin          io.Reader
	Stdout, Stderr io.Writer

	// Pipefail makes the pipeline's status that of its rightmost failing
	// stage rather than its last. A producer that failed only because its
	// consumer had gone (see Status.BrokenPipe) does not count unless
	// StrictPipefail is set too.
	Pipefail, StrictPipefail bool

	// WaitDelay bounds the wait, after a stage exits, for its output to be
	// copied to a Stdout or Stderr that is not an *os.File: a grandchild
	// holding the pipe open would otherwise hold the pipeline too. Past it
	// the pipe is closed. 0 means DefaultWaitDelay; negative means no bound.
	WaitDelay time.Duration

	// Terminal, if set, should be the terminal the pipeline reads from
	// (usually os.Stdin when it is one). On Unix, if we are its foreground
	// process group, the stages' group takes the terminal while they run,
	// as a shell's foreground job does: they may read it, and its ctrl-C
	// reaches them rather than us. Ignored on Windows.
	Terminal *os.File

	mu      sync.Mutex
	grp     *group
	signals []os.Signal // what Signal has sent, for stages yet to start
	runs    []*run
}

// Status is how one stage ended.
type Status struct {
	// Code is the exit status: 128+n for a death by signal n (on Unix),
	// 127 when the command was not found, 126 when it could not be run,
	// 1 when a redirection failed.
	Code int
	// Signal is the signal that killed the stage, nil if none (always nil
	// on Windows).
	Signal os.Signal
	// Err says why the stage could not run, or, with a zero Code, what
	// went wrong around it (exec.ErrWaitDelay when a grandchild held its
	// output); nil if nothing.
	Err error
	// BrokenPipe is set for a failing producer that failed because the
	// stage it wrote to had stopped reading, the normal end of
	// `producer | head -1`: on Unix one that died of SIGPIPE; on Windows,
	// which has no signals and where a writer gets an error (EPIPE) and
	// exits as it pleases, one that failed after its consumer had exited.
	BrokenPipe bool
}

// Success reports whether the stage exited with status 0.
func (s Status) Success() bool { return s.Code == 0 }

// String is the status as a shell prints it: a number.
func (s Status) String() string { return strconv.Itoa(s.Code) }

// Result is what a pipeline run gives back.
type Result struct {
	// Stages holds every stage's status, in order: PIPESTATUS.
	Stages []Status
	// Code is the pipeline's exit status: the last stage's, or with
	// Pipefail the rightmost failure that counts (0 if none).
	Code int
}

// ErrStarted is returned by a second call to Run.
var ErrStarted = errors.New("pipeline: already started")

// Run runs the pipeline until every stage has ended and returns their
// statuses. A stage that cannot start (a missing command, a failed
// redirection) has its own Status, and the others run, reading EOF from
// it or writing to no reader, as in a shell.
//
// When ctx ends, the stages' process group (job object on Windows) is
// killed, and Run returns the Result with ctx's error. Other errors mean
// the pipeline was not run at all: it has no stages, or a stage has no
// Args or a bad redirection.
func (p *Pipeline) Run(ctx context.Context) (*Result, error) {
	if err := p.validate(); err != nil {
		return nil, err
	}
	p.mu.Lock()
	if p.grp != nil {
		p.mu.Unlock()
		return nil, ErrStarted
	}
	grp, err := newGroup(p.Terminal)
	if err != nil {
		p.mu.Unlock()
		return nil, err
	}
	p.grp = grp
	p.mu.Unlock()
	defer grp.release()

	n := len(p.Stages)
	// pipes[i] connects stage i to stage i+1.
	type pipe struct{ r, w *os.File }
	pipes := make([]pipe, n-1)
	for i := range pipes {
		r, w, err := os.Pipe()
		if err != nil {
			for _, q := range pipes[:i] {
				q.r.Close()
				q.w.Close()
			}
			return nil, err
		}
		pipes[i] = pipe{r, w}
	}

	runs := make([]*run, n)
	p.mu.Lock()
	p.runs = runs
	p.mu.Unlock()
	var wg sync.WaitGroup
	var ws writers
	stdout, stderr := ws.lock(p.Stdout), ws.lock(p.Stderr)
	for i := range p.Stages {
		r := &run{stage: &p.Stages[i], stdin: readerFor(p.Stdin), stdout: stdout, stderr: stderr}
		r.opening, r.stopOpening = context.WithCancel(ctx)
		if s := p.Stages[i].Stderr; s != nil {
			r.stderr = ws.lock(s)
		}
		if i > 0 {
			r.stdin = pipes[i-1].r
		}
		if i < n-1 {
			r.stdout, r.pipeOut = pipes[i].w, pipes[i].w
		}
		p.mu.Lock()
		runs[i] = r
		for _, sig := range p.signals {
			// Signalled before Run: killed before it could start.
			if kills(sig) && r.killedBy == nil {
				r.killedBy = sig
				r.stopOpening()
			}
		}
		p.mu.Unlock()
		startStage := func() {
			p.start(ctx, r)
			// The stage has its own copies of the pipe ends now, or
			// will never run: ours must go so its neighbours see EOF
			// and EPIPE when it does.
			if i > 0 {
				pipes[i-1].r.Close()
			}
			if i < n-1 {
				pipes[i].w.Close()
			}
		}
		if opens(&p.Stages[i]) {
			// A stage that opens files opens them and starts on its
			// own, as the children of a shell do: `a >fifo | b <fifo`
			// must open both ends at once.
			wg.Go(startStage)
		} else {
			// The others start here, in order: the first, which feeds
			// the rest, soonest, and no goroutine to schedule.
			startStage()
		}
	}
	// Nothing is reaped until every stage has started, so that the
	// process group's leader, even dead, keeps the group for the others
	// to join.
	wg.Wait()

	var order atomic.Int64
	for _, r := range runs {
		if r.cmd == nil {
			continue
		}
		wg.Go(func() {
			r.status = exitStatus(r.cmd, r.cmd.Wait())
			r.order = order.Add(1)
			if r.cmd.ProcessState != nil {
				r.exitTime = exitTime(r.cmd.ProcessState)
			}
			// A remote NAME's transport says, as it ends, how its
			// other side did: a failure there fails the stage.
			for _, f := range r.files {
				if err := fifo.Close(f); err != nil && r.status.Code == 0 && r.status.Err == nil {
					r.status = Status{Code: 1, Err: err}
				}
			}
		})
	}
	wg.Wait()

	res := &Result{Stages: make([]Status, n)}
	for i, r := range runs {
		st := r.status
		if i < n-1 && r.cmd != nil && st.Code != 0 && r.writesPipe {
			next := runs[i+1]
			st.BrokenPipe = brokenPipe(st, next.endedBefore(r))
		}
		res.Stages[i] = st
	}
	res.Code = res.Stages[n-1].Code
	if p.Pipefail {
		res.Code = 0
		for _, st := range res.Stages {
			if st.Code != 0 && (p.StrictPipefail || !st.BrokenPipe) {
				res.Code = st.Code
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	return res, nil
}

func (p *Pipeline) validate() error {
	if len(p.Stages) == 0 {
		return errors.New("pipeline: no stages")
	}
	for i, s := range p.Stages {
		if len(s.Args) == 0 {
			return fmt.Errorf("pipeline: stage %d: no command", i)
		}
		for _, r := range s.Redirects {
			bad := r.FD < 0 || r.FD > 2 || r.Op < Input || r.Op > Dup ||
				(r.Op == Dup && (r.Src < 0 || r.Src > 2)) ||
				(r.Op != Dup && r.Name == "")
			if bad {
				return fmt.Errorf("pipeline: stage %d (%s): bad redirection %v", i, s.Args[0], r)
			}
		}
	}
	return nil
}

// Signal sends sig to every stage (on Unix to their process group, so to
// what they started too). A stage still waiting to open its redirections
// (a FIFO's other end, say) ends as a shell's child waiting there would: a
// signal that kills by default kills it, its open abandoned, with the
// status of that death; others it gets when it starts. On Windows only
// os.Kill and os.Interrupt (sent as CTRL_BREAK) are supported.
func (p *Pipeline) Signal(sig os.Signal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.signals = append(p.signals, sig)
	if kills(sig) {
		for _, r := range p.runs {
			if r != nil && r.cmd == nil && r.killedBy == nil {
				r.killedBy = sig
				r.stopOpening()
			}
		}
	}
	if p.grp == nil || !p.grp.live() {
		return nil
	}
	return p.grp.signal(sig)
}

// run is one stage's run.
type run struct {
	stage          *Stage
	stdin          io.Reader
	stdout, stderr io.Writer
	pipeOut        *os.File // the pipe to the next stage, if any
	writesPipe     bool     // stdout or stderr is still pipeOut after redirection
	files          []*os.File
	cmd            *exec.Cmd // nil if it never started
	status         Status
	order          int64 // when Wait returned, among the stages (1 first)
	exitTime       int64 // when it exited by the OS's clock, 0 if unknown
	// opening is the context of the redirections' opens, ended by
	// stopOpening when a signal kills the stage before it starts
	// (killedBy, under Pipeline.mu).
	opening     context.Context
	stopOpening context.CancelFunc
	killedBy    os.Signal
}

// endedBefore reports whether r exited before q did: by the OS's exit
// times when they tell them apart, else by when Wait returned.
func (r *run) endedBefore(q *run) bool {
	if r.order == 0 || q.order == 0 {
		return false
	}
	if r.exitTime != 0 && q.exitTime != 0 && r.exitTime != q.exitTime {
		return r.exitTime < q.exitTime
	}
	return r.order < q.order
}

// start opens r's redirections and starts it, setting r.cmd, or r.status
// when it cannot.
func (p *Pipeline) start(ctx context.Context, r *run) {
	defer r.stopOpening()
	s := r.stage
	fds := [3]any{r.stdin, r.stdout, r.stderr}
	for _, rd := range s.Redirects {
		if rd.Op == Dup {
			fds[rd.FD] = fds[rd.Src]
			continue
		}
		f, err := openRedirect(r.opening, s.Redirected(rd))
		if err != nil {
			p.mu.Lock()
			sig := r.killedBy
			p.mu.Unlock()
			if sig != nil && ctx.Err() == nil {
				r.killed(sig)
				return
			}
			r.fail(1, err)
			return
		}
		r.files = append(r.files, f)
		fds[rd.FD] = stageIO(f, rd.Op == Input)
	}
	cmd := exec.CommandContext(ctx, s.Args[0], s.Args[1:]...)
	if s.Path != "" {
		cmd.Path, cmd.Err = s.Path, nil
	}
	cmd.Args[0] = s.Args[0]
	cmd.Dir, cmd.Env = s.Dir, s.Env
	var ok bool
	if fds[0] != nil {
		if cmd.Stdin, ok = fds[0].(io.Reader); !ok {
			r.fail(1, fmt.Errorf("%s: stdin: %w", s.Args[0], fs.ErrInvalid))
			return
		}
	}
	for fd, dst := range []*io.Writer{&cmd.Stdout, &cmd.Stderr} {
		if fds[fd+1] == nil {
			continue
		}
		w, ok := fds[fd+1].(io.Writer)
		if !ok {
			r.fail(1, fmt.Errorf("%s: fd %d: %w", s.Args[0], fd+1, fs.ErrInvalid))
			return
		}
		*dst = w
		if r.pipeOut != nil && w == io.Writer(r.pipeOut) {
			r.writesPipe = true
		}
	}
	cmd.WaitDelay = p.WaitDelay
	switch {
	case cmd.WaitDelay == 0:
		cmd.WaitDelay = DefaultWaitDelay
	case cmd.WaitDelay < 0:
		cmd.WaitDelay = 0
	}

	// Cancel kills the whole group, the stage's children with it.
	cmd.Cancel = p.grp.kill

	p.mu.Lock()
	defer p.mu.Unlock()
	if r.killedBy != nil {
		// Killed between its last open and now: it never runs.
		r.killed(r.killedBy)
		return
	}
	p.grp.prepare(cmd)
	if err := cmd.Start(); err != nil {
		err = startError(cmd.Path, cmd.Dir, err)
		r.fail(startCode(err), err)
		return
	}
	if err := p.grp.join(cmd); err != nil {
		// Not in the group: it could not be cancelled, so it must not run.
		cmd.Process.Kill()
		cmd.Wait()
		r.fail(126, err)
		return
	}
	r.cmd = cmd
	for _, sig := range p.signals {
		cmd.Process.Signal(sig)
	}
}

// opens tells whether s has redirections that open files (whose opens may
// wait, for a FIFO's other end).
func opens(s *Stage) bool {
	for _, rd := range s.Redirects {
		if rd.Op != Dup {
			return true
		}
	}
	return false
}

// startError is why the program path, started in dir, could not start,
// saying of a directory that it is one (EISDIR), as a shell does, where
// execve(2) gives only EACCES.
func startError(path, dir string, err error) error {
	var pe *fs.PathError
	if !errors.As(err, &pe) || !errors.Is(err, fs.ErrPermission) {
		return err
	}
	if dir != "" && !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	if fi, serr := os.Stat(path); serr == nil && fi.IsDir() {
		return &fs.PathError{Op: pe.Op, Path: pe.Path, Err: syscall.EISDIR}
	}
	return err
}

// startCode is the status of a stage that could not start with err: 127
// for a command not found, 126 for one that could not be run.
func startCode(err error) int {
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
		return 127
	}
	return 126
}

func (r *run) fail(code int, err error) {
	r.status = Status{Code: code, Err: err}
	for _, f := range r.files {
		fifo.Close(f)
	}
}

// killed records a death by sig before the stage started.
func (r *run) killed(sig os.Signal) {
	r.status = Status{Code: signalCode(sig), Signal: sig}
	for _, f := range r.files {
		fifo.Close(f)
	}
}

// exitStatus turns what Wait returned into a Status.
func exitStatus(cmd *exec.Cmd, err error) Status {
	st := Status{}
	if ps := cmd.ProcessState; ps != nil {
		st.Code, st.Signal = exitCode(ps)
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		st.Err = err // exec.ErrWaitDelay, or a copy's error
		if cmd.ProcessState == nil {
			st.Code = 1
		}
	}
	return st
}

// stageIO is how a stage gets a redirection's file: as it is, unless the
// child could not use it (see needsRelay).
func stageIO(f *os.File, input bool) any {
	switch {
	case !needsRelay(f):
		return f
	case input:
		return struct{ io.Reader }{f}
	}
	return struct{ io.Writer }{f}
}

// readerFor is stageIO for the pipeline's own stdin.
func readerFor(r io.Reader) io.Reader {
	if f, ok := r.(*os.File); ok {
		return stageIO(f, true).(io.Reader)
	}
	return r
}

// writers gives every io.Writer a pipeline writes to that is not an
// *os.File one lockedWriter: os/exec copies each stage's output to it in a
// goroutine of its own, and stages may share a writer (the pipeline's
// Stderr, say), which then must take one write at a time.
type writers []struct {
	orig   io.Writer
	locked *lockedWriter
}

func (ws *writers) lock(w io.Writer) io.Writer {
	if w == nil {
		return nil
	}
	if f, ok := w.(*os.File); ok && !needsRelay(f) {
		return w
	}
	// Comparing interfaces holding the same uncomparable type panics.
	if reflect.TypeOf(w).Comparable() {
		for _, x := range *ws {
			if reflect.TypeOf(x.orig) == reflect.TypeOf(w) && x.orig == w {
				return x.locked
			}
		}
	}
	l := &lockedWriter{w: w}
	*ws = append(*ws, struct {
		orig   io.Writer
		locked *lockedWriter
	}{w, l})
	return l
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}
