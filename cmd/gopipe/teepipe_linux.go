package main

import (
	"io"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// When stdin and every output are pipes (FIFOs included), tee moves the data
// without copying it: pipes hold references to pages, tee(2) duplicates
// those references into another pipe and splice(2) moves them.
//
// Each chunk is first spliced from stdin into a private pipe p, which only
// tee reads, so that the chunk's size is known and nothing else consumes
// it. Every output but the last gets tee(p → output), and the last
// splice(p → output), which empties p for the next chunk. tee(2) always
// copies from the head of p, so when an output takes only part of the chunk
// (it was nearly full) the rest cannot be teed again from p: the whole chunk
// is teed into a second private pipe q, as big as p and empty (so it takes
// it whole), the part already delivered is spliced from q to /dev/null, and
// the rest spliced from q to the output. Every output thus gets exactly the
// chunk's bytes, in order, and errors are dealt with per output exactly as
// on the read/write path.
//
// An output that is /dev/null takes part in nothing: writes to it cannot
// fail and have no effect, so `tee FIFO… >/dev/null` stays on this path.

// pipePump is the zero-copy pump.
type pipePump struct {
	in      syscall.RawConn // stdin, a pipe
	p, q    [2]int          // private pipes, blocking: [0] reads, [1] writes
	size    int             // the capacity of p and q: the largest chunk
	null    int             // /dev/null, written to to discard
	outs    []pipeOut       // per teeRun.outs
	scratch []byte          // for the (never expected) read-out of p
	partial int             // how many tees an output took only part of
	small   bool            // the last chunk was under a quarter of size
	gathers int             // how many times fill waited for input to gather
	yield   yielder
}

// gatherWait is how long fill lets the input gather after a small chunk.
// A producer that writes in small pieces (head and GNU cat write 8 KiB to
// 128 KiB at a time) wakes a tee that keeps up for each piece, and every
// chunk then costs a wake-up, a splice, a tee(2) per output, and a fight
// for the stdin pipe's lock with the producer, which is writing into it.
// Letting the producer write undisturbed for a moment makes chunks of
// hundreds of KiB: in bench/tee.sh's `head -c | tee FIFO FIFO` with cat
// readers it cut tee's CPU time by a third and the pipeline's time by about
// a tenth. 100 µs adds nothing a person or a line-by-line reader notices,
// and a busy producer fills a quarter of a 1 MiB pipe in about that time.
const gatherWait = 100 * time.Microsecond

type pipeOut struct {
	rc   syscall.RawConn
	null bool // /dev/null: nothing to do
}

// newPipePump returns the zero-copy pump if stdin and every output are
// pipes, else nil (the interface's nil: callers compare with it).
func newPipePump(t *teeRun) pump {
	in, kind := fileKind(t.e.stdin)
	if kind != kindPipe {
		return nil
	}
	outs := make([]pipeOut, len(t.outs))
	for i, o := range t.outs {
		rc, kind := fileKind(o.w)
		switch kind {
		case kindPipe:
			outs[i].rc = rc
		case kindNull:
			outs[i].null = true
		default:
			return nil
		}
	}
	pp := &pipePump{in: in, outs: outs, null: -1, p: [2]int{-1, -1}, q: [2]int{-1, -1}}
	if err := pp.open(); err != nil {
		pp.close()
		return nil
	}
	// Bigger pipes mean bigger chunks and fewer system calls and context
	// switches; a pipe we may not enlarge (the user is past
	// pipe-user-pages-soft, say) works as it is.
	max := pipeMaxSize()
	enlargePipe(in, max)
	for _, o := range outs {
		if o.rc != nil {
			enlargePipe(o.rc, max)
		}
	}
	return pp
}

func (pp *pipePump) open() error {
	if err := unix.Pipe2(pp.p[:], unix.O_CLOEXEC); err != nil {
		return err
	}
	if err := unix.Pipe2(pp.q[:], unix.O_CLOEXEC); err != nil {
		return err
	}
	max := pipeMaxSize()
	ps, _ := unix.FcntlInt(uintptr(pp.p[1]), unix.F_SETPIPE_SZ, max)
	qs, _ := unix.FcntlInt(uintptr(pp.q[1]), unix.F_SETPIPE_SZ, max)
	if ps <= 0 {
		ps, _ = unix.FcntlInt(uintptr(pp.p[1]), unix.F_GETPIPE_SZ, 0)
	}
	if qs <= 0 {
		qs, _ = unix.FcntlInt(uintptr(pp.q[1]), unix.F_GETPIPE_SZ, 0)
	}
	// q must hold whatever p holds: make p no bigger than q.
	if ps > qs {
		ps, _ = unix.FcntlInt(uintptr(pp.p[1]), unix.F_SETPIPE_SZ, qs)
	}
	if ps <= 0 || ps > qs {
		return syscall.EINVAL
	}
	pp.size = ps
	null, err := unix.Open("/dev/null", unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	pp.null = null
	return nil
}

func (pp *pipePump) close() {
	for _, fd := range []int{pp.p[0], pp.p[1], pp.q[0], pp.q[1], pp.null} {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
}

// fill splices the next chunk from stdin into p (which is empty).
func (pp *pipePump) fill() (int, error) {
	pp.yield.maybe()
	if pp.small {
		// nanosleep(2) itself: time.Sleep sleeps about a millisecond
		// for this (the runtime's poller waits in whole milliseconds).
		pp.gathers++
		ts := unix.NsecToTimespec(int64(gatherWait))
		unix.Nanosleep(&ts, nil)
	}
	n, err := retryAgain(pp.in, false, func(fd int) (int, error) {
		return count(unix.Splice(fd, nil, pp.p[1], nil, pp.size, 0))
	})
	if err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, io.EOF
	}
	pp.small = n < pp.size/4
	return n, nil
}

// deliver gives the n bytes in p to every live output.
func (pp *pipePump) deliver(t *teeRun, n int) (stop bool, status int) {
	var order []int
	for i, o := range t.outs {
		if o.live && !pp.outs[i].null {
			order = append(order, i)
		}
	}
	inP := n     // bytes still in p
	var b []byte // the chunk, once it had to be read out of p
	for k, i := range order {
		o, rc := t.outs[i], pp.outs[i].rc
		var err error
		switch {
		case b != nil:
			err = o.write(b)
		case k == len(order)-1:
			var moved int
			moved, err = pp.move(pp.p[0], rc, inP)
			inP -= moved
		default:
			if b, err = pp.dup(o, rc, n); b != nil {
				inP = 0
			}
		}
		if err != nil {
			if stop, status := t.fail(o, err); stop {
				return true, status
			}
		}
	}
	// What the last output did not take (it failed, or only /dev/null
	// is left) goes, so that p is empty for the next chunk.
	if inP > 0 {
		if err := pp.discard(pp.p[0], inP); err != nil {
			t.e.errorf("%s", strerror(err))
			t.ok = false
			return true, 1
		}
	}
	return false, 0
}

// dup gives the output the n bytes in p without consuming them. Should q
// not take the whole chunk (it cannot: it is as big as p, and empty), p is
// read out and the chunk returned, for the outputs left to be written to.
func (pp *pipePump) dup(o *teeOutput, rc syscall.RawConn, n int) ([]byte, error) {
	done, err := retryAgain(rc, true, func(fd int) (int, error) {
		return count(unix.Tee(pp.p[0], fd, n, 0))
	})
	if err != nil || done == n {
		return nil, err
	}
	pp.partial++
	inQ, err := retryEINTR(func() (int, error) {
		return count(unix.Tee(pp.p[0], pp.q[1], n, 0))
	})
	if err != nil || inQ != n {
		if inQ > 0 {
			pp.discard(pp.q[0], inQ)
		}
		b, err := pp.readOut(n)
		if err != nil {
			return nil, err
		}
		return b, o.write(b[done:])
	}
	if err := pp.discard(pp.q[0], done); err != nil {
		pp.discard(pp.q[0], n-done)
		return nil, err
	}
	moved, err := pp.move(pp.q[0], rc, n-done)
	if err != nil {
		pp.discard(pp.q[0], n-done-moved)
	}
	return nil, err
}

// move splices want bytes from the private pipe src to the output.
func (pp *pipePump) move(src int, rc syscall.RawConn, want int) (moved int, err error) {
	for moved < want {
		n, err := retryAgain(rc, true, func(fd int) (int, error) {
			return count(unix.Splice(src, nil, fd, nil, want-moved, 0))
		})
		moved += n
		if err != nil {
			return moved, err
		}
		if n == 0 {
			return moved, io.ErrUnexpectedEOF
		}
	}
	return moved, nil
}

// discard drops n bytes from the private pipe src, spliced to /dev/null,
// or read if that is refused.
func (pp *pipePump) discard(src, n int) error {
	for n > 0 {
		k, err := retryEINTR(func() (int, error) {
			return count(unix.Splice(src, nil, pp.null, nil, n, 0))
		})
		if err == unix.EINVAL {
			_, err = pp.read(src, n)
			return err
		}
		if err != nil {
			return err
		}
		if k == 0 {
			return io.ErrUnexpectedEOF
		}
		n -= k
	}
	return nil
}

// readOut reads the n bytes in p.
func (pp *pipePump) readOut(n int) ([]byte, error) { return pp.read(pp.p[0], n) }

func (pp *pipePump) read(src, n int) ([]byte, error) {
	if len(pp.scratch) < n {
		pp.scratch = make([]byte, n)
	}
	b := pp.scratch[:n]
	for got := 0; got < n; {
		k, err := retryEINTR(func() (int, error) { return count(unix.Read(src, b[got:])) })
		if err != nil {
			return nil, err
		}
		if k == 0 {
			return nil, io.ErrUnexpectedEOF
		}
		got += k
	}
	return b, nil
}

// count is a system call's count, 0 on error (x/sys returns -1 then).
func count[T int | int64](n T, err error) (int, error) {
	if err != nil {
		return 0, err
	}
	return int(n), nil
}

func retryEINTR(op func() (int, error)) (int, error) {
	for {
		n, err := op()
		if err != unix.EINTR {
			return n, err
		}
	}
}

// retryAgain runs op on rc's descriptor until it does not fail with EAGAIN
// (a non-blocking pipe is full or empty), waiting in poll(2). Not in the
// runtime's poller: tee has nothing else to do meanwhile, and parking the
// goroutine and waking it through the poller costs more than the wait
// itself when a pipe fills thousands of times a second.
func retryAgain(rc syscall.RawConn, write bool, op func(fd int) (int, error)) (int, error) {
	events := int16(unix.POLLIN)
	if write {
		events = unix.POLLOUT
	}
	var n int
	var opErr error
	err := rc.Control(func(fd uintptr) {
		for {
			n, opErr = retryEINTR(func() (int, error) { return op(int(fd)) })
			if opErr != unix.EAGAIN {
				return
			}
			pfd := []unix.PollFd{{Fd: int32(fd), Events: events}}
			if _, err := retryEINTR(func() (int, error) { return unix.Poll(pfd, -1) }); err != nil {
				opErr = err
				return
			}
		}
	})
	if err != nil {
		return 0, err
	}
	return n, opErr
}

type fdKind int

const (
	kindOther fdKind = iota
	kindPipe
	kindNull
)

// fileKind tells whether x is a pipe (or FIFO), /dev/null, or something
// else, and returns its raw connection.
func fileKind(x any) (syscall.RawConn, fdKind) {
	sc, ok := x.(syscall.Conn)
	if !ok {
		return nil, kindOther
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, kindOther
	}
	kind := kindOther
	rc.Control(func(fd uintptr) {
		var st unix.Stat_t
		if unix.Fstat(int(fd), &st) != nil {
			return
		}
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFIFO:
			kind = kindPipe
		case unix.S_IFCHR:
			if unix.Major(st.Rdev) == 1 && unix.Minor(st.Rdev) == 3 {
				kind = kindNull
			}
		}
	})
	return rc, kind
}

// pipeMaxSize is the most an unprivileged process may make a pipe hold.
func pipeMaxSize() int {
	if n := maxPipeSize(); n > 0 {
		return n
	}
	return pipeSize
}
