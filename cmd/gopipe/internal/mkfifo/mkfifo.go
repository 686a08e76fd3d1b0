// Package mkfifo is gopipe's mkfifo, GNU's but for the default mode, and
// rmfifo, which removes FIFOs and nothing else.
package mkfifo

import (
	"errors"
	"io/fs"
	"syscall"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command"
	"github.com/gopipe/gopipe/fifo"
)

// Mkfifo is GNU mkfifo, but FIFOs are made 0600 unless -m says otherwise.
var Mkfifo = &command.Spec{
	Name:     "mkfifo",
	DropIn:   true,
	Summary:  "make FIFOs (named pipes), 0600 unless -m says otherwise",
	Synopsis: "[OPTION]... NAME...",
	GNU:      true,
	Intro: `Create named pipes (FIFOs) with the given NAMEs.

Mandatory arguments to long options are mandatory for short options too.
`,
	Options: []command.Option{
		{Short: 'm', Long: "mode", Arg: command.RequiredArg, ArgName: "MODE", Help: "set file permission bits to MODE, not 0600"},
		{Short: 'Z', Help: "set the SELinux security context to default type"},
		{Long: "context", Arg: command.OptionalArg, ArgName: "CTX", Help: "like -Z, or if CTX is specified then set the SELinux\nor SMACK security context to CTX"},
	},
	Outro: `Unlike GNU mkfifo, whose default is a=rw less the umask, a FIFO is made 0600
(private) unless -m gives a mode; a mode given with -m is applied exactly.
On Windows a bare NAME is a pipe in \\.\pipe\, held open by a background
gopipe until it is removed with 'gopipe rmfifo NAME'; its security descriptor
grants you and SYSTEM alone, so a MODE for group or others is refused. A NAME
with a / or \ is a path, as on Unix: there a small marker file names the pipe
that serves the FIFO; gopipe's commands open the path, other programs must
open the pipe ('gopipe info PATH' shows it). Deleting the file ends the FIFO.
`,
	Run: runMkfifo,
}

func runMkfifo(e *command.Env, p *command.Parsed) int {
	perm := fifo.DefaultMode
	for _, o := range p.Opts {
		switch o.Key() {
		case "mode":
			m, err := fifoMode(o.Value, command.Umask())
			if err != nil {
				e.Errorf("invalid mode")
				return 1
			}
			if m&^fs.ModePerm != 0 {
				e.Errorf("mode must specify only file permission bits")
				return 1
			}
			perm = m
		case "context":
			// No SELinux or SMACK support: GNU warns only when a context
			// is given, and -Z alone is silently accepted.
			if o.HasValue {
				e.Errorf("warning: ignoring --context; it requires an SELinux/SMACK-enabled kernel")
			}
		}
	}
	if len(p.Operands) == 0 {
		return e.Usage(errors.New("missing operand"))
	}
	status := 0
	for _, name := range p.Operands {
		if err := fifo.Make(name, perm); err != nil {
			what := "cannot create fifo"
			if errors.Is(err, fifo.ErrModeNotSet) {
				what = "cannot set permissions of"
			}
			e.Errorf("%s %s: %s", what, command.Quote(name), command.Strerror(err))
			status = 1
		}
	}
	return status
}

// Rmfifo removes FIFOs, refusing anything else.
var Rmfifo = &command.Spec{
	Name:     "rmfifo",
	DropIn:   true,
	Summary:  "remove FIFOs (on Windows, stop the process holding them)",
	Synopsis: "[OPTION]... NAME...",
	Intro: `Remove the FIFOs NAME: unlink them on Unix (anything that is not a FIFO is
left alone), stop their holders on Windows, where a FIFO made by
'gopipe mkfifo' lives until it is removed (and remove its marker file, for a
FIFO made at a path).

`,
	Options: []command.Option{
		// As rm's -f: a script's cleanup need not know what is left.
		{Short: 'f', Long: "force", Help: "ignore NAMEs that do not exist, as rm -f does"},
	},
	Run: func(e *command.Env, p *command.Parsed) int {
		force := false
		for _, o := range p.Opts {
			force = force || o.Key() == "force"
		}
		if len(p.Operands) == 0 {
			if force {
				return 0
			}
			return e.Usage(errors.New("missing operand"))
		}
		status := 0
		for _, name := range p.Operands {
			err := fifo.Remove(name)
			// As rm -f: a NAME that cannot exist (a component is not a
			// directory) is no more there than a missing one.
			if force && (errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)) {
				continue
			}
			if err != nil {
				e.Errorf("cannot remove %s: %s", command.Quote(name), command.Strerror(err))
				status = 1
			}
		}
		return status
	},
}
