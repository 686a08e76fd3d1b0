package command

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"

	"github.com/gopipe/gopipe/pipeline"
)

// Env is what a command sees of the world, so that each command is a
// function of (args, stdin, stdout, stderr) that tests run in process.
type Env struct {
	Ctx context.Context
	// Prog starts the command's messages: the command's own name (as
	// called) for the GNU-modelled ones, "gopipe" for the others.
	Prog string
	// Invoked is how the command was called, for "Try '… --help'".
	Invoked string
	// UsageStatus is the exit status of a usage error: GNU's 1, or 2 for
	// gopipe's own commands.
	UsageStatus int
	Stdin       io.Reader
	Stdout      io.Writer
	Stderr      io.Writer
	// Notify, StopNotify and Ignore are signal.Notify, signal.Stop and
	// signal.Ignore, replaceable in tests.
	Notify     func(c chan<- os.Signal, sig ...os.Signal)
	StopNotify func(c chan<- os.Signal)
	Ignore     func(sig ...os.Signal)
	// DieBy, when a command sets it, asks main to end the process by this
	// signal rather than exit with the returned status (which should then
	// be 128+signal, what a shell reports), so that a calling shell sees
	// how it ended: GNU cat and tee die by SIGPIPE when their reader goes,
	// which Go's runtime does only for writes to fds 1 and 2.
	DieBy os.Signal
	// ExecStage, set by main, which alone owns the process, replaces the
	// process with a command, as a shell replaces itself with its last
	// command (pipeline.Exec; it returns if it cannot). nil in tests,
	// which run commands in process: nothing may then end or replace it,
	// and what a command set up it must undo.
	ExecStage func(pipeline.Stage) pipeline.Status
	// gnu is set by Enter for the GNU-modelled commands.
	gnu bool
}

// NewEnv is an environment with the real signal functions.
func NewEnv(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer) *Env {
	return &Env{
		Ctx: ctx, Stdin: stdin, Stdout: stdout, Stderr: stderr,
		Prog: "gopipe", Invoked: "gopipe", UsageStatus: StatusUsage,
		Notify: signal.Notify, StopNotify: signal.Stop, Ignore: signal.Ignore,
	}
}

// Enter returns a copy of e set up to run s, called as invoked (the name
// the user typed: "gopipe cat", "cat", "pipecat").
func (e *Env) Enter(s *Spec, invoked string) *Env {
	sub := *e
	sub.Invoked = invoked
	sub.Prog, sub.UsageStatus, sub.gnu = "gopipe", StatusUsage, s.GNU
	if s.GNU {
		// An alias speaks as itself (pipecat: …), a link by its name.
		sub.Prog, sub.UsageStatus = baseName(invoked), StatusFailure
	}
	return &sub
}

// baseName is the last word of invoked ("gopipe cat" → "cat").
func baseName(invoked string) string {
	for i := len(invoked) - 1; i >= 0; i-- {
		if invoked[i] == ' ' {
			return invoked[i+1:]
		}
	}
	return invoked
}

// Errorf prints one line "PROG: message" on stderr.
func (e *Env) Errorf(format string, a ...any) {
	fmt.Fprintf(e.Stderr, "%s: %s\n", e.Prog, e.line(fmt.Sprintf(format, a...)))
}

// Usage reports a command-line error as GNU tools do, and returns the
// status for it (1 for the GNU-modelled commands, 2 for gopipe's own).
func (e *Env) Usage(err error) int {
	fmt.Fprintf(e.Stderr, "%s: %s\nTry '%s --help' for more information.\n", e.Prog, e.line(err.Error()), e.Invoked)
	return e.UsageStatus
}

// line keeps a message of gopipe's own commands on its one line, whatever
// the user gave it (a newline in a name, say): control characters are
// shown as C escapes. The GNU-modelled commands print what GNU's print,
// raw.
func (e *Env) line(msg string) string {
	if e.gnu {
		return msg
	}
	return Visible(msg)
}

// Print writes s to stdout: 0, or 1 with GNU's "write error" message if
// stdout cannot take it (close_stdout's check, for --help, --version and
// every command's listing).
func (e *Env) Print(s string) int {
	if _, err := io.WriteString(e.Stdout, s); err != nil {
		e.Errorf("write error: %s", Strerror(err))
		return StatusFailure
	}
	return StatusOK
}

// Version is gopipe's version, as the module was built.
func Version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
