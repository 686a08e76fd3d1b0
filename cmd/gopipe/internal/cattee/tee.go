package cattee

import (
	"context"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command"
	"github.com/gopipe/gopipe/cmd/gopipe/internal/zerocopy"
	"github.com/gopipe/gopipe/fifo"

	"io"
	"os"
)

// Tee is GNU tee (coreutils 9.2 or later): stdin goes to stdout and to
// every FILE, unbuffered, each chunk read written to all outputs before the
// next read. FILEs may be FIFOs and, on Windows, named pipes.
var Tee = &command.Spec{
	Name:     "tee",
	DropIn:   true,
	Summary:  "copy stdin to stdout and to files, FIFOs and named pipes (GNU tee)",
	Synopsis: "[OPTION]... [FILE]...",
	GNU:      true,
	Intro: `Copy standard input to each FILE, and also to standard output.

`,
	Options: append([]command.Option{
		{Short: 'a', Long: "append", Help: "append to the given FILEs, do not overwrite"},
		{Short: 'i', Long: "ignore-interrupts", Help: "ignore interrupt signals"},
		{Short: 'p', Help: "diagnose errors writing to non pipes"},
		{Long: "output-error", Arg: command.OptionalArg, ArgName: "MODE", Help: "set behavior on write error.  See MODE below",
			Values: outputErrorNames()},
	}, progressOptions...),
	Outro: `MODE determines behavior with write errors on the outputs:
  warn           diagnose errors writing to any output
  warn-nopipe    diagnose errors writing to any output not a pipe
  exit           exit on error writing to any output
  exit-nopipe    exit on error writing to any output not a pipe
The default MODE for the -p option is 'warn-nopipe'.
The default operation when --output-error is not specified, is to
exit immediately on error writing to a pipe, and diagnose errors
writing to non pipe outputs.

Each FILE is opened before any input is read; a FILE that is a FIFO waits
for its reader. '-' is a file of that name, as in GNU tee. In the nopipe
modes tee exits as soon as every output is a broken pipe, even while no
input comes. What a FILE names is what it names to every gopipe command: on
Windows, \\.\pipe\NAME and //./pipe/NAME are named pipes, and a bare NAME
that is no file here but a pipe (gopipe mkfifo NAME) is that pipe.
` + progressOutro + command.RemoteNote,
	Run: runTee,
}

// outputError is what tee does when writing to an output fails (GNU's
// enum output_error).
type outputError int

const (
	outputErrorSigpipe    outputError = iota // the default: die by SIGPIPE on a broken pipe, diagnose other errors
	outputErrorWarn                          // diagnose every error, go on with the other outputs
	outputErrorWarnNopipe                    // drop a broken pipe silently, diagnose other errors
	outputErrorExit                          // diagnose and exit at the first error
	outputErrorExitNopipe                    // drop a broken pipe silently, exit at any other error
)

// outputErrorModes are the --output-error arguments, in the order GNU's
// message lists them.
var outputErrorModes = []struct {
	name string
	mode outputError
}{
	{"warn", outputErrorWarn},
	{"warn-nopipe", outputErrorWarnNopipe},
	{"exit", outputErrorExit},
	{"exit-nopipe", outputErrorExitNopipe},
}

func outputErrorNames() []string {
	var names []string
	for _, m := range outputErrorModes {
		names = append(names, m.name)
	}
	return names
}

func runTee(e *command.Env, p *command.Parsed) int {
	t := &teeRun{e: e, ok: true, pc: newProgressConfig()}
	for _, o := range p.Opts {
		if handled, err := t.pc.set(o); handled {
			if err != nil {
				e.Errorf("%s", err)
				return command.StatusFailure
			}
			continue
		}
		t.setOption(o)
	}
	t.lim = newLimiter(e.Ctx, t.pc.rate)
	if t.ignoreInterrupts {
		e.Ignore(os.Interrupt)
	}
	if t.mode != outputErrorSigpipe {
		// A broken pipe is then an error like any other, which the mode
		// deals with; this matters only for stdout and stderr, where Go
		// would otherwise die of SIGPIPE.
		ignoreSIGPIPE(e)
	}
	return t.run(p.Operands)
}

// setOption sets what an option asks.
func (t *teeRun) setOption(o command.Opt) {
	switch o.Key() {
	case "append":
		t.append = true
	case "ignore-interrupts":
		t.ignoreInterrupts = true
	case "p":
		t.mode = outputErrorWarnNopipe
	case "output-error":
		t.mode = outputErrorWarnNopipe
		if o.HasValue {
			for _, m := range outputErrorModes {
				if m.name == o.Value { // the full name: command.Run matched it
					t.mode = m.mode
				}
			}
		}
	}
}

// teeRun is one run of tee.
type teeRun struct {
	e                *command.Env
	append           bool
	ignoreInterrupts bool
	mode             outputError
	pc               progressConfig
	prog             *progress // nil unless progress is shown
	lim              *limiter  // nil: no --rate-limit

	outs []*teeOutput // stdout first, then the FILEs in order, as GNU writes them
	live int          // how many outs are still written to
	ok   bool         // false once an error has been diagnosed: exit status 1
}

