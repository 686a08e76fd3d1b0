package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"

	"github.com/gopipe/gopipe/pipeline"
)

const redirectHelp = `Usage: gopipe redirect [OPTION]... -- CMD [ARG]...
Run CMD with its standard input, output and error redirected to files, FIFOs
or (on Windows) named pipes, and exit with its status (128+N when signal N
kills it on Unix).

  --stdin SRC          read CMD's stdin from SRC
  --stdout DST         write CMD's stdout to DST
  --stderr DST         write CMD's stderr to DST
  --stderr-to-stdout   send CMD's stderr where its stdout goes (2>&1)
  --append             append to DST files rather than truncate them
  --mkfifo             create a missing SRC or DST as a FIFO (mode 0600)
  --pty                run CMD on a pseudo-terminal, its output still going
                       to DST (Unix only)
      --help           display this help and exit

SRC and DST are names, or - for ours. A FIFO waits for its other end; ctrl-C
cancels the wait. A missing DST is created as a file unless --mkfifo is given;
a missing SRC is an error. The signals we get are passed on to CMD, and CMD's
output is delivered before we exit. A CMD called gopipe is this program.

Exit status: CMD's; 125 when redirect itself fails, 126 when CMD cannot run,
127 when it is not found.
`

var redirectOpts = []optSpec{
	{long: "stdin", arg: requiredArg},
	{long: "stdout", arg: requiredArg},
	{long: "stderr", arg: requiredArg},
	{long: "stderr-to-stdout"},
	{long: "append"},
	{long: "mkfifo"},
	{long: "pty"},
	{long: "help"},
}

// Exit statuses of redirect's own failures, as env(1) and timeout(1) have
// them, so that they are not taken for CMD's.
const (
	statusFailed      = 125
	statusCannotRun   = 126
	statusNotFound    = 127
	statusInterrupted = 130
)

type redirectConfig struct {
	stdin, stdout, stderr string // "" or "-": ours
	stderrToStdout        bool
	append, mkfifo, pty   bool
	argv                  []string
}

func runRedirect(e *env, args []string) int {
	// Options end at the first operand, whatever POSIXLY_CORRECT says:
	// the rest is CMD's own command line.
	var cfg redirectConfig
	opts, operands, err := getopt(optionsOnly(args), redirectOpts)
	if err != nil {
		return e.usage(err)
	}
	cfg.argv = append(operands, args[len(optionsOnly(args)):]...)
	for _, o := range opts {
		switch o.key() {
		case "help":
			fmt.Fprint(e.stdout, redirectHelp)
			return 0
		case "stdin":
			cfg.stdin = o.value
		case "stdout":
			cfg.stdout = o.value
		case "stderr":
			cfg.stderr = o.value
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
		return e.usage(errors.New("redirect: missing command"))
	case cfg.stderrToStdout && cfg.stderr != "":
		return e.usage(errors.New("redirect: --stderr and --stderr-to-stdout conflict"))
	case cfg.pty && !ptySupported:
		e.errorf("redirect: --pty is not supported on %s", osName())
		return 2
	}

	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	// Signals: while we open the targets they cancel the opens (a FIFO
	// may wait for a reader forever); once CMD runs they are CMD's.
	var (
		mu      sync.Mutex
		deliver func(os.Signal) // nil while opening
		got     os.Signal
	)
	defer onSignals(e, func(sig os.Signal) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case deliver != nil:
			deliver(sig)
		case endsWait(sig):
			got = sig
			cancel()
		}
	})()

	files, err := openTargets(ctx, &cfg)
	defer func() {
		for _, f := range files {
			if f != nil {
				f.Close()
			}
		}
	}()
	if err != nil {
		mu.Lock()
		defer mu.Unlock()
		if got != nil {
			return signalStatus(got)
		}
		e.errorf("redirect: %s", strerrorPath(err))
		return statusFailed
	}
	in, out, errw := e.stdin, e.stdout, e.stderr
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

	st := pipeline.Stage{Args: cfg.argv, Path: selfPath(cfg.argv[0])}
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
		e.errorf("redirect: %v", err)
		return statusFailed
	}
	return e.stageStatus("redirect", res.Stages[0])
}

// selfPath is this program's path when name is "gopipe", so that a command
// line naming gopipe runs this very program, on PATH or not; else "".
func selfPath(name string) string {
	if name != "gopipe" {
		return ""
	}
	self, err := os.Executable()
	if err != nil {
		return ""
	}
	return self
}

// stageStatus reports a stage that could not run, and returns its status.
func (e *env) stageStatus(cmd string, st pipeline.Status) int {
	if st.Err == nil {
		return st.Code
	}
	switch st.Code {
	case statusCannotRun, statusNotFound:
		e.errorf("%s: %s", cmd, strerrorExec(st.Err))
	case 0:
		// It ran and succeeded; only its output's copying went wrong
		// (a grandchild held it: exec.ErrWaitDelay).
	default:
		e.errorf("%s: %s", cmd, strerrorPath(st.Err))
	}
	return st.Code
}

// strerrorExec renders an error of exec: "NAME: reason".
func strerrorExec(err error) string {
	var ee *exec.Error
	if errors.As(err, &ee) {
		return ee.Name + ": " + strerror(ee.Err)
	}
	return strerrorPath(err)
}

// optionsOnly is args up to the first operand or "--" (included): what
// getopt may parse.
func optionsOnly(args []string) []string {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return args[:i+1]
		case a == "-" || len(a) == 0 || a[0] != '-':
			return args[:i]
		}
		// An option taking its value as the next argument.
		for _, o := range redirectOpts {
			if o.arg == requiredArg && a == "--"+o.long {
				i++
				break
			}
		}
	}
	return args
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

// signalStatus is the status a shell gives a command killed by sig.
func signalStatus(sig os.Signal) int {
	if n, ok := signalNumber(sig); ok {
		return 128 + n
	}
	return statusInterrupted
}

func signalNumber(sig os.Signal) (int, bool) {
	s, ok := sig.(syscall.Signal)
	return int(s), ok
}

// onSignals calls handle, one at a time, for each of forwardedSignals we
// receive, until the returned stop is called.
func onSignals(e *env, handle func(os.Signal)) (stop func()) {
	sigs := make(chan os.Signal, 8)
	e.notify(sigs, forwardedSignals...)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case sig := <-sigs:
				handle(sig)
			}
		}
	}()
	return func() {
		e.stopNotify(sigs)
		close(done)
	}
}
