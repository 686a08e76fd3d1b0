package pipeline

import (
	"context"
	"errors"
	"io/fs"
	"os"

	"github.com/gopipe/gopipe/fifo"
)

// OpenRedirect opens what r names as pipeline stages do: through
// fifo.OpenFile, which decides what the name means (the same for every
// gopipe command), waits for a FIFO's or named pipe's other end until ctx
// ends, and opens anything else as a file, created (mode 0666 less the
// umask) or truncated for Output. r.Op must not be Dup. The file is for a
// child process to inherit: a FIFO is in blocking mode, as programs expect
// their stdio to be, and so has no deadlines.
func OpenRedirect(ctx context.Context, r Redirect) (*os.File, error) {
	return openRedirect(ctx, r)
}

func openRedirect(ctx context.Context, r Redirect) (*os.File, error) {
	var flag int
	switch r.Op {
	case Input:
		flag = os.O_RDONLY
	case Output:
		flag = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	case Append:
		flag = os.O_WRONLY | os.O_CREATE | os.O_APPEND
	default:
		return nil, &os.PathError{Op: "open", Path: r.Name, Err: fs.ErrInvalid}
	}
	if r.MakeFIFO && !exists(r.Name) {
		if err := fifo.Make(r.Name, fifo.DefaultMode); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
	}
	return forChild(fifo.OpenFile(ctx, r.Name, flag, 0o666))
}

// exists tells whether name means something to OpenFile already: a file
// (or, on Windows, a file that would win over the pipe, or the pipe). An
// endpoint of serve's of that name, in the private directory, does not
// count: OpenFile never opens it.
func exists(name string) bool {
	found, _ := fifo.Lookup(name)
	for _, in := range found {
		if in.Namespace != fifo.NamespaceEndpoints {
			return true
		}
	}
	return false
}
