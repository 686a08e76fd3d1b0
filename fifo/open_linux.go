package fifo

import (
	"context"
	"io/fs"
	"os"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// On Linux a FIFO is first pinned with O_PATH|O_NOFOLLOW, which opens
// nothing (no rendezvous, no device side effects) and refers to the file
// itself, a symlink included. Its type is checked on that descriptor, and the
// real open goes through /proc/self/fd/N, which reaches the same inode even if
// the name is renamed, unlinked or replaced meanwhile. No O_CREAT is ever
// used, so fs.protected_fifos does not refuse a FIFO of another user in a
// sticky directory.

// pinFIFO opens name with O_PATH and checks that it is a FIFO.
func pinFIFO(name string) (fd int, err error) {
	for {
		fd, err = unix.Open(name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != unix.EINTR {
			break
		}
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
		return -1, notFIFO(st.Mode)
	}
	return fd, nil
}

// reopen opens the file pinned by pin with flags. Without /proc it falls
// back to the name, with O_NOFOLLOW, and checks it is still the same inode.
func reopen(pin int, name string, flags int) (int, error) {
	flags |= unix.O_CLOEXEC
	for {
		fd, err := unix.Open(procPath(pin), flags, 0)
		switch {
		case err == unix.EINTR:
			continue
		case err == nil:
			return fd, nil
		case err != unix.ENOENT:
			return -1, err
		}
		// /proc is not mounted: use the name.
		fd, err = unix.Open(name, flags|unix.O_NOFOLLOW, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return -1, err
		}
		if err := sameFile(pin, fd); err != nil {
			unix.Close(fd)
			return -1, err
		}
		return fd, nil
	}
}

// sameFile fails unless a and b are descriptors of the same FIFO.
func sameFile(a, b int) error {
	var sa, sb unix.Stat_t
	if err := unix.Fstat(a, &sa); err != nil {
		return err
	}
	if err := unix.Fstat(b, &sb); err != nil {
		return err
	}
	if sb.Mode&unix.S_IFMT != unix.S_IFIFO {
		return notFIFO(sb.Mode)
	}
	if sa.Dev != sb.Dev || sa.Ino != sb.Ino {
		return errReplaced
	}
	return nil
}

func chmodFIFO(name string, perm fs.FileMode) error {
	pin, err := pinFIFO(name)
	if err != nil {
		return err
	}
	defer unix.Close(pin)
	// chmod through the magic link changes the pinned inode, never what a
	// symlink planted at name points to.
	err = unix.Chmod(procPath(pin), uint32(perm))
	if err == unix.ENOENT {
		// No /proc. fchmodat cannot refuse symlinks on Linux, but pinFIFO
		// has just seen a FIFO there, and in a sticky directory nobody else
		// can replace our file.
		err = unix.Fchmodat(unix.AT_FDCWD, name, uint32(perm), 0)
	}
	return err
}

func openFIFOOS(ctx context.Context, name string, write bool) (*os.File, error) {
	pin, err := pinFIFO(name)
	if err != nil {
		return nil, &os.PathError{Op: openOp(write), Path: name, Err: err}
	}
	defer unix.Close(pin)
	if write {
		return openWriter(ctx, pin, name)
	}
	return openReader(ctx, pin, name)
}

// procPath is the magic link through which pin is reopened.
func procPath(pin int) string { return "/proc/self/fd/" + strconv.Itoa(pin) }

// mayOpen tells whether we may open the pinned FIFO with access (unix.R_OK
// or unix.W_OK), without opening it (which would be a rendezvous).
func mayOpen(pin int, name string, access uint32) bool {
	err := unix.Faccessat(unix.AT_FDCWD, procPath(pin), access, unix.AT_EACCESS)
	if err == unix.ENOENT {
		err = unix.Faccessat(unix.AT_FDCWD, name, access, unix.AT_EACCESS|unix.AT_SYMLINK_NOFOLLOW)
	}
	return err == nil
}

type fdResult struct {
	fd  int
	err error
}

func (r fdResult) close() {
	if r.err == nil {
		unix.Close(r.fd)
	}
}

// blockingOpen starts a blocking open(2) of the pinned FIFO in a goroutine.
// The goroutine works on its own duplicate of pin, so that it stays valid
// if the caller abandons it. opened, if not nil, runs as soon as the open
// returns.
func blockingOpen(pin int, name string, flags int, opened func(fdResult)) (<-chan fdResult, error) {
	dup, err := unix.FcntlInt(uintptr(pin), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	done := make(chan fdResult, 1)
	go func() {
		defer unix.Close(dup)
		fd, err := reopen(dup, name, flags)
		r := fdResult{fd, err}
		if opened != nil {
			opened(r)
		}
		done <- r
	}()
	return done, nil
}

// release ends an unwanted blockingOpen: opening the other end (other),
// non-blocking, completes the pending open, and what it opened is closed.
// Should even that fail (the mode changed meanwhile), the goroutine is left
// to finish when a peer comes and close what it opened.
func release(done <-chan fdResult, pin int, name string, other int) {
	select {
	case r := <-done:
		r.close()
		return
	default:
	}
	u, err := reopen(pin, name, other|unix.O_NONBLOCK)
	if err != nil {
		go func() { (<-done).close() }()
		return
	}
	(<-done).close()
	unix.Close(u)
}

// openReader returns once a writer has opened the FIFO, as open(2) does.
//
// It opens the read end non-blocking (which never waits, and lets writers'
// opens complete), so the file joins the runtime's poller and has
// deadlines. To learn when a writer arrives it must block in open(2) in a
// goroutine, since Linux signals a writer's arrival to no poller; it also
// waits in the poller for data or a hang-up, because a writer that came,
// wrote and left before that blocking open began would never wake it.
// When the blocking open is still pending at the end (the poller won, or ctx
// ended), opening the write end ourselves, non-blocking, completes it. That
// brief writer also completes other processes' pending opens for reading on
// this FIFO, and those then read EOF if no other writer is there.
//
// Without write permission we could not release a blocking open, so then
// only the poller waits: the open returns when a writer has written or
// come and gone, holding no thread.
func openReader(ctx context.Context, pin int, name string) (*os.File, error) {
	const op = "open for reading"
	fd, err := reopen(pin, name, unix.O_RDONLY|unix.O_NONBLOCK)
	if err != nil {
		return nil, &os.PathError{Op: op, Path: name, Err: err}
	}
	f := os.NewFile(uintptr(fd), name)
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, &os.PathError{Op: op, Path: name, Err: err}
	}
	var (
		mu         sync.Mutex
		waiting    = true
		writerCame bool
		done       <-chan fdResult
	)
	if mayOpen(pin, name, unix.W_OK) {
		done, err = blockingOpen(pin, name, unix.O_RDONLY, func(r fdResult) {
			mu.Lock()
			defer mu.Unlock()
			if waiting && r.err == nil {
				writerCame = true
				f.SetReadDeadline(time.Unix(1, 0)) // end the poller's wait
			}
		})
		if err != nil {
			f.Close()
			return nil, &os.PathError{Op: op, Path: name, Err: err}
		}
	}
	stop := context.AfterFunc(ctx, func() { f.SetReadDeadline(time.Unix(1, 0)) })
	err = rc.Read(func(fd uintptr) bool {
		p := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(p, 0)
		return err != nil || (n > 0 && p[0].Revents != 0)
	})
	cancelled := !stop()
	mu.Lock()
	waiting = false
	came := writerCame
	mu.Unlock()
	if done != nil {
		release(done, pin, name, unix.O_WRONLY)
	}
	switch {
	case cancelled:
		f.Close()
		return nil, ctxErr(op, name, ctx)
	case err != nil && !came:
		f.Close()
		return nil, &os.PathError{Op: op, Path: name, Err: err}
	}
	f.SetReadDeadline(time.Time{})
	return f, nil
}

// openWriter tries a non-blocking open, which succeeds at once when a reader
// is there. Otherwise it must wait for one, and Linux offers no event for a
// reader's arrival that a poller could wait on, so a goroutine blocks in
// open(2), holding a thread. Cancelling releases it: opening the read end
// ourselves, non-blocking, completes the pending open, and both are closed.
// (That brief reader also completes other processes' pending opens for
// writing on this FIFO; their first write may then fail with EPIPE.)
// Without read permission that release is impossible, so then the open is
// retried non-blocking, with backoff, holding no thread.
func openWriter(ctx context.Context, pin int, name string) (*os.File, error) {
	const op = "open for writing"
	fd, err := reopen(pin, name, unix.O_WRONLY|unix.O_NONBLOCK)
	if err == nil {
		return os.NewFile(uintptr(fd), name), nil
	}
	if err != unix.ENXIO {
		return nil, &os.PathError{Op: op, Path: name, Err: err}
	}
	if !mayOpen(pin, name, unix.R_OK) {
		return retryWriter(ctx, pin, name)
	}
	done, err := blockingOpen(pin, name, unix.O_WRONLY, nil)
	if err != nil {
		return nil, &os.PathError{Op: op, Path: name, Err: err}
	}
	var r fdResult
	select {
	case r = <-done:
	case <-ctx.Done():
		release(done, pin, name, unix.O_RDONLY)
		return nil, ctxErr(op, name, ctx)
	}
	if r.err != nil {
		return nil, &os.PathError{Op: op, Path: name, Err: r.err}
	}
	// Non-blocking, the file joins the runtime's poller and has deadlines.
	if err := unix.SetNonblock(r.fd, true); err != nil {
		unix.Close(r.fd)
		return nil, &os.PathError{Op: op, Path: name, Err: err}
	}
	return os.NewFile(uintptr(r.fd), name), nil
}

func retryWriter(ctx context.Context, pin int, name string) (*os.File, error) {
	const op = "open for writing"
	backoff := time.Millisecond
	for {
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctxErr(op, name, ctx)
		case <-t.C:
		}
		fd, err := reopen(pin, name, unix.O_WRONLY|unix.O_NONBLOCK)
		if err == nil {
			return os.NewFile(uintptr(fd), name), nil
		}
		if err != unix.ENXIO {
			return nil, &os.PathError{Op: op, Path: name, Err: err}
		}
		backoff = min(2*backoff, 100*time.Millisecond)
	}
}