// teeOutput is one of tee's outputs.
type teeOutput struct {
	name string    // for messages: the FILE as given, or "standard output"
	w    io.Writer // what is written to
	f    *os.File  // w when it is a file we opened (and close); else nil
	live bool      // still written to
}

func (o *teeOutput) write(p []byte) error {
	n, err := o.w.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	return err
}

func (t *teeRun) exitOnError() bool {
	return t.mode == outputErrorExit || t.mode == outputErrorExitNopipe
}

func (t *teeRun) run(names []string) int {
	e := t.e
	t.outs = append(t.outs, &teeOutput{name: "standard output", w: e.Stdout, live: true})
	defer t.closeFiles()
	// Shown from the start, so that it tells when a FIFO waits for its
	// reader (the clock stops meanwhile).
	t.prog = newProgress(e, t.pc, func() int64 { return inputSize(e, []string{"-"}) })
	defer t.prog.finish()
	e.Stderr = t.prog.stderr(e.Stderr)
	// Every output is opened before any input is read, as GNU does: in
	// order, so that a FIFO waits for its reader before the next is opened.
	for _, name := range names {
		t.prog.waitFor("reader", name)
		f, err := openTeeOutput(e.Ctx, name, t.append)
		t.prog.opened()
		if err != nil {
			e.Errorf("%s: %s", command.Quotef(name), command.Strerror(err))
			t.ok = false
			if t.exitOnError() {
				return 1
			}
			continue
		}
		t.outs = append(t.outs, &teeOutput{name: name, w: f, f: f, live: true})
	}
	t.live = len(t.outs)

	var broken <-chan int
	if t.mode == outputErrorWarnNopipe || t.mode == outputErrorExitNopipe {
		// Where a broken pipe is dropped silently, tee must notice when
		// every output is one without waiting for input that may never
		// come (GNU 9.2 polls for this too).
		var stop func()
		if broken, stop = watchPipes(t.outs); stop != nil {
			defer stop()
		}
	}
	var p pump
	if t.lim == nil {
		// A rate-limited copy reads a chunk at a time: the kernel's tee
		// takes what the pipe holds.
		p = newPipePump(t)
	}
	if p == nil {
		size := 128 << 10
		if t.lim != nil {
			size = t.lim.chunk()
		}
		p = &bufPump{r: e.Stdin, buf: make([]byte, size)}
	}
	if stop, status := t.pumpAll(p, broken); stop {
		return status
	}
	if !t.closeFiles() {
		t.ok = false
	}
	if t.ok {
		return 0
	}
	return 1
}

// closeFiles closes the files we opened, diagnosing errors as GNU's fclose
// check does; the files stay closed if it is called again.
func (t *teeRun) closeFiles() bool {
	ok := true
	for _, o := range t.outs {
		if o.f == nil {
			continue
		}
		err := fifo.Close(o.f) // for a remote NAME, how the other side ended
		if o.live && err != nil {
			t.e.Errorf("%s: %s", command.Quotef(o.name), command.Strerror(err))
			ok = false
		}
		o.f = nil
	}
	return ok
}

// drop stops writing to o.
func (t *teeRun) drop(o *teeOutput) {
	o.live = false
	t.live--
	if o.f != nil {
		// Closing at once lets the output's reader see the end of the data,
		// rather than wait until tee ends.
		fifo.Close(o.f)
		o.f = nil
	}
}

// fail deals with an error writing to o as GNU's fail_output does, but for
// dying by SIGPIPE, which GNU gets from the kernel: stop tells that tee must
// end now with status.
func (t *teeRun) fail(o *teeOutput, err error) (stop bool, status int) {
	broken := isBrokenPipe(err)
	if broken && t.mode == outputErrorSigpipe {
		t.drop(o)
		return true, dieOfSIGPIPE(t.e)
	}
	diagnose := !broken || t.mode == outputErrorWarn || t.mode == outputErrorExit
	t.drop(o)
	if !diagnose {
		return false, 0
	}
	msg := command.Strerror(err)
	if broken {
		msg = "Broken pipe" // Windows has other words for it
	}
	t.e.Errorf("%s: %s", command.Quotef(o.name), msg)
	t.ok = false
	if t.exitOnError() {
		return true, 1
	}
	return false, 0
}

// A pump moves the input to the outputs one chunk at a time: fill reads
// the next chunk (in a goroutine of its own, so that tee can notice broken
// pipes while input is idle), and deliver writes the chunk to every live
// output before the next fill.
type pump interface {
	// fill reads the next chunk, returning its length; 0 with a nil error
	// means nothing was read yet (try again), io.EOF the end.
	fill() (int, error)
	// deliver writes the chunk just filled to the live outputs.
	deliver(t *teeRun, n int) (stop bool, status int)
	// close releases the pump, once no fill runs or will run.
	close()
}

