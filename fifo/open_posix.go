//go:build unix && !linux

package fifo

import (
	"context"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// Without Linux's O_PATH and /proc, a FIFO is checked through a descriptor
// opened O_RDONLY|O_NONBLOCK|O_NOFOLLOW (which never waits and never follows
// a symlink), and the blocking open that follows is checked against it by
// device and inode. On Darwin FIFOs are not pollable, so these files have no
// deadlines there (SetDeadline fails with os.ErrNoDeadline).

func chmodFIFO(name string, perm fs.FileMode) error {
	return unix.Fchmodat(unix.AT_FDCWD, name, uint32(perm), unix.AT_SYMLINK_NOFOLLOW)
}

func probeFIFO(name string) (int, error) {
	for {
		fd, err := unix.Open(name, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return -1, err
		}
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			unix.Close(fd)
			return -1, err
		}
		if st.Mode&unix.S_IFMT != unix.S_IFIFO {
			unix.Close(fd)
			return -1, notFIFO(uint32(st.Mode))
		}
		return fd, nil
	}
}

func openFIFOOS(ctx context.Context, name string, write bool) (*os.File, error) {
	op := openOp(write)
	probe, err := probeFIFO(name)
	if err != nil {
		return nil, &os.PathError{Op: op, Path: name, Err: err}
	}
	var st unix.Stat_t
	unix.Fstat(probe, &st)
	flags := unix.O_RDONLY
	unblockFlags := unix.O_WRONLY | unix.O_NONBLOCK
	if write {
		// The probe is a reader: it would satisfy our own open for writing.
		unix.Close(probe)
		probe = -1
		flags, unblockFlags = unix.O_WRONLY, unix.O_RDONLY|unix.O_NONBLOCK
		if fd, err := unix.Open(name, flags|unix.O_NONBLOCK|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0); err == nil {
			return checkOpened(fd, &st, name, op)
		} else if err != unix.ENXIO {
			return nil, &os.PathError{Op: op, Path: name, Err: err}
		}
	} else {
		defer unix.Close(probe)
	}
	type result struct {
		fd  int
		err error
	}
	done := make(chan result, 1)
	go func() {
		for {
			fd, err := unix.Open(name, flags|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
			if err != unix.EINTR {
				done <- result{fd, err}
				return
			}
		}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, &os.PathError{Op: op, Path: name, Err: r.err}
		}
		return checkOpened(r.fd, &st, name, op)
	case <-ctx.Done():
		// Opening the other end, non-blocking, completes the pending open.
		unblock, uerr := unix.Open(name, unblockFlags|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		r := <-done
		if uerr == nil {
			unix.Close(unblock)
		}
		if r.err == nil {
			unix.Close(r.fd)
		}
		return nil, ctxErr(op, name, ctx)
	}
}

// checkOpened makes sure fd is the FIFO first seen as want.
func checkOpened(fd int, want *unix.Stat_t, name, op string) (*os.File, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: op, Path: name, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFIFO {
		unix.Close(fd)
		return nil, &os.PathError{Op: op, Path: name, Err: notFIFO(uint32(st.Mode))}
	}
	if st.Dev != want.Dev || st.Ino != want.Ino {
		unix.Close(fd)
		return nil, &os.PathError{Op: op, Path: name, Err: errReplaced}
	}
	return os.NewFile(uintptr(fd), name), nil
}
