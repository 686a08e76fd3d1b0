package fifo

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// On Linux a FIFO is first pinned with O_PATH, which opens nothing (no
// rendezvous, no device side effects) and refers to the file itself. Its
// type is checked on that descriptor, and the real open goes through
// /proc/self/fd/N, which reaches the same inode even if the name is renamed,
// unlinked or replaced meanwhile. OpenReader and OpenWriter pin with
// O_NOFOLLOW; OpenFile lets the kernel follow a symlink in the pinning open,
// so that fs.protected_symlinks applies as it does to GNU's tools. No open
// of an existing FIFO uses O_CREAT, so the kernel's fs.protected_fifos check
// never runs on it: writers make that check themselves (protectedFIFO).

// pinFIFO opens name with O_PATH|O_NOFOLLOW and checks that it is a FIFO.
func pinFIFO(name string) (fd int, err error) {
	fd, err = openRetry(name, unix.O_PATH|unix.O_NOFOLLOW, 0)
	if err != nil {
		return -1, err
	}
	if mode, err := fdMode(fd); err != nil || mode&unix.S_IFMT != unix.S_IFIFO {
		unix.Close(fd)
		if err != nil {
			return -1, err
		}
		return -1, notFIFO(mode)
	}
	return fd, nil
}

// openRetry is open(2) with O_CLOEXEC, retried on EINTR.
func openRetry(name string, flags int, perm uint32) (int, error) {
	for {
		fd, err := unix.Open(name, flags|unix.O_CLOEXEC, perm)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// fdMode is the st_mode of fd.
func fdMode(fd int) (uint32, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return 0, err
	}
	return st.Mode, nil
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
	if write {
		pin, err := pinWritable(name)
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: name, Err: err}
		}
		defer unix.Close(pin)
		return openWriter(ctx, pin, name)
	}
	pin, err := pinFIFO(name)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	defer unix.Close(pin)
	return openReader(ctx, pin, name)
}

// pinWritable pins the FIFO name for OpenWriter as pinFIFO does, but
// through its directory, opened first, so that fs.protected_fifos' rule is
// applied to the very directory the FIFO was found in.
func pinWritable(name string) (int, error) {
	dirfd, err := openRetry(filepath.Dir(name), unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		return -1, err
	}
	defer unix.Close(dirfd)
	var pin int
	for {
		pin, err = unix.Openat(dirfd, filepath.Base(name), unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return -1, err
	}
	var st, dir unix.Stat_t
	err = unix.Fstat(pin, &st)
	if err == nil && st.Mode&unix.S_IFMT != unix.S_IFIFO {
		err = notFIFO(st.Mode)
	}
	if err == nil {
		err = unix.Fstat(dirfd, &dir)
	}
	if err == nil {
		err = stickyRule(&st, &dir)
	}
	if err != nil {
		unix.Close(pin)
		return -1, err
	}
	return pin, nil
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
	return startOpen(func() (int, error) {
		defer unix.Close(dup)
		return reopen(dup, name, flags)
	}, opened), nil
}

// startOpen makes the blocking open in a goroutine, reporting its result
// on the channel returned (and to opened, if not nil, as soon as it
// returns).
func startOpen(open func() (int, error), opened func(fdResult)) <-chan fdResult {
	done := make(chan fdResult, 1)
	go func() {
		fd, err := open()
		r := fdResult{fd, err}
		if opened != nil {
			opened(r)
		}
		done <- r
	}()
	return done
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
	const op = "open"
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
	const op = "open"
	fd, err := reopen(pin, name, unix.O_WRONLY|unix.O_NONBLOCK)
	if err == nil {
		return os.NewFile(uintptr(fd), name), nil
	}
	if err != unix.ENXIO {
		return nil, &os.PathError{Op: op, Path: name, Err: err}
	}
	return waitWriter(ctx, pin, name, true,
		func() (int, error) { return reopen(pin, name, unix.O_WRONLY|unix.O_NONBLOCK) },
		func(dup int) (int, error) { return reopen(dup, name, unix.O_WRONLY) })
}

// waitWriter waits for a reader of the pinned FIFO: blocked in open (the
// blocking open, given a duplicate of pin) in a goroutine, released by our
// own non-blocking open of the read end when ctx ends; or, without read
// permission to release it, trying the non-blocking open (try) with
// backoff, holding no thread.
//
// checked says whether what is opened has had the protected_fifos check.
func waitWriter(ctx context.Context, pin int, name string, checked bool, try func() (int, error), blocking func(dup int) (int, error)) (*os.File, error) {
	const op = "open"
	if !mayOpen(pin, name, unix.R_OK) {
		return retryWriter(ctx, name, checked, try)
	}
	dup, err := unix.FcntlInt(uintptr(pin), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: op, Path: name, Err: err}
	}
	done := startOpen(func() (int, error) {
		defer unix.Close(dup)
		return blocking(dup)
	}, nil)
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
	return writerFile(r.fd, name, checked)
}