// pumpAll runs p until the input ends, every output has gone, or an error
// ends tee (stop is then true, with the exit status); broken reports
// outputs whose reader went away.
func (t *teeRun) pumpAll(p pump, broken <-chan int) (stop bool, status int) {
	fill := func() filled {
		n, err := p.fill()
		return filled{n, err}
	}
	if broken == nil {
		// Nothing to watch while input is idle: fill here, rather than
		// hand each chunk over from a goroutine (two context switches).
		defer p.close()
	} else {
		var stop func()
		fill, stop = t.fillAside(p, broken)
		defer stop()
	}
	for t.live > 0 {
		r := fill()
		if r.n > 0 {
			if err := t.lim.wait(r.n); err != nil {
				return true, 128 + 2
			}
			if stop, status := p.deliver(t, r.n); stop {
				return true, status
			}
			t.prog.add(int64(r.n))
		}
		switch {
		case r.err == io.EOF:
			return false, 0
		case r.err != nil:
			t.e.Errorf("read error: %s", command.Strerror(r.err))
			t.ok = false
			return false, 0
		}
	}
	return false, 0
}

type filled struct {
	n   int
	err error
}

// fillAside runs p's fills in a goroutine of their own and returns a
// function that starts the next and waits for it while dropping the outputs
// reported broken (only the nopipe modes watch, and they drop a broken pipe
// silently). Once none is left, that function reports EOF: tee ends, and a
// fill still blocked on input is abandoned, to end with the input or with
// the process. After stop the goroutine ends (once its fill returns); it
// owns the pump's resources, since an abandoned fill may still use them.
func (t *teeRun) fillAside(p pump, broken <-chan int) (fill func() filled, stop func()) {
	next := make(chan struct{})
	done := make(chan filled, 1) // buffered: the filler never waits on tee
	go func() {
		defer p.close()
		for range next {
			n, err := p.fill()
			done <- filled{n, err}
		}
	}()
	stop = func() { close(next) }
	return func() filled {
		next <- struct{}{}
		for {
			select {
			case r := <-done:
				return r
			case i := <-broken:
				if o := t.outs[i]; o.live {
					t.drop(o)
				}
				if t.live == 0 {
					return filled{err: io.EOF}
				}
			}
		}
	}, stop
}

// pipePump is the zero-copy pump: when stdin and every output are pipes
// (FIFOs included) on Linux, the kernel moves the data (package zerocopy).
type pipePump struct {
	tee *zerocopy.Tee
	t   *teeRun
	// status is the exit status a failed output asked for, when it stops
	// tee.
	status int
}

// newPipePump returns the zero-copy pump, or nil (the interface's nil:
// callers compare with it) where it cannot be used.
func newPipePump(t *teeRun) pump {
	outs := make([]any, len(t.outs))
	for i, o := range t.outs {
		outs[i] = o.w
	}
	tee := zerocopy.NewTee(t.e.Stdin, outs)
	if tee == nil {
		return nil
	}
	return &pipePump{tee: tee, t: t}
}

func (p *pipePump) fill() (int, error) { return p.tee.Fill() }
func (p *pipePump) close()             { p.tee.Close() }

func (p *pipePump) deliver(t *teeRun, n int) (bool, int) {
	stop, err := p.tee.Deliver(n, p)
	if err != nil {
		t.e.Errorf("%s", command.Strerror(err))
		t.ok = false
		return true, 1
	}
	return stop, p.status
}

// Live, Write and Fail are the outputs as zerocopy.Tee sees them.
func (p *pipePump) Live(i int) bool             { return p.t.outs[i].live }
func (p *pipePump) Write(i int, b []byte) error { return p.t.outs[i].write(b) }
func (p *pipePump) Fail(i int, err error) bool {
	stop, status := p.t.fail(p.t.outs[i], err)
	p.status = status
	return stop
}

// bufPump is the portable pump: read(2) and write(2) through a buffer.
type bufPump struct {
	r   io.Reader
	buf []byte
}

func (p *bufPump) fill() (int, error) {
	return p.r.Read(p.buf)
}

func (p *bufPump) deliver(t *teeRun, n int) (bool, int) {
	return t.writeAll(p.buf[:n])
}

func (p *bufPump) close() {}

// writeAll writes b to every live output, in order.
func (t *teeRun) writeAll(b []byte) (stop bool, status int) {
	for _, o := range t.outs {
		if !o.live {
			continue
		}
		if err := o.write(b); err != nil {
			if stop, status := t.fail(o, err); stop {
				return true, status
			}
		}
	}
	return false, 0
}

// openTeeOutput opens a FILE of tee's for writing as GNU's fopen(NAME, "w"
// or "a") does, but a FIFO (or on Windows a named pipe) waits for its reader
// cancellably: what name means is fifo.OpenFile's decision, the same for
// every command, and so is refusing where fs.protected_fifos would.
func openTeeOutput(ctx context.Context, name string, appendMode bool) (*os.File, error) {
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if appendMode {
		flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
	}
	return fifo.OpenFile(ctx, name, flags, 0o666)
}
