package main

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

// pipeSize is the size cat gives the pipes it splices between: 16 times
// Linux's default, so that each splice(2) moves up to 1 MiB, a tenth of the
// system calls and wake-ups. It is what an unprivileged process may ask for
// by default (/proc/sys/fs/pipe-max-size).
const pipeSize = 1 << 20

// A yielder lets a loop of system calls that never blocks in Go (cat's and
// tee's splice loops) pass through the Go scheduler every few milliseconds.
// Without that, the runtime's monitor (sysmon) sees a goroutine that has
// kept its processor for 10 ms, takes the processor from it at its next
// system call, and, having taken one, checks again every 20 µs for the next
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

// maxPipeSize is /proc/sys/fs/pipe-max-size, or 0 if unknown.
var maxPipeSize = sync.OnceValue(func() int {
	b, err := os.ReadFile("/proc/sys/fs/pipe-max-size")
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
})

// growPipe enlarges the pipe f to pipeSize, or to as much as the system
// lets a user have, and returns its size (0 if f is not a pipe). It is only
// a speed-up: failure (a user over their pipe-user-pages quota) leaves the
// pipe as it was.
func growPipe(f *os.File) int {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0
	}
	want := pipeSize
	if m := maxPipeSize(); m > 0 && m < want {
		want = m
	}
	return enlargePipe(rc, want)
}

// enlargePipe makes the pipe behind rc hold size bytes if it holds fewer,
// and returns what it holds (0 if it is not a pipe).
func enlargePipe(rc syscall.RawConn, size int) int {
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

// spliceCopy copies src to dst with splice(2), which moves pages between
// the two inside the kernel: one end must be a pipe, the other a pipe or a
// regular file (a char device such as /dev/null too, as the output). It
// returns handled false, having copied nothing, when it cannot: other kinds
// of files, or a kernel that refuses these two (an O_APPEND output, a file
// system without splice), and the caller copies otherwise. p counts the
// bytes as they go.
//
// Either descriptor may be non-blocking (a FIFO from fifo.OpenReader is), so
// splice is asked not to block, and when it would, poll(2) waits for the
// input to have data and the output to have room. That holds a thread while
// it waits, as a blocking read would; an interrupt ends the process anyway.
//
// Errors are *os.PathError whose Op tells whether reading or writing
// failed ("read" or "write"), as those of os.File.
func spliceCopy(dst, src *os.File, p *progress) (n int64, handled bool, err error) {
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
	chunk := pipeSize
	if dstPipe {
		chunk = max(chunk, growPipe(dst))
	}
	if srcPipe {
		chunk = max(chunk, growPipe(src))
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
			n, handled, err = spliceLoop(int(dfd), int(sfd), chunk, p)
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
		if isWriteErrno(err) {
			op, name = "write", dst.Name()
		}
		err = &os.PathError{Op: op, Path: name, Err: err}
	}
	return n, handled, err
}

func spliceLoop(dfd, sfd, chunk int, p *progress) (n int64, handled bool, err error) {
	var y yielder
	for {
		y.maybe()
		m, err := unix.Splice(sfd, nil, dfd, nil, chunk, unix.SPLICE_F_MOVE|unix.SPLICE_F_NONBLOCK)
		if err == nil {
			if m == 0 {
				return n, true, nil // end of input
			}
			n += int64(m) // an int on 32-bit systems
			p.add(int64(m))
			continue
		}
		switch {
		case err == unix.EINTR:
		case err == unix.EAGAIN:
			if err := waitFd(sfd, unix.POLLIN); err != nil {
				return n, true, err
			}
			if err := waitFd(dfd, unix.POLLOUT); err != nil {
				return n, true, err
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

// waitFd waits until fd is ready for events (or hung up, or in error,
// which the next splice reports).
func waitFd(fd int, events int16) error {
	for {
		_, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: events}}, -1)
		if err != unix.EINTR {
			return err
		}
	}
}
