package cattee

import (
	"context"
	"errors"
	"io"
	"os"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command"
	"github.com/gopipe/gopipe/fifo"
)

// RemoteSide is the far half of cat and tee over ssh (fifo.OpenFile of an
// ssh:// NAME runs it through ssh): "__remote read NAME" copies NAME to
// stdout, "__remote write [--append] NAME" stdin to NAME, each opening NAME
// as cat and tee do. What only this half can know is that the near half is
// gone while a FIFO's open still waits: a reader's stdin, which carries
// nothing, ends; a writer's stdout (which carries nothing) is closed by
// sshd. The open is then given up, so that no gopipe waits forever on a
// host nobody is connected to. Hidden: not a command for users.
var RemoteSide = &command.Spec{
	Name:     "__remote",
	Synopsis: "read|write [--append] NAME",
	Options:  []command.Option{{Long: "append", Help: "append to NAME"}},
	Run:      runRemoteSide,
}

func runRemoteSide(e *command.Env, p *command.Parsed) int {
	if len(p.Operands) != 2 || (p.Operands[0] != "read" && p.Operands[0] != "write") {
		return e.Usage(errors.New("want read NAME or write NAME"))
	}
	name := p.Operands[1]
	appendMode := false
	for _, o := range p.Opts {
		appendMode = appendMode || o.Key() == "append"
	}
	ctx, cancel := context.WithCancel(e.Ctx)
	defer cancel()
	if p.Operands[0] == "read" {
		// Our stdin carries nothing: its end is the near half's.
		go func() { io.Copy(io.Discard, e.Stdin); cancel() }()
		f, err := fifo.OpenFile(ctx, name, os.O_RDONLY, 0)
		if err != nil {
			return remoteFailed(e, ctx, name, err)
		}
		defer f.Close()
		stop := context.AfterFunc(ctx, func() { f.Close() })
		defer stop()
		if _, err := io.Copy(e.Stdout, f); err != nil && ctx.Err() == nil {
			e.Errorf("%s: %s", command.Quotef(name), command.Strerror(err))
			return 1
		}
		return 0
	}
	go func() {
		if out, ok := e.Stdout.(*os.File); ok {
			waitClosed(out)
			cancel()
		}
	}()
	// The data first goes through a channel, so that an end of input
	// before NAME opens (nothing to write) can give up a FIFO's wait,
	// which data already read cannot.
	chunks := make(chan []byte, 1)
	go func() {
		defer close(chunks)
		for {
			b := make([]byte, 64<<10)
			n, err := e.Stdin.Read(b)
			if n > 0 {
				chunks <- b[:n]
			}
			if err != nil {
				return
			}
		}
	}()
	first, more := <-chunks
	if !more && !isFIFO(name) {
		more = true // an empty write still creates or truncates a file
	}
	if !more {
		return 0 // nothing to write to a FIFO, and nobody to tell
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if appendMode {
		flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
	}
	f, err := fifo.OpenFile(ctx, name, flags, 0o666)
	if err != nil {
		return remoteFailed(e, ctx, name, err)
	}
	write := func(b []byte) bool {
		if _, err := f.Write(b); err != nil {
			e.Errorf("%s: %s", command.Quotef(name), command.Strerror(err))
			return false
		}
		return true
	}
	if first != nil && !write(first) {
		f.Close()
		return 1
	}
	for b := range chunks {
		if !write(b) {
			f.Close()
			return 1
		}
	}
	if err := f.Close(); err != nil {
		e.Errorf("%s: %s", command.Quotef(name), command.Strerror(err))
		return 1
	}
	return 0
}

// remoteFailed reports a failed open, unless the near half is gone (then
// nobody reads the message, and there is nothing to fail).
func remoteFailed(e *command.Env, ctx context.Context, name string, err error) int {
	if ctx.Err() != nil {
		return 0
	}
	e.Errorf("%s: %s", command.Quotef(name), command.Strerror(err))
	return 1
}

// isFIFO tells whether name is a FIFO (here, or on Windows a pipe).
func isFIFO(name string) bool {
	in, err := fifo.Inspect(name)
	return err == nil && (in.Kind == fifo.KindFIFO || in.Kind == fifo.KindGopipeFIFO || in.Kind == fifo.KindNamedPipe)
}
