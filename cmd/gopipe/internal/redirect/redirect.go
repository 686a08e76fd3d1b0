package redirect

import (
	"context"
	"errors"
	"os"
	"sync"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command"
	"github.com/gopipe/gopipe/fifo"
	"github.com/gopipe/gopipe/pipeline"
)

// Redirect runs a command with its standard streams on files, FIFOs or
// named pipes.
var Redirect = &command.Spec{
	Name:     "redirect",
	Summary:  "run a command with stdin, stdout and stderr redirected to files, FIFOs or named pipes",
	Synopsis: "[OPTION]... -- CMD [ARG]...",
	// Options end at the first operand, whatever POSIXLY_CORRECT says:
	// the rest is CMD's own command line.
	InOrder: true,
	Intro: `Run CMD with its standard input, output and error redirected to files, FIFOs
or (on Windows) named pipes, and exit with its status (128+N when signal N
kills it on Unix).

`,
	Options: []command.Option{
		{Long: "stdin", Arg: command.RequiredArg, ArgName: "SRC", Help: "read CMD's stdin from SRC", Complete: command.CompleteFile},
		{Long: "stdout", Arg: command.RequiredArg, ArgName: "DST", Help: "write CMD's stdout to DST", Complete: command.CompleteFile},
		{Long: "stderr", Arg: command.RequiredArg, ArgName: "DST", Help: "write CMD's stderr to DST", Complete: command.CompleteFile},
		{Long: "stderr-to-stdout", Help: "send CMD's stderr where its stdout goes (2>&1)"},
		{Long: "append", Help: "append to DST files rather than truncate them"},
		{Long: "mkfifo", Help: "create a missing SRC or DST as a FIFO (mode 0600)"},
		{Long: "pty", Help: "run CMD on a pseudo-terminal, its output still going\nto DST", OS: "unix"},
	},
	Outro: `SRC and DST are names, or - for ours; a name means what it means to every
gopipe command. A FIFO waits for its other end; ctrl-C cancels the wait. A
missing DST is created as a file unless --mkfifo is given; a missing SRC is
an error. The signals we get are passed on to CMD, and CMD's output is
delivered before we exit. A CMD called gopipe is this program.

Exit status: CMD's; 125 when redirect itself fails, 126 when CMD cannot run,
127 when it is not found.
` + command.RemoteNote,
	Run: runRedirect,
}

type redirectConfig struct {
	stdin, stdout, stderr string // "" or "-": ours
	stderrToStdout        bool
	append, mkfifo, pty   bool
	argv                  []string
}

func runRedirect(e *command.Env, pa *command.Parsed) (status int) {
	cfg := redirectConfig{argv: pa.Operands}
	for _, o := range pa.Opts {
		switch o.Key() {
		case "stdin":
			cfg.stdin = o.Value
		case "stdout":
			cfg.stdout = o.Value
		case "stderr":
			cfg.stderr = o.Value
		case "stderr-to-stdout":
			cfg.stderrToStdout = true
		case "append":
			cfg.append = true
		case "mkfifo":
			cfg.mkfifo = true
		case "pty":
			cfg.pty = true
		}
	}
	switch {
	case len(cfg.argv) == 0:
		return e.Usage(errors.New("redirect: missing command"))
	case cfg.stderrToStdout && cfg.stderr != "":
		return e.Usage(errors.New("redirect: --stderr and --stderr-to-stdout conflict"))
	}

	ctx, cancel := context.WithCancel(e.Ctx)
	defer cancel()
	// Signals: while we open the targets they cancel the opens (a FIFO
	// may wait for a reader forever); once CMD runs they are CMD's.
	var (
		mu      sync.Mutex
		deliver func(os.Signal) // nil while opening
		got     os.Signal
	)
	defer e.OnSignals(func(sig os.Signal) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case deliver != nil:
			deliver(sig)
		case command.EndsWait(sig):
			got = sig
			cancel()
		}
	})()

	files, err := openTargets(ctx, &cfg)
	defer func() {
		for _, f := range files {
			if f == nil {
				continue
			}
			// For a remote NAME, how its other side ended.
			if cerr := fifo.Close(f); cerr != nil && err == nil {
				e.Errorf("redirect: %s", command.StrerrorPath(cerr))
				if status == 0 {
					status = command.StatusFailed
				}
			}
		}
	}()
	if err != nil {
		mu.Lock()
		defer mu.Unlock()
		if got != nil {
			// Interrupted while waiting for a FIFO's other end: die of
			// it, as a shell's child waiting in open(2) would.
			e.DieBy = got
			return command.SignalStatus(got)
		}
		e.Errorf("redirect: %s", command.StrerrorPath(err))
		return command.StatusFailed
	}
	in, out, errw := e.Stdin, e.Stdout, e.Stderr
	if files[0] != nil {
		in = files[0]
	}
	if files[1] != nil {
		out = files[1]
	}
	if files[2] != nil {
		errw = files[2]
	}
	if cfg.pty {
		return redirectPTY(e, ctx, &cfg, in, out, errw, func(f func(os.Signal)) {
			mu.Lock()
			deliver = f
			mu.Unlock()
		})
	}

	st := pipeline.Stage{Args: cfg.argv, Path: command.SelfPath(cfg.argv[0])}
	if cfg.stderrToStdout {
		st.Redirects = []pipeline.Redirect{{FD: 2, Op: pipeline.Dup, Src: 1}}
	}
	p := &pipeline.Pipeline{Stages: []pipeline.Stage{st}, Stdin: in, Stdout: out, Stderr: errw}
	if f, ok := in.(*os.File); ok {
		p.Terminal = f
	}
	mu.Lock()
	deliver = func(sig os.Signal) { p.Signal(sig) }
	mu.Unlock()
	res, err := p.Run(ctx)
	if res == nil {
		e.Errorf("redirect: %v", err)
		return command.StatusFailed
	}
	return e.StageStatus("redirect", res.Stages[0])
}

// openTargets opens --stdin, --stdout and --stderr at once, as each may be
// a FIFO waiting for a peer that opens them in any order.
func openTargets(ctx context.Context, cfg *redirectConfig) ([]*os.File, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	op := pipeline.Output
	if cfg.append {
		op = pipeline.Append
	}
	reds := []pipeline.Redirect{
		{FD: 0, Op: pipeline.Input, Name: cfg.stdin, MakeFIFO: cfg.mkfifo},
		{FD: 1, Op: op, Name: cfg.stdout, MakeFIFO: cfg.mkfifo},
		{FD: 2, Op: op, Name: cfg.stderr, MakeFIFO: cfg.mkfifo},
	}
	files := make([]*os.File, 3)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i, r := range reds {
		if r.Name == "" || r.Name == "-" {
			continue
		}
		wg.Go(func() {
			files[i], errs[i] = pipeline.OpenRedirect(ctx, r)
			if errs[i] != nil {
				cancel()
			}
		})
	}
	wg.Wait()
	// The first error that is not the others' cancellation.
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return files, err
		}
	}
	return files, errors.Join(errs...)
}
