package run

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"

	"mvdan.cc/sh/v3/syntax"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command"
	"github.com/gopipe/gopipe/cmd/gopipe/internal/oneliner"
	"github.com/gopipe/gopipe/pipeline"
)

// Run runs a POSIX shell one-liner without a shell, through package
// pipeline.
var Run = &command.Spec{
	Name:     "run",
	Summary:  "run a shell one-liner of commands, pipes, redirections, && || ; without a shell",
	Synopsis: "[OPTION]... 'ONE-LINER'",
	Intro: `Run a POSIX shell one-liner without a shell, the same on Unix and Windows.
It may hold commands, quoting ('…', "…", \), pipes |, the redirections
< > >> 2> 2>> 2>&1 (and N< N> N>> N>&M for N, M in 0, 1, 2), and lists
with && || ; and newlines. Anything else (variables, $(…), globs, if, …) is
refused, naming it ([ too: write test, or quote it). A command called
gopipe is this program. A name in a redirection means what it means to
every gopipe command (a FIFO waits for its other end; on Windows a bare
NAME may be a pipe).

The shell's builtins cd, exit, true, false and : are run's: cd [-L|-P]
[DIR|-] changes the directory of the commands that follow, and of their
redirections (no DIR: $HOME; -: $OLDPWD), and sets PWD and OLDPWD; exit [N]
ends the one-liner with status N (else the last command's). In a pipeline
they run in a subshell, as in sh: a cd or exit there ends with it. On Unix
the last command, alone and without redirections, replaces run, as a
shell's does.

`,
	Options: []command.Option{
		{Long: "pipefail", Help: "a pipeline's status is its rightmost failure's, not counting\na producer that failed because its consumer had gone"},
		{Long: "pipestatus", Help: "after each pipeline, print every stage's status to stderr"},
	},
	Outro: "Exit status: the last pipeline's; 2 if the one-liner is refused; 125 if run\nitself fails (it cannot make its pipes: too many stages for the open files\nallowed, say); 128+N when it dies of signal N.\n",
	Run:   runRun,
}

func runRun(e *command.Env, p *command.Parsed) int {
	r := &runner{e: e}
	for _, o := range p.Opts {
		switch o.Key() {
		case "pipefail":
			r.pipefail = true
		case "pipestatus":
			r.pipestatus = true
		}
	}
	if len(p.Operands) != 1 {
		return e.Usage(errors.New("run takes one ONE-LINER (quote it)"))
	}
	list, err := oneliner.Parse(p.Operands[0])
	if err != nil {
		var pe syntax.ParseError
		if errors.As(err, &pe) {
			e.Errorf("run: syntax error: %v", err)
		} else {
			e.Errorf("run: %v", err)
		}
		return command.StatusUsage
	}

	defer r.unwatch()
	status := r.exec(list, true)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped != nil && status == command.SignalStatus(r.stopped) {
		// A signal ended the list, and the pipeline died of it: die of it
		// too, as bash does, so that a calling shell sees how it ended
		// (and leaves its loop).
		e.DieBy = r.stopped
	}
	return status
}

// runner runs a parsed one-liner.
type runner struct {
	e                    *command.Env
	pipefail, pipestatus bool

	// The one-liner's own state, as a shell has it: its working
	// directory once cd has changed it ("" is ours), the one before (for
	// cd -), the environment the commands get then (PWD and OLDPWD set;
	// nil is ours), the last status ($?, for a bare exit), and whether
	// exit has ended it.
	dir, oldDir string
	env         []string
	last        int
	exited      bool

	unwatchSignals func() // set once signals are passed on (watch)

	mu      sync.Mutex
	current *pipeline.Pipeline
	cancel  context.CancelFunc // ends a builtin's redirections' opens
	stopped os.Signal          // a signal that ends the list
}

func (r *runner) signal(sig os.Signal) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if command.EndsWait(sig) && r.stopped == nil {
		r.stopped = sig
	}
	if r.current != nil {
		r.current.Signal(sig)
	}
	if r.cancel != nil && command.EndsWait(sig) {
		r.cancel()
	}
}

// watch starts passing signals on to the commands, before the first one
// starts: a one-liner of one command that replaces us (execLast) needs
// none, and signal.Notify costs a round trip to the Go runtime's signal
// thread for each signal.
func (r *runner) watch() {
	if r.unwatchSignals == nil {
		r.unwatchSignals = r.e.OnSignals(r.signal)
	}
}

// unwatch gives the signals back when we run in process. In main, which
// owns the process (ExecStage is set), the process ends now, and giving
// them back would only cost another round trip each.
func (r *runner) unwatch() {
	if r.unwatchSignals != nil && r.e.ExecStage == nil {
		r.unwatchSignals()
	}
}

