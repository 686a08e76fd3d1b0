//go:build unix

package cattee

import (
	"errors"
	"syscall"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command"
	"golang.org/x/sys/unix"
)

// isBrokenPipe tells whether err is a write to a pipe nobody reads.
func isBrokenPipe(err error) bool { return errors.Is(err, syscall.EPIPE) }

// dieOfSIGPIPE makes tee end as GNU's does when the kernel's SIGPIPE kills
// it: Go turns that signal into an EPIPE error but on fds 1 and 2, so main
// is asked to die by it, and the status is what a shell would report.
func dieOfSIGPIPE(e *command.Env) int {
	e.DieBy = syscall.SIGPIPE
	return 128 + int(syscall.SIGPIPE)
}

// ignoreSIGPIPE makes a broken stdout an EPIPE error rather than death.
func ignoreSIGPIPE(e *command.Env) { e.Ignore(syscall.SIGPIPE) }

// watchPipes watches the outputs that are pipes or FIFOs for their reader
// going away, reporting the index of each on broken, once. A write end
// polls POLLERR when the pipe has no reader left; one goroutine waits in
// poll(2) for all of them (holding one thread, never spinning), on
// duplicates of the descriptors, so that outputs may be closed meanwhile.
// stop ends the watch and closes the duplicates; stop is nil when no output
// is a pipe.
func watchPipes(outs []*teeOutput) (broken <-chan int, stop func()) {
	var fds []int
	var idx []int
	for i, o := range outs {
		if fd, ok := dupPipe(o.w); ok {
			fds = append(fds, fd)
			idx = append(idx, i)
		}
	}
	if len(fds) == 0 {
		return nil, nil
	}
	// Closing wakeW wakes the poll (POLLHUP on wakeR) to stop it.
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		for _, fd := range fds {
			unix.Close(fd)
		}
		return nil, nil
	}
	wakeR, wakeW := p[0], p[1]
	unix.CloseOnExec(wakeR)
	unix.CloseOnExec(wakeW)
	ch := make(chan int, len(fds)) // each output is reported once: never blocks
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			for _, fd := range fds {
				unix.Close(fd)
			}
			unix.Close(wakeR)
		}()
		for len(fds) > 0 {
			pfds := make([]unix.PollFd, 0, len(fds)+1)
			pfds = append(pfds, unix.PollFd{Fd: int32(wakeR), Events: unix.POLLIN})
			for _, fd := range fds {
				// No events asked: POLLERR and POLLHUP are always reported.
				pfds = append(pfds, unix.PollFd{Fd: int32(fd)})
			}
			if _, err := unix.Poll(pfds, -1); err != nil {
				if err == unix.EINTR {
					continue
				}
				return
			}
			if pfds[0].Revents != 0 {
				return
			}
			keptFds, keptIdx := fds[:0], idx[:0]
			for k, pf := range pfds[1:] {
				if pf.Revents&(unix.POLLERR|unix.POLLHUP|unix.POLLNVAL) != 0 {
					ch <- idx[k]
					unix.Close(fds[k])
					continue
				}
				keptFds, keptIdx = append(keptFds, fds[k]), append(keptIdx, idx[k])
			}
			fds, idx = keptFds, keptIdx
		}
	}()
	return ch, func() {
		unix.Close(wakeW)
		<-done
	}
}

// dupPipe returns a duplicate of w's descriptor if w is a pipe or FIFO.
func dupPipe(w any) (int, bool) {
	sc, ok := w.(syscall.Conn)
	if !ok {
		return -1, false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1, false
	}
	dup := -1
	rc.Control(func(fd uintptr) {
		var st unix.Stat_t
		if unix.Fstat(int(fd), &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFIFO {
			return
		}
		if d, err := unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0); err == nil {
			dup = d
		}
	})
	return dup, dup >= 0
}
