//go:build unix && !linux

package fifo

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"time"

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

func probeFIFO(name string) (int, error) { return probe(name, unix.O_NOFOLLOW) }

// probe opens name for reading, non-blocking, with the extra flags, and
// checks that it is a FIFO.
func probe(name string, flags int) (int, error) {
	for {
		fd, err := unix.Open(name, unix.O_RDONLY|unix.O_NONBLOCK|flags|unix.O_CLOEXEC, 0)
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
	probe, err := probeFIFO(name)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	return openProbed(ctx, probe, name, write, unix.O_NOFOLLOW)
}

// openProbed opens the FIFO probe refers to, by name with the extra flags,
// and checks that it opened the same one. It closes probe.
func openProbed(ctx context.Context, probe int, name string, write bool, extra int) (*os.File, error) {
	op := "open"
	var st unix.Stat_t
	unix.Fstat(probe, &st)
	flags := unix.O_RDONLY
	unblockFlags := unix.O_WRONLY | unix.O_NONBLOCK
	if write {
		// The probe is a reader: it would satisfy our own open for writing.
		unix.Close(probe)
		probe = -1
		flags, unblockFlags = unix.O_WRONLY, unix.O_RDONLY|unix.O_NONBLOCK
		if fd, err := unix.Open(name, flags|unix.O_NONBLOCK|extra|unix.O_CLOEXEC, 0); err == nil {
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
			fd, err := unix.Open(name, flags|extra|unix.O_CLOEXEC, 0)
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
		// Should that fail (no permission for that end), the goroutine is
		// left to finish when a peer comes, and close what it opened.
		closeResult := func() {
			if r := <-done; r.err == nil {
				unix.Close(r.fd)
			}
		}
		unblock, uerr := unix.Open(name, unblockFlags|extra|unix.O_CLOEXEC, 0)
		if uerr != nil {
			go closeResult()
			return nil, ctxErr(op, name, ctx)
		}
		closeResult()
		unix.Close(unblock)
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

// openFile (see OpenFile): the kernel follows symlinks in every open here.
// A reader's non-blocking open never waits and, for anything but a FIFO, is
// made blocking again. A writer's open is made as GNU's (flag, O_CREAT
// included) but non-blocking: a FIFO without a reader fails with ENXIO, and
// the same open is retried with backoff until a reader comes or ctx ends,
// holding no thread; each try gets all of the kernel's checks.
func openFile(ctx context.Context, name string, flag int, perm fs.FileMode) (*os.File, error) {
	if flag&(unix.O_WRONLY|unix.O_RDWR) == 0 {
		fd, err := probe(name, 0)
		if err == nil {
			return openProbed(ctx, fd, name, false, 0)
		}
		if !errors.Is(err, ErrNotFIFO) {
			return nil, &os.PathError{Op: "open", Path: name, Err: err}
		}
		fd, err = openNonblock(name, flag, 0)
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: name, Err: err}
		}
		return blockingFile(fd, name)
	}
	backoff := time.Millisecond
	for {
		fd, err := openNonblock(name, flag, uint32(perm.Perm()))
		if err == nil {
			var st unix.Stat_t
			if unix.Fstat(fd, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFIFO {
				return os.NewFile(uintptr(fd), name), nil
			}
			return blockingFile(fd, name)
		}
		var st unix.Stat_t
		if err != unix.ENXIO || unix.Stat(name, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFIFO {
			// Not a FIFO waiting for its reader (a socket, say): the
			// open's error is the answer, as it is GNU's.
			return nil, &os.PathError{Op: "open", Path: name, Err: err}
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctxErr("open", name, ctx)
		case <-t.C:
		}
		backoff = min(2*backoff, 100*time.Millisecond)
	}
}

func openNonblock(name string, flag int, perm uint32) (int, error) {
	for {
		fd, err := unix.Open(name, flag|unix.O_NONBLOCK|unix.O_CLOEXEC, perm)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// blockingFile clears O_NONBLOCK, which the open it stands for lacked.
func blockingFile(fd int, name string) (*os.File, error) {
	if err := unix.SetNonblock(fd, false); err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	return os.NewFile(uintptr(fd), name), nil
}
