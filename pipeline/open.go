package pipeline

import (
	"context"
	"errors"
	"io/fs"
	"os"

	"github.com/gopipe/gopipe/fifo"
)

// target is what a redirection's name refers to.
type target int

const (
	missing target = iota
	file           // anything that is not a FIFO: opened as a file
	pipe           // a FIFO, or a Windows named pipe
)

// OpenRedirect opens what r names as pipeline stages do: a FIFO or named
// pipe through package fifo, which waits for the other end until ctx ends;
// anything else as a file, created (mode 0666 less the umask) or truncated
// for Output. r.Op must not be Dup. The file is for a child process to
// inherit: a FIFO is in blocking mode, as programs expect their stdio to be,
// and so has no deadlines.
func OpenRedirect(ctx context.Context, r Redirect) (*os.File, error) {
	return openRedirect(ctx, r)
}

func openRedirect(ctx context.Context, r Redirect) (*os.File, error) {
	name := r.Name
	kind, path, err := targetOf(name)
	if err != nil {
		return nil, err
	}
	if kind == missing && r.MakeFIFO {
		if err := fifo.Make(name, fifo.DefaultMode); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		kind, path = pipe, name
	}
	switch r.Op {
	case Input:
		if kind == pipe {
			return forChild(fifo.OpenReader(ctx, path))
		}
		return os.Open(name)
	case Output, Append:
		if kind == pipe {
			return forChild(fifo.OpenWriter(ctx, path))
		}
		flag := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
		if r.Op == Append {
			flag = os.O_WRONLY | os.O_CREATE | os.O_APPEND
		}
		return os.OpenFile(name, flag, 0o666)
	}
	return nil, &os.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
}