func retryWriter(ctx context.Context, name string, checked bool, try func() (int, error)) (*os.File, error) {
	const op = "open"
	backoff := time.Millisecond
	for {
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctxErr(op, name, ctx)
		case <-t.C:
		}
		fd, err := try()
		if err == nil {
			return writerFile(fd, name, checked)
		}
		if err != unix.ENXIO {
			return nil, &os.PathError{Op: op, Path: name, Err: err}
		}
		backoff = min(2*backoff, 100*time.Millisecond)
	}
}

// stickyRule refuses, with EACCES, to write to the FIFO st found in the
// directory dir where fs.protected_fifos would refuse an O_CREAT open of
// it (GNU tee's, a shell's >): the rule of the kernel's
// may_create_in_sticky, applied here because OpenWriter's opens carry no
// O_CREAT. At 1, a FIFO in a sticky world-writable directory that is owned
// neither by us nor by the directory's owner; at 2, in a sticky
// group-writable directory too. The sysctl is read each time: it is global
// and may change while we run.
func stickyRule(st, dir *unix.Stat_t) error {
	if st.Mode&unix.S_IFMT != unix.S_IFIFO || int(st.Uid) == os.Geteuid() {
		return nil
	}
	if dir.Mode&unix.S_ISVTX == 0 || dir.Uid == st.Uid {
		return nil
	}
	level := sysctlInt("/proc/sys/fs/protected_fifos")
	if level >= 1 && dir.Mode&0o002 != 0 || level >= 2 && dir.Mode&0o020 != 0 {
		return unix.EACCES
	}
	return nil
}

// protectedFIFO applies stickyRule to a FIFO already open as fd, where
// the kernel made no check (an OpenFile for writing without O_CREAT).
func protectedFIFO(fd int, name string) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	if int(st.Uid) == os.Geteuid() {
		return nil
	}
	dir, err := holdingDir(fd, &st, name)
	if err != nil {
		return err
	}
	return stickyRule(&st, dir)
}

