package main

import (
	"github.com/gopipe/gopipe/fifo"

	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const catHelp = `Usage: %[1]s [OPTION]... [FILE]...
Concatenate FILE(s) to standard output.

With no FILE, or when FILE is -, read standard input.

  -A, --show-all           equivalent to -vET
  -b, --number-nonblank    number nonempty output lines, overrides -n
  -e                       equivalent to -vE
  -E, --show-ends          display $ at end of each line
  -n, --number             number all output lines
  -s, --squeeze-blank      suppress repeated empty output lines
  -t                       equivalent to -vT
  -T, --show-tabs          display TAB characters as ^I
  -u                       (ignored)
  -v, --show-nonprinting   use ^ and M- notation, except for LFD and TAB
      --progress           show bytes, rate and elapsed time on standard
                             error if it is a terminal, with a bar and ETA
                             when the inputs are all regular files
      --help        display this help and exit
      --version     output version information and exit

Examples:
  %[1]s f - g  Output f's contents, then standard input, then g's contents.
  %[1]s        Copy standard input to standard output.

A FILE that is a FIFO is read once a writer has opened it, until the last
writer closes it; waiting for a writer can be interrupted with Ctrl-C.
On Windows, \\.\pipe\NAME and //./pipe/NAME are named pipes; a plain NAME
(no slash, backslash or colon) is a file if one exists, and otherwise the
named pipe \\.\pipe\NAME if one exists.
`

// catOpts lists GNU cat's options in GNU's order, which is the order of
// the possibilities an ambiguous abbreviation lists.
var catOpts = []optSpec{
	{short: 'b', long: "number-nonblank"},
	{short: 'n', long: "number"},
	{short: 's', long: "squeeze-blank"},
	{short: 'v', long: "show-nonprinting"},
	{short: 'E', long: "show-ends"},
	{short: 'T', long: "show-tabs"},
	{short: 'A', long: "show-all"},
	{short: 'e'},
	{short: 't'},
	{short: 'u'},
	{long: "progress"},
	{long: "help"},
	{long: "version"},
}

// catBufSize is the read size of the copies that go through user space:
// GNU cat's (io_blksize), large enough that system calls cost little.
const catBufSize = 128 << 10

// runCat is GNU cat, which also reads FIFOs (waiting for a writer, and
// cancellably) and Windows named pipes, and can show progress.
func runCat(e *env, args []string) int {
	opts, names, err := getopt(args, catOpts)
	if err != nil {
		return e.usage(err)
	}
	var f catFormat
	showProgress := false
	for _, o := range opts {
		switch o.key() {
		case "help":
			fmt.Fprintf(e.stdout, catHelp, e.invoked)
			return 0
		case "version":
			fmt.Fprintf(e.stdout, "%s (gopipe) %s\n", e.prog, version())
			return 0
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
		case "progress":
			showProgress = true
		}
	}
	if len(names) == 0 {
		names = []string{"-"}
	}
	c := &catter{e: e, buf: make([]byte, catBufSize)}
	if f.active() {
		c.format = &f
	}
	if out, ok := e.stdout.(*os.File); ok {
		c.outFile = out
		if fi, err := out.Stat(); err == nil && fi.Mode().IsRegular() {
			c.outReg = fi
		}
	}
	if showProgress {
		c.prog = newProgress(e, inputSize(e, names))
		defer c.prog.finish()
	}
	return c.run(names)
}

// catter holds what carries from one operand to the next.
type catter struct {
	e       *env
	format  *catFormat // nil: copy bytes as they are
	outFile *os.File   // stdout, when it is a file: for the fast copies
	outReg  os.FileInfo
	buf     []byte
	out     []byte // formatted output, reused
	prog    *progress
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
		case e.ctx.Err() != nil:
			// Interrupted while waiting for a FIFO's writer: stop, as a
			// cat killed by SIGINT would, with that death's status.
			return 128 + 2
		case errors.Is(err, errSameFile):
			e.errorf("%s: input file is output file", quotef(name))
		default:
			e.errorf("%s: %s", quotef(name), strerror(err))
		}
		status = 1
	}
	if c.format != nil && c.format.pendingCR {
		// A CR at the very end was held back in case a LF followed.
		if _, err := c.write([]byte{'\r'}); err != nil {
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
		c.e.dieBy = syscall.SIGPIPE
		return 128 + 13
	}
	c.e.errorf("write error: %s", strerror(err))
	return 1
}

var errSameFile = errors.New("input file is output file")

// catOne copies one operand to stdout.
func (c *catter) catOne(name string) error {
	var (
		r io.Reader
		f *os.File
	)
	if name == "-" {
		r = c.e.stdin
		f, _ = r.(*os.File)
	} else {
		var err error
		f, err = openInput(c.e.ctx, name)
		if err != nil {
			return err
		}
		defer f.Close()
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
	if f != nil && c.outFile != nil {
		if _, handled, err := spliceCopy(c.outFile, f, c.prog); handled {
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

// write writes p to stdout, counting it for the progress line.
func (c *catter) write(p []byte) (int, error) {
	n, err := c.e.stdout.Write(p)
	c.prog.add(int64(n))
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	return n, err
}

// copyBuffered copies r to stdout through user space.
func (c *catter) copyBuffered(r io.Reader) error {
	for {
		n, err := r.Read(c.buf)
		if n > 0 {
			if _, werr := c.write(c.buf[:n]); werr != nil {
				return &errWrite{werr}
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
					return &errWrite{werr}
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
	if isWriteErrno(err) {
		return &errWrite{err}
	}
	return err
}

// isWriteErrno tells whether err is one only a write can have.
func isWriteErrno(err error) bool {
	for _, e := range []error{syscall.EPIPE, syscall.ENOSPC, syscall.EDQUOT, syscall.EFBIG, syscall.EROFS} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// inputSize is the total size of the operands when all are regular files
// (what is left of stdin, for "-"), for the progress bar; 0 when unknown.
// It opens nothing, so that it never waits for a FIFO.
func inputSize(e *env, names []string) int64 {
	var total int64
	for _, name := range names {
		if name == "-" {
			f, ok := e.stdin.(*os.File)
			if !ok {
				return 0
			}
			fi, err := f.Stat()
			if err != nil || !fi.Mode().IsRegular() {
				return 0
			}
			off, err := f.Seek(0, io.SeekCurrent)
			if err != nil {
				return 0
			}
			total += max(fi.Size()-off, 0)
			continue
		}
		fi, err := os.Stat(name)
		if err != nil || !fi.Mode().IsRegular() {
			return 0
		}
		total += fi.Size()
	}
	return total
}

// openInput opens the operand name for reading as GNU cat does, but a FIFO
// (or on Windows a named pipe) waits for a writer cancellably: what name
// means is fifo.OpenFile's decision, the same for every command.
func openInput(ctx context.Context, name string) (*os.File, error) {
	return fifo.OpenFile(ctx, name, os.O_RDONLY, 0)
}
