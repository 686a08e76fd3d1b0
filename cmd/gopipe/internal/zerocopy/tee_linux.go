package zerocopy

import (
	"io"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Pipes hold references to pages: tee(2) duplicates those references into
// another pipe, and splice(2) moves them.
//
// Each chunk is first spliced from the input into a private pipe p, which
// only the Tee reads, so that the chunk's size is known and nothing else
// consumes it. Every output but the last gets tee(p → output), and the last
// splice(p → output), which empties p for the next chunk. tee(2) always
// copies from the head of p, so when an output takes only part of the chunk
// (it was nearly full) the rest cannot be teed again from p: the whole chunk
// is teed into a second private pipe q, as big as p and empty (so it takes
// it whole), the part already delivered is spliced from q to /dev/null, and
// the rest spliced from q to the output. Every output thus gets exactly the
// chunk's bytes, in order, and errors are dealt with per output exactly as
// on the read/write path.

type pipeTee struct {
	in      syscall.RawConn // the input, a pipe
	p, q    [2]int          // private pipes, blocking: [0] reads, [1] writes
	size    int             // the capacity of p and q: the largest chunk
	null    int             // /dev/null, written to to discard
	outs    []pipeOut
	scratch []byte // for the (never expected) read-out of p
	partial int    // how many tees an output took only part of
	small   bool   // the last chunk was under a quarter of size
	gathers int    // how many times fill waited for input to gather
	yield   yielder
}

// gatherWait is how long fill lets the input gather after a small chunk.
// A producer that writes in small pieces (head and GNU cat write 8 KiB to
// 128 KiB at a time) wakes a tee that keeps up for each piece, and every
// chunk then costs a wake-up, a splice, a tee(2) per output, and a fight
// for the input pipe's lock with the producer, which is writing into it.
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

func newPipeTee(in any, outs []any) *pipeTee {
	inRC, kind := fileKind(in)
	if kind != kindPipe {
		return nil
	}
	pouts := make([]pipeOut, len(outs))
	for i, o := range outs {
		rc, kind := fileKind(o)
		switch kind {
		case kindPipe:
			pouts[i].rc = rc
		case kindNull:
			pouts[i].null = true
		default:
			return nil
		}
	}
	t := &pipeTee{in: inRC, outs: pouts, null: -1, p: [2]int{-1, -1}, q: [2]int{-1, -1}}
	if err := t.open(); err != nil {
		t.close()
		return nil
	}
	// Bigger pipes mean bigger chunks and fewer system calls and context
	// switches; a pipe we may not enlarge (the user is past
	// pipe-user-pages-soft, say) works as it is.
	grow(inRC)
	for _, o := range pouts {
		if o.rc != nil {
			grow(o.rc)
		}
	}
	return t
}

func (t *pipeTee) open() error {
	if err := unix.Pipe2(t.p[:], unix.O_CLOEXEC); err != nil {
		return err
	}
	if err := unix.Pipe2(t.q[:], unix.O_CLOEXEC); err != nil {
		return err
	}
	size := pipeSize()
	ps, _ := unix.FcntlInt(uintptr(t.p[1]), unix.F_SETPIPE_SZ, size)
	qs, _ := unix.FcntlInt(uintptr(t.q[1]), unix.F_SETPIPE_SZ, size)
	if ps <= 0 {
		ps, _ = unix.FcntlInt(uintptr(t.p[1]), unix.F_GETPIPE_SZ, 0)
	}
	if qs <= 0 {
		qs, _ = unix.FcntlInt(uintptr(t.q[1]), unix.F_GETPIPE_SZ, 0)
	}
	// q must hold whatever p holds: make p no bigger than q.
	if ps > qs {
		ps, _ = unix.FcntlInt(uintptr(t.p[1]), unix.F_SETPIPE_SZ, qs)
	}
	if ps <= 0 || ps > qs {
		return syscall.EINVAL
	}
	t.size = ps
	null, err := unix.Open("/dev/null", unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	t.null = null
	return nil
}

func (t *pipeTee) close() {
	for _, fd := range []int{t.p[0], t.p[1], t.q[0], t.q[1], t.null} {
		if fd >= 0 {
			unix.Close(fd)
		}
	}
}

// fill splices the next chunk from the input into p (which is empty).
func (t *pipeTee) fill() (int, error) {
	t.yield.maybe()
	if t.small {
		// nanosleep(2) itself: time.Sleep sleeps about a millisecond
		// for this (the runtime's poller waits in whole milliseconds).
		t.gathers++
		ts := unix.NsecToTimespec(int64(gatherWait))
		unix.Nanosleep(&ts, nil)
	}
	n, err := onFd(t.in, false, func(fd int) (int, error) {
		return count(unix.Splice(fd, nil, t.p[1], nil, t.size, 0))
	})
	if err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, io.EOF
	}
	t.small = n < t.size/4
	return n, nil
}

// deliver gives the n bytes in p to every live output.
func (t *pipeTee) deliver(n int, outs Outputs) (stop bool, err error) {
	var order []int
	for i, o := range t.outs {
		if outs.Live(i) && !o.null {
			order = append(order, i)
		}
	}
	inP := n     // bytes still in p
	var b []byte // the chunk, once it had to be read out of p
	for k, i := range order {
		rc := t.outs[i].rc
		var err error
		switch {
		case b != nil:
			err = outs.Write(i, b)
		case k == len(order)-1:
			var moved int
			moved, err = t.move(t.p[0], rc, inP)
			inP -= moved
		default:
			if b, err = t.dup(i, outs, rc, n); b != nil {
				inP = 0
			}
		}
		if err != nil && outs.Fail(i, err) {
			return true, nil
		}
	}
	// What the last output did not take (it failed, or only /dev/null
	// is left) goes, so that p is empty for the next chunk.
	if inP > 0 {
		if err := t.discard(t.p[0], inP); err != nil {
			return true, err
		}
	}
	return false, nil
}

// dup gives output i the n bytes in p without consuming them. Should q
// not take the whole chunk (it cannot: it is as big as p, and empty), p is
// read out and the chunk returned, for the outputs left to be written to.
func (t *pipeTee) dup(i int, outs Outputs, rc syscall.RawConn, n int) ([]byte, error) {
	done, err := onFd(rc, true, func(fd int) (int, error) {
		return count(unix.Tee(t.p[0], fd, n, 0))
	})
	if err != nil || done == n {
		return nil, err
	}
	t.partial++
	inQ, err := again(func() (int, error) { return count(unix.Tee(t.p[0], t.q[1], n, 0)) })
	if err != nil || inQ != n {
		if inQ > 0 {
			t.discard(t.q[0], inQ)
		}
		b, err := t.read(t.p[0], n)
		if err != nil {
			return nil, err
		}
		return b, outs.Write(i, b[done:])
	}
	if err := t.discard(t.q[0], done); err != nil {
		t.discard(t.q[0], n-done)
		return nil, err
	}
	moved, err := t.move(t.q[0], rc, n-done)
	if err != nil {
		t.discard(t.q[0], n-done-moved)
	}
	return nil, err
}

// move splices want bytes from the private pipe src to the output.
func (t *pipeTee) move(src int, rc syscall.RawConn, want int) (moved int, err error) {
	for moved < want {
		n, err := onFd(rc, true, func(fd int) (int, error) {
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
func (t *pipeTee) discard(src, n int) error {
	for n > 0 {
		k, err := again(func() (int, error) { return count(unix.Splice(src, nil, t.null, nil, n, 0)) })
		if err == unix.EINVAL {
			_, err = t.read(src, n)
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

// read reads n bytes from the private pipe src.
func (t *pipeTee) read(src, n int) ([]byte, error) {
	if len(t.scratch) < n {
		t.scratch = make([]byte, n)
	}
	b := t.scratch[:n]
	for got := 0; got < n; {
		k, err := again(func() (int, error) { return count(unix.Read(src, b[got:])) })
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
