//go:build unix

package pipeline

import (
	"os"

	"golang.org/x/sys/unix"
)

// forChild puts a FIFO that package fifo opened non-blocking (so that it
// has deadlines) back in blocking mode: O_NONBLOCK belongs to the open file
// description, which a child inherits, and a child reading its stdin would
// get EAGAIN. Other files are blocking already; clearing it is harmless.
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