// exec runs n, the rest of the one-liner if tail is set.
func (r *runner) exec(n oneliner.Node, tail bool) int {
	switch n := n.(type) {
	case nil:
		return 0
	case *oneliner.List:
		status := r.exec(n.X, false)
		if r.exited || r.stop() {
			return status
		}
		switch {
		case n.Op == "&&" && status != 0, n.Op == "||" && status == 0:
			return status
		}
		return r.exec(n.Y, tail)
	case *oneliner.Pipe:
		r.last = r.pipe(n, tail)
		return r.last
	}
	panic(fmt.Sprintf("run: node %T", n))
}

// stop reports whether the list must stop: a signal came, or the context
// ended.
func (r *runner) stop() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stopped != nil || r.e.Ctx.Err() != nil
}

// pipe runs the pipeline n, the last of the one-liner if tail is set.
func (r *runner) pipe(n *oneliner.Pipe, tail bool) int {
	e := r.e
	p := &pipeline.Pipeline{
		Stdin: e.Stdin, Stdout: e.Stdout, Stderr: e.Stderr,
		Pipefail: r.pipefail,
	}
	if len(n.Stages) == 1 {
		if b := builtins[n.Stages[0].Args[0]]; b != nil {
			status := r.builtin(n.Stages[0], b)
			if r.pipestatus {
				e.Errorf("run: pipestatus: %d", status)
			}
			return status
		}
		if tail && !r.pipestatus && len(n.Stages[0].Redirects) == 0 {
			if status, ok := r.execLast(n.Stages[0]); ok {
				return status
			}
		}
	}
	for _, s := range n.Stages {
		if inSubshell(s.Args[0]) {
			s.Args = r.subshell(s.Args)
		}
		s.Path = command.SelfPath(s.Args[0])
		s.Dir, s.Env = r.dir, r.env
		p.Stages = append(p.Stages, s)
	}
	if f, ok := e.Stdin.(*os.File); ok {
		p.Terminal = f
	}
	r.watch()
	r.mu.Lock()
	if r.stopped != nil {
		r.mu.Unlock()
		return command.SignalStatus(r.stopped)
	}
	r.current = p
	r.mu.Unlock()
	res, err := p.Run(e.Ctx)
	r.mu.Lock()
	r.current = nil
	r.mu.Unlock()
	if res == nil {
		e.Errorf("run: %v", err)
		return command.StatusFailed
	}
	for i, st := range res.Stages {
		r.report(n.Stages[i].Args[0], st)
	}
	if r.pipestatus {
		var b strings.Builder
		for i, st := range res.Stages {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(st.String())
		}
		e.Errorf("run: pipestatus: %s", b.String())
	}
	// Like bash, stop the list when the terminal's ctrl-C killed the
	// pipeline: it went to the stages, not to us.
	for _, st := range res.Stages {
		if command.IsInterrupt(st.Signal) {
			r.mu.Lock()
			if r.stopped == nil {
				r.stopped = st.Signal
			}
			r.mu.Unlock()
		}
	}
	return res.Code
}

// execLast replaces us with s, the one-liner's last command, when main
// lets us, as sh replaces itself with its last simple command (bash -c
// 'a && b' execs b; like bash, not one with redirections): it saves a
// fork, a wait, and the signals' set-up for a one-liner of one command.
// ok is false if it was not done, and s is still to run.
func (r *runner) execLast(s pipeline.Stage) (status int, ok bool) {
	if r.e.ExecStage == nil {
		return 0, false
	}
	r.mu.Lock()
	stopped := r.stopped
	r.mu.Unlock()
	if stopped != nil {
		return command.SignalStatus(stopped), true
	}
	s.Path = command.SelfPath(s.Args[0])
	s.Dir, s.Env = r.dir, r.env
	st := r.e.ExecStage(s)
	if errors.Is(st.Err, errors.ErrUnsupported) {
		return 0, false
	}
	r.report(s.Args[0], st)
	return st.Code, true
}

// report says why a stage could not run, in bash's words after our
// "gopipe: run: " where bash has "bash: ": the command's name once, and
// "command not found" for one that PATH does not have.
func (r *runner) report(name string, st pipeline.Status) {
	if st.Err == nil || st.Code == 0 {
		// Nothing, or only its output's copying went wrong once it had
		// run and succeeded (a grandchild held it: exec.ErrWaitDelay).
		return
	}
	switch st.Code {
	case command.StatusNotFound, command.StatusCannotRun:
		var ee *exec.Error
		switch {
		case errors.As(st.Err, &ee) && errors.Is(ee.Err, exec.ErrNotFound):
			r.e.Errorf("run: %s: command not found", name)
		default:
			r.e.Errorf("run: %s: %s", name, command.Strerror(st.Err))
		}
	default:
		// A redirection failed: the error names the file.
		r.e.Errorf("run: %s", command.StrerrorPath(st.Err))
	}
}
