package cattee

import (
	"github.com/gopipe/gopipe/cmd/gopipe/internal/command"
	"github.com/gopipe/gopipe/cmd/gopipe/internal/zerocopy"
	"github.com/gopipe/gopipe/fifo"

	"context"
	"errors"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Cat is GNU cat, which also reads FIFOs (waiting for a writer, and
// cancellably) and Windows named pipes, and can show progress.
var Cat = &command.Spec{
	Name:     "cat",
	DropIn:   true,
	Aliases:  []string{"pipecat"},
	Summary:  "concatenate files, FIFOs and named pipes to stdout (GNU cat)",
	Synopsis: "[OPTION]... [FILE]...",
	GNU:      true,
	Intro: `Concatenate FILE(s) to standard output.

With no FILE, or when FILE is -, read standard input.

`,
	Options: append([]command.Option{
		{Short: 'A', Long: "show-all", Help: "equivalent to -vET"},
		{Short: 'b', Long: "number-nonblank", Help: "number nonempty output lines, overrides -n"},
		{Short: 'e', Help: "equivalent to -vE"},
		{Short: 'E', Long: "show-ends", Help: "display $ at end of each line"},
		{Short: 'n', Long: "number", Help: "number all output lines"},
		{Short: 's', Long: "squeeze-blank", Help: "suppress repeated empty output lines"},
		{Short: 't', Help: "equivalent to -vT"},
		{Short: 'T', Long: "show-tabs", Help: "display TAB characters as ^I"},
		{Short: 'u', Help: "(ignored)"},
		{Short: 'v', Long: "show-nonprinting", Help: "use ^ and M- notation, except for LFD and TAB"},
	}, progressOptions...),
	// GNU cat's long options table, whose order its "ambiguous" message
	// lists.
	LongOrder: []string{"number-nonblank", "number", "squeeze-blank", "show-nonprinting", "show-ends", "show-tabs", "show-all"},
	Outro: `Examples:
  %[1]s f - g  Output f's contents, then standard input, then g's contents.
  %[1]s        Copy standard input to standard output.

A FILE that is a FIFO is read once a writer has opened it, until the last
writer closes it; waiting for a writer can be interrupted with Ctrl-C.
What a FILE names is what it names to every gopipe command: on Windows,
\\.\pipe\NAME and //./pipe/NAME are named pipes, and a plain NAME (no slash,
backslash or colon) is a file if one exists, and otherwise the named pipe
\\.\pipe\NAME if one exists.
` + progressOutro + command.RemoteNote,
	Run: runCat,
}

// catBufSize is the read size of the copies that go through user space:
// GNU cat's (io_blksize), large enough that system calls cost little.
const catBufSize = 128 << 10

// runCat is GNU cat, which also reads FIFOs (waiting for a writer, and
// cancellably) and Windows named pipes, and can show progress.
func runCat(e *command.Env, p *command.Parsed) int {
	var f catFormat
	pc := newProgressConfig()
	for _, o := range p.Opts {
		if handled, err := pc.set(o); handled {
			if err != nil {
				e.Errorf("%s", err)
				return command.StatusFailure
			}
			continue
		}
		switch o.Key() {
		case "number-nonblank":
			f.number, f.nonblank = true, true
		case "number":
			f.number = true
		case "squeeze-blank":
			f.squeeze = true
		case "show-nonprinting":
			f.nonprinting = true
		case "show-ends":
			f.ends = true
		case "show-tabs":
			f.tabs = true
		case "show-all":
			f.nonprinting, f.ends, f.tabs = true, true, true
		case "e":
			f.nonprinting, f.ends = true, true
		case "t":
			f.nonprinting, f.tabs = true, true
		case "u":
			// Ignored, as by GNU: output is never held back anyway.
		}
	}
	names := p.Operands
	if len(names) == 0 {
		names = []string{"-"}
	}
	c := &catter{e: e, buf: make([]byte, catBufSize), lim: newLimiter(e.Ctx, pc.rate)}
	if f.active() {
		c.format = &f
	}
	if out, ok := e.Stdout.(*os.File); ok {
		c.outFile = out
		if fi, err := out.Stat(); err == nil && fi.Mode().IsRegular() {
			c.outReg = fi
		}
	}
	c.prog = newProgress(e, pc, func() int64 { return inputSize(e, names) })
	defer c.prog.finish()
	e.Stderr = c.prog.stderr(e.Stderr)
	return c.run(names)
}

// catter holds what carries from one operand to the next.
type catter struct {
	e       *command.Env
	format  *catFormat // nil: copy bytes as they are
	outFile *os.File   // stdout, when it is a file: for the fast copies
	outReg  os.FileInfo
	buf     []byte
	out     []byte // formatted output, reused
	prog    *progress
	lim     *limiter // nil: no --rate-limit
}

// errWrite marks a failure to write stdout, which ends cat, as opposed to a
// failure to read an operand, after which cat goes on to the next.
type errWrite struct{ err error }

func (e *errWrite) Error() string { return e.err.Error() }
func (e *errWrite) Unwrap() error { return e.err }

func (c *catter) run(names []string) int {
	e := c.e
	status := 0
	for _, name := range names {
		err := c.catOne(name)
		if err == nil {
			continue
		}
		var we *errWrite
		switch {
		case errors.As(err, &we):
			return c.writeFailed(we.err)
		case e.Ctx.Err() != nil:
			// Interrupted while waiting for a FIFO's writer: stop, as a
			// cat killed by SIGINT would, with that death's status.
			return 128 + 2
		case errors.Is(err, errSameFile):
			e.Errorf("%s: input file is output file", command.Quotef(name))
		default:
			e.Errorf("%s: %s", command.Quotef(name), command.Strerror(err))
		}
		status = 1
	}
	if c.format != nil && c.format.pendingCR {
		// A CR at the very end was held back in case a LF followed.
		if _, err := c.write([]byte{'\r'}); err != nil {
			if e.Ctx.Err() != nil {
				return 128 + 2
			}
			return c.writeFailed(err)
		}
	}
	return status
}

// writeFailed ends cat on a write error as GNU cat ends: killed by SIGPIPE
// when the reader has gone (Go's runtime already does that for failed
// writes to fd 1, but not for splice(2) or other files), unless SIGPIPE is
// ignored; otherwise "cat: write error: …" and status 1.
func (c *catter) writeFailed(err error) int {
	if errors.Is(err, syscall.EPIPE) && !signal.Ignored(syscall.SIGPIPE) {
		c.e.DieBy = syscall.SIGPIPE
		return 128 + 13
	}
	c.e.Errorf("write error: %s", command.Strerror(err))
	return 1
}

var errSameFile = errors.New("input file is output file")

// catOne copies one operand to stdout.
func (c *catter) catOne(name string) (err error) {
	var (
		r io.Reader
		f *os.File
	)
	if name == "-" {
		r = c.e.Stdin
		f, _ = r.(*os.File)
	} else {
		c.prog.waitFor("writer", name)
		f, err = openInput(c.e.Ctx, name)
		c.prog.opened()
		if err != nil {
			return err
		}
		// A remote NAME's ssh says at its close how the other side
		// ended: a failure there is this operand's, as a read error is.
		defer func() {
			if cerr := fifo.Close(f); cerr != nil && err == nil {
				err = cerr
			}
		}()
		r = f
	}
	var fi os.FileInfo
	if f != nil {
		var err error
		if fi, err = f.Stat(); err != nil {
			return err
		}
		// GNU's check: copying a regular file onto itself would only grow
		// it until the disk is full, unless nothing is left to read.
		if c.outReg != nil && os.SameFile(fi, c.outReg) {
			if off, err := f.Seek(0, io.SeekCurrent); err != nil || off < fi.Size() {
				return errSameFile
			}
		}
	}
	if c.format != nil {
		return c.copyFormatted(r)
	}
	// A rate-limited copy goes through the buffer, a chunk at a time: the
	// kernel's copies move as much as they can in one call.
	if f != nil && c.outFile != nil && c.lim == nil {
		if _, handled, err := zerocopy.Copy(c.outFile, f, c.prog.add); handled {
			if err != nil {
				return classifyCopyError(err)
			}
			return nil
		}
		if fi.Mode().IsRegular() && c.outReg != nil {
			return c.copyFileRange(f)
		}
	}
	return c.copyBuffered(r)
}

// write writes p to stdout, counting it for the progress line, and no
// faster than the rate limit allows.
func (c *catter) write(p []byte) (int, error) {
	if c.lim != nil {
		return c.writeLimited(p)
	}
	n, err := c.e.Stdout.Write(p)
	c.prog.add(int64(n))
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	return n, err
}

// writeLimited writes p a chunk at a time, each when the limiter lets it
// go; an interrupted wait is an error of its own, not a failed write.
func (c *catter) writeLimited(p []byte) (int, error) {
	done := 0
	for done < len(p) {
		k := min(len(p)-done, c.lim.chunk())
		if err := c.lim.wait(k); err != nil {
			return done, &errInterrupted{err}
		}
		n, err := c.e.Stdout.Write(p[done : done+k])
		c.prog.add(int64(n))
		done += n
		if err == nil && n < k {
			err = io.ErrShortWrite
		}
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

// errInterrupted is a wait that the command's context ended.
type errInterrupted struct{ err error }

func (e *errInterrupted) Error() string { return e.err.Error() }
func (e *errInterrupted) Unwrap() error { return e.err }

// writeError is the error of a failed c.write, as the copy loops return it.
func writeError(err error) error {
	var ie *errInterrupted
	if errors.As(err, &ie) {
		return err
	}
	return &errWrite{err}
}

// copyBuffered copies r to stdout through user space; when the rate is
// limited, a chunk at a time, so that the output flows evenly.
func (c *catter) copyBuffered(r io.Reader) error {
	buf := c.buf
	if c.lim != nil {
		buf = buf[:min(len(buf), c.lim.chunk())]
	}
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if _, werr := c.write(buf[:n]); werr != nil {
				return writeError(werr)
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// copyFormatted copies r to stdout with cat's formatting. Each read's
// output is written at once, so that nothing is held back from a reader
// of an interactive stream (GNU's tests/cat/cat-buf.sh).
func (c *catter) copyFormatted(r io.Reader) error {
	for {
		n, err := r.Read(c.buf)
		if n > 0 {
			c.out = c.format.append(c.out[:0], c.buf[:n])
			if len(c.out) > 0 {
				if _, werr := c.write(c.out); werr != nil {
					return writeError(werr)
				}
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// copyFileRange copies a regular file to stdout, a regular file too, with
// io.Copy, which uses copy_file_range(2) where it can (sharing blocks on
// file systems that can, never passing the data through user space). It
// goes in slices so that the progress line moves.
func (c *catter) copyFileRange(f *os.File) error {
	const slice = 64 << 20
	for {
		n, err := io.CopyN(c.outFile, f, slice)
		c.prog.add(n)
		switch {
		case err == io.EOF:
			return nil
		case err != nil:
			return classifyCopyError(err)
		case n < slice:
			return nil
		}
	}
}

// classifyCopyError tells a failure to write stdout (which ends cat) from
// a failure to read the input, for errors of io.Copy, which may come from
// a system call that does both.
func classifyCopyError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		if pe.Op == "write" {
			return &errWrite{err}
		}
		if pe.Op == "read" {
			return err
		}
	}
	if zerocopy.IsWriteErrno(err) {
		return &errWrite{err}
	}
	return err
}

// openInput opens the operand name for reading as GNU cat does, but a FIFO
// (or on Windows a named pipe) waits for a writer cancellably: what name
// means is fifo.OpenFile's decision, the same for every command.
func openInput(ctx context.Context, name string) (*os.File, error) {
	return fifo.OpenFile(ctx, name, os.O_RDONLY, 0)
}