// holdingDir is the stat of the directory that holds the pinned file st,
// as the kernel sees it (the path of /proc/self/fd/N, so that a symlink
// followed to reach the file counts as the kernel counts it; the name's
// without /proc). The directory is opened first and the file found in it
// again by name, the same inode, so that what is checked is where the file
// is, not where it was: a file moved meanwhile is refused as replaced.
func holdingDir(pin int, st *unix.Stat_t, name string) (*unix.Stat_t, error) {
	path, err := os.Readlink(procPath(pin))
	if err != nil || !filepath.IsAbs(path) {
		if path, err = filepath.Abs(name); err != nil {
			return nil, err
		}
	}
	path = strings.TrimSuffix(path, " (deleted)")
	dirfd, err := openRetry(filepath.Dir(path), unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(dirfd)
	var dir, again unix.Stat_t
	if err := unix.Fstat(dirfd, &dir); err != nil {
		return nil, err
	}
	if err := unix.Fstatat(dirfd, filepath.Base(path), &again, unix.AT_SYMLINK_NOFOLLOW); err != nil || again.Dev != st.Dev || again.Ino != st.Ino {
		return nil, errReplaced
	}
	return &dir, nil
}

// sysctlInt reads an integer sysctl file, 0 when it cannot.
func sysctlInt(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

// openFile (see OpenFile): the kernel resolves name, symlinks included, in
// the one open that decides what it is.
func openFile(ctx context.Context, name string, flag int, perm fs.FileMode) (*os.File, error) {
	if flag&(unix.O_WRONLY|unix.O_RDWR) != 0 {
		return openFileWriter(ctx, name, flag, perm)
	}
	pin, err := openRetry(name, unix.O_PATH, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	defer unix.Close(pin)
	mode, err := fdMode(pin)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	if mode&unix.S_IFMT == unix.S_IFIFO {
		return openReader(ctx, pin, name)
	}
	fd, err := reopenAny(pin, name, flag)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	return os.NewFile(uintptr(fd), name), nil
}

// openFileWriter opens name for writing as open(2) with flag does (O_CREAT
// and O_TRUNC included, so the kernel applies fs.protected_fifos and
// protected_regular), but non-blocking, so that a FIFO without a reader
// fails with ENXIO instead of waiting past any cancellation. It then waits
// for a reader with GNU's own blocking open, by name, in a goroutine: the
// kernel follows the name and makes every check at that open, as for GNU
// tee. The FIFO pinned just before only serves to release that open when
// ctx ends (if the name was swapped meanwhile, the release misses and the
// goroutine waits for a reader of what it opened). ENXIO from anything but
// a FIFO (a socket, a device without its driver) is the answer, as GNU's.
func openFileWriter(ctx context.Context, name string, flag int, perm fs.FileMode) (*os.File, error) {
	mode := uint32(perm.Perm())
	try := func() (int, error) { return openRetry(name, flag|unix.O_NONBLOCK, mode) }
	checked := flag&unix.O_CREAT != 0
	fd, err := try()
	if err == nil {
		return writerFile(fd, name, checked)
	}
	if err != unix.ENXIO {
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	pin, perr := openRetry(name, unix.O_PATH, 0)
	if perr == nil {
		if m, merr := fdMode(pin); merr != nil || m&unix.S_IFMT != unix.S_IFIFO {
			unix.Close(pin)
			perr = err // not a FIFO: the open's ENXIO stands
		}
	}
	if perr != nil {
		return nil, &os.PathError{Op: "open", Path: name, Err: perr}
	}
	defer unix.Close(pin)
	return waitWriter(ctx, pin, name, checked, try, func(int) (int, error) { return openRetry(name, flag, mode) })
}

// writerFile makes a file of an fd opened for writing: a FIFO
// non-blocking (it has a reader, and gets deadlines), after the
// protected_fifos check unless one was made (checked: the kernel's for an
// O_CREAT open, ours for OpenWriter's pin); anything else blocking, as the
// open it stands for would have been.
func writerFile(fd int, name string, checked bool) (*os.File, error) {
	mode, err := fdMode(fd)
	switch {
	case err != nil:
	case mode&unix.S_IFMT == unix.S_IFIFO:
		if !checked {
			err = protectedFIFO(fd, name)
		}
		if err == nil {
			err = unix.SetNonblock(fd, true)
		}
	default:
		err = unix.SetNonblock(fd, false)
	}
	if err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	return os.NewFile(uintptr(fd), name), nil
}

// reopenAny opens the file pinned by pin with flags, whatever its type:
// through /proc/self/fd/N, or without /proc by name, checking that it is
// still the same file.
func reopenAny(pin int, name string, flags int) (int, error) {
	fd, err := openRetry(procPath(pin), flags, 0)
	if err != unix.ENOENT {
		return fd, err
	}
	if fd, err = openRetry(name, flags, 0); err != nil {
		return -1, err
	}
	var a, b unix.Stat_t
	if err := unix.Fstat(pin, &a); err != nil {
		unix.Close(fd)
		return -1, err
	}
	if err := unix.Fstat(fd, &b); err != nil || a.Dev != b.Dev || a.Ino != b.Ino {
		unix.Close(fd)
		if err == nil {
			err = errReplaced
		}
		return -1, err
	}
	return fd, nil
}
