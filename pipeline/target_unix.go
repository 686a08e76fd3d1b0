//go:build unix

package pipeline

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// targetOf says what name is, and the path to open it by: package fifo
// refuses to follow a symbolic link to a FIFO, so the link is resolved
// here, and a FIFO is never opened with os.Open, whose open(2) would wait
// for the other end past any cancellation.
func targetOf(name string) (target, string, error) {
	fi, err := os.Stat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return missing, name, nil
	case err != nil:
		return missing, name, err
	case fi.Mode().Type() != fs.ModeNamedPipe:
		return file, name, nil
	}
	path, err := filepath.EvalSymlinks(name)
	if err != nil {
		return missing, name, err
	}
	return pipe, path, nil
}

// forChild puts a FIFO that package fifo opened non-blocking (so that it
// has deadlines) back in blocking mode: O_NONBLOCK belongs to the open file
// description, which a child inherits, and a child reading its stdin would
// get EAGAIN.
func forChild(f *os.File, err error) (*os.File, error) {
	if err != nil {
		return nil, err
	}
	rc, err := f.SyscallConn()
	if err == nil {
		var serr error
		err = rc.Control(func(fd uintptr) { serr = unix.SetNonblock(int(fd), false) })
		if err == nil {
			err = serr
		}
	}
	if err != nil {
		f.Close()
		return nil, &os.PathError{Op: "fcntl", Path: f.Name(), Err: err}
	}
	return f, nil
}

// needsRelay: a child can use any file as it is here.
func needsRelay(*os.File) bool { return false }
