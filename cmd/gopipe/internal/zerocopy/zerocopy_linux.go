package zerocopy

import (
	"errors"
	"io/fs"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// systemMaxPipeSize is /proc/sys/fs/pipe-max-size, or 0 if unknown.
var systemMaxPipeSize = sync.OnceValue(func() int {
	b, err := os.ReadFile("/proc/sys/fs/pipe-max-size")
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
})

// pipeSize is the one pipe-size policy: MaxPipeSize, or the system's
// limit if lower.
func pipeSize() int {
	if m := systemMaxPipeSize(); m > 0 && m < MaxPipeSize {
		return m
	}
	return MaxPipeSize
}

func growFile(f *os.File) int {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0
	}
	return grow(rc)
}

// grow makes the pipe behind rc hold pipeSize bytes if it holds fewer,
// and returns what it holds (0 if it is not a pipe).
func grow(rc syscall.RawConn) int {
	size := pipeSize()
	got := 0
	rc.Control(func(fd uintptr) {
		cur, err := unix.FcntlInt(fd, unix.F_GETPIPE_SZ, 0)
		if err != nil {
			return
		}
		got = cur
		if cur >= size {
			return
		}
		if n, err := unix.FcntlInt(fd, unix.F_SETPIPE_SZ, size); err == nil {
			got = n
		}
	})
	return got
}

// A yielder lets a loop of system calls that never blocks in Go (Copy's and
// the Tee's) pass through the Go scheduler every few milliseconds. Without
// that, the runtime's monitor (sysmon) sees a goroutine that has kept its
// processor for 10 ms, takes the processor from it at its next system
// call, and, having taken one, checks again every 20 µs for the next
// millisecond or so: thousands of wake-ups a second, and measured on
// `head -c 4G | gopipe tee FIFO FIFO`, about a quarter of tee's CPU time.
// Yielding restarts that 10 ms count; it costs a wake-up of another thread
// at most every yieldEvery.
type yielder struct{ last time.Time }

const yieldEvery = 5 * time.Millisecond

func (y *yielder) maybe() {
	if now := time.Now(); now.Sub(y.last) >= yieldEvery {
		runtime.Gosched()
		y.last = now
	}
}

// again is the package's one loop around a system call: it runs op until
// op fails with something other than EINTR, or, when waits are given, than
// EAGAIN, waiting for each of waits in turn to be ready (or hung up, or in
// error, which the next try reports) after an EAGAIN. It waits in poll(2),
// not in the runtime's poller: the copy has nothing else to do meanwhile,
// and parking the goroutine and waking it through the poller costs more
// than the wait itself when a pipe fills thousands of times a second.
func again(op func() (int, error), waits ...unix.PollFd) (int, error) {
	for {
		n, err := op()
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN && len(waits) > 0:
			for _, w := range waits {
				if _, err := again(func() (int, error) { return unix.Poll([]unix.PollFd{w}, -1) }); err != nil {
					return 0, err
				}
			}
			continue
		}
		return n, err
	}
}

// onFd runs op on rc's descriptor through again, waiting for it to be
// readable (or writable, with write) after an EAGAIN.
func onFd(rc syscall.RawConn, write bool, op func(fd int) (int, error)) (int, error) {
	events := int16(unix.POLLIN)
	if write {
		events = unix.POLLOUT
	}
	var n int
	var opErr error
	err := rc.Control(func(fd uintptr) {
		n, opErr = again(func() (int, error) { return op(int(fd)) }, unix.PollFd{Fd: int32(fd), Events: events})
	})
	if err != nil {
		return 0, err
	}
	return n, opErr
}

// count is a system call's count, 0 on error (x/sys returns -1 then).
func count[T int | int64](n T, err error) (int, error) {
	if err != nil {
		return 0, err
	}
	return int(n), nil
}

func copyFiles(dst, src *os.File, add func(int64)) (n int64, handled bool, err error) {
	dfi, err := dst.Stat()
	if err != nil {
		return 0, false, nil
	}
	sfi, err := src.Stat()
	if err != nil {
		return 0, false, nil
	}
	srcPipe := sfi.Mode().Type() == fs.ModeNamedPipe
	dstPipe := dfi.Mode().Type() == fs.ModeNamedPipe
	switch {
	case !srcPipe && !sfi.Mode().IsRegular():
		return 0, false, nil
	case !dstPipe && !dfi.Mode().IsRegular() && dfi.Mode().Type() != fs.ModeDevice|fs.ModeCharDevice:
		return 0, false, nil
	case !srcPipe && !dstPipe:
		return 0, false, nil
	}
	chunk := pipeSize()
	if dstPipe {
		chunk = max(chunk, growFile(dst))
	}
	if srcPipe {
		chunk = max(chunk, growFile(src))
	}
	src2, err := src.SyscallConn()
	if err != nil {
		return 0, false, nil
	}
	dst2, err := dst.SyscallConn()
	if err != nil {
		return 0, false, nil
	}
	handled = true
	// Control holds both descriptors open for the whole copy.
	cerr := src2.Control(func(sfd uintptr) {
		cerr := dst2.Control(func(dfd uintptr) {
			n, handled, err = spliceLoop(int(dfd), int(sfd), chunk, add)
		})
		if cerr != nil {
			handled = false
		}
	})
	if cerr != nil {
		handled = false
	}
	if err != nil {
		op, name := "read", src.Name()
		if IsWriteErrno(err) {
			op, name = "write", dst.Name()
		}
		err = &os.PathError{Op: op, Path: name, Err: err}
	}
	return n, handled, err
}

// spliceLoop splices sfd to dfd, either of which may be non-blocking:
// splice is asked not to block, and when it would, again waits for the
// input to have data and the output room. That holds a thread while it
// waits, as a blocking read would; an interrupt ends the process anyway.
func spliceLoop(dfd, sfd, chunk int, add func(int64)) (n int64, handled bool, err error) {
	var y yielder
	waits := []unix.PollFd{{Fd: int32(sfd), Events: unix.POLLIN}, {Fd: int32(dfd), Events: unix.POLLOUT}}
	for {
		y.maybe()
		m, err := again(func() (int, error) {
			return count(unix.Splice(sfd, nil, dfd, nil, chunk, unix.SPLICE_F_MOVE|unix.SPLICE_F_NONBLOCK))
		}, waits...)
		switch {
		case err == nil && m == 0:
			return n, true, nil // end of input
		case err == nil:
			n += int64(m)
			if add != nil {
				add(int64(m))
			}
		case n == 0 && (err == unix.EINVAL || err == unix.ENOSYS || errors.Is(err, unix.EOPNOTSUPP)):
			// These two files cannot be spliced (an O_APPEND output, a
			// file system without splice support): nothing was copied,
			// so the caller's other ways still can.
			return 0, false, nil
		default:
			return n, true, err
		}
	}
}
