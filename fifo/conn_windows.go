package fifo

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/windows"
)

// pipeAddr is the address of either end of a pipe connection: its path.
type pipeAddr string

func (a pipeAddr) Network() string { return "pipe" }
func (a pipeAddr) String() string  { return string(a) }

// defaultCloseTimeout bounds how long closing a server connection waits for
// the client to read what we wrote.
const defaultCloseTimeout = 2 * time.Second

// pipeConn is one end of a named pipe connection, from Listen or Dial. The
// I/O and deadlines are those of *os.File, which since Go 1.25 runs
// overlapped handles on the runtime's IOCP.
type pipeConn struct {
	f       *os.File
	rc      syscall.RawConn
	h       windows.Handle // = f's handle, used raw only while closing (see shutdown)
	path    string
	message bool
	server  bool

	// Server side.
	l            *listener // told before the handle closes
	closeTimeout time.Duration
	id           identity // the client, identified at accept
	seq          uint64   // the order of its connect among the listener's

	// Client side: the pipe's owner, verified at dial.
	owner *windows.SID

	// Message mode reads (see readMsg).
	rmu       sync.Mutex     // serializes them
	rev       windows.Handle // event of the read in progress
	dmu       sync.Mutex     // guards dlEv against close
	dlEv      windows.Handle // auto-reset, set when the read deadline changes
	rdeadline atomic.Int64   // UnixNano, 0 for none

	wclosed   atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

var _ net.Conn = (*pipeConn)(nil)

// newPipeConn wraps f, whose handle is h (or InvalidHandle on the client
// side, where we never need it raw). It owns f from then on, even on error.
func newPipeConn(f *os.File, h windows.Handle, path string, message, server bool) (*pipeConn, error) {
	c := &pipeConn{f: f, h: h, path: path, message: message, server: server, closeTimeout: defaultCloseTimeout}
	// SyscallConn only fails for a nil File.
	c.rc, _ = f.SyscallConn()
	if message {
		var err error
		if c.rev, err = windows.CreateEvent(nil, 1, 0, nil); err == nil {
			if c.dlEv, err = windows.CreateEvent(nil, 0, 0, nil); err != nil {
				windows.CloseHandle(c.rev)
			}
		}
		if err != nil {
			f.Close()
			return nil, &os.PathError{Op: "open", Path: path, Err: err}
		}
	}
	return c, nil
}

// Read reads data; in message mode at most one message (or the rest of
// one), with a zero-length message reading as io.EOF.
func (c *pipeConn) Read(p []byte) (int, error) {
	var (
		n   int
		err error
	)
	if c.message {
		if len(p) == 0 {
			return 0, nil
		}
		c.rmu.Lock()
		n, err = c.readMsg(p)
		c.rmu.Unlock()
		if n == 0 && err == nil {
			err = io.EOF // a zero-length message: the peer's CloseWrite
		}
	} else {
		n, err = c.f.Read(p)
	}
	if err != nil && err != io.EOF {
		// A server that disconnected us is the end of the stream, as a
		// closed one (ERROR_BROKEN_PIPE, which os.File maps) is.
		if errors.Is(err, windows.ERROR_PIPE_NOT_CONNECTED) || errors.Is(err, windows.ERROR_BROKEN_PIPE) {
			return n, io.EOF
		}
		err = c.opErr("read", err)
	}
	return n, err
}

// Write writes p; in message mode as one message. Writing nothing sends
// nothing: a zero-length message is CloseWrite's.
func (c *pipeConn) Write(p []byte) (int, error) {
	if c.wclosed.Load() {
		return 0, &os.PathError{Op: "write", Path: c.path, Err: fmt.Errorf("write after CloseWrite: %w", net.ErrClosed)}
	}
	if len(p) == 0 && c.message {
		return 0, nil
	}
	n, err := c.f.Write(p)
	if err != nil {
		err = c.opErr("write", err)
	}
	return n, err
}

// CloseWrite half-closes the connection: in message mode it sends a
// zero-length message, which the peer reads as io.EOF while it can still
// write back. A byte-mode pipe has no such signal.
func (c *pipeConn) CloseWrite() error {
	if !c.message {
		return &os.PathError{Op: "closewrite", Path: c.path, Err: fmt.Errorf("half-close needs Config.MessageMode on Windows: %w", errors.ErrUnsupported)}
	}
	var err error
	// os.File does not promise to send a zero-length write, so write it
	// raw, under the File's write lock (ordered after earlier Writes).
	werr := c.rc.Write(func(fd uintptr) bool {
		_, err = rawIO(windows.Handle(fd), true, nil)
		return true
	})
	if werr != nil {
		err = os.ErrClosed // RawConn.Write fails only once the File is closed
	}
	if err != nil {
		return c.opErr("closewrite", err)
	}
	c.wclosed.Store(true)
	return nil
}

// Close closes the connection. A server connection first waits (at most
// Config.CloseTimeout) for the client to read what was written, then
// closes its handle without DisconnectNamedPipe: the client can still read
// whatever is left and then gets ERROR_BROKEN_PIPE, which reads as EOF
// even through a plain *os.File, where a disconnect would discard the data
// and make the client's next read fail with ERROR_PIPE_NOT_CONNECTED.
func (c *pipeConn) Close() error {
	c.closeOnce.Do(func() { c.closeErr = c.shutdown(c.server, false) })
	return c.closeErr
}

// abort closes at once, and on the server side disconnects the client,
// discarding unread data: for connections nobody accepted and for cutting
// a peer off.
func (c *pipeConn) abort() {
	c.closeOnce.Do(func() { c.closeErr = c.shutdown(false, c.server) })
}

// shutdown closes the handle. FlushFileBuffers cannot be cancelled, so it
// runs in a goroutine we stop waiting for after closeTimeout; closing the
// handle under a call in progress is safe (the call holds its own
// reference to the pipe). The listener is told first so that it can create
// a replacement instance while this one still holds the name.
func (c *pipeConn) shutdown(flush, disconnect bool) error {
	if flush && c.closeTimeout > 0 {
		done := make(chan struct{})
		go func() {
			windows.FlushFileBuffers(c.h)
			close(done)
		}()
		t := time.NewTimer(c.closeTimeout)
		select {
		case <-done:
		case <-t.C:
		}
		t.Stop()
	}
	if c.l != nil {
		c.l.connClosing()
	}
	if disconnect {
		windows.DisconnectNamedPipe(c.h)
	}
	// Close cancels a message read in progress and waits for it.
	err := c.f.Close()
	if c.message {
		windows.CloseHandle(c.rev)
		c.dmu.Lock()
		windows.CloseHandle(c.dlEv)
		c.dlEv = 0
		c.dmu.Unlock()
	}
	if err != nil {
		return c.opErr("close", err)
	}
	return nil
}

// readMsg reads from a message-mode pipe, returning (0, nil) for a
// zero-length message. It does not use os.File: when a message is longer
// than p, ReadFile fails with ERROR_MORE_DATA, a warning for which the
// kernel queues a completion packet even when the read completed at once,
// and Go's poller does not wait for that packet but would later take it
// for another operation's (Wine instead loses the count). So the read is
// our own, with an event whose low bit is set, which keeps its completion
// off Go's IOCP, and the deadline is ours too. It holds an OS thread while
// it waits. Close's CancelIoEx ends it.
func (c *pipeConn) readMsg(p []byte) (int, error) {
	var (
		n   int
		err error
	)
	if c.rc.Control(func(fd uintptr) { n, err = c.readMsgHandle(windows.Handle(fd), p) }) != nil {
		return 0, os.ErrClosed // Control fails only once the File is closed
	}
	return n, err
}

func (c *pipeConn) readMsgHandle(h windows.Handle, p []byte) (int, error) {
	if d := c.rdeadline.Load(); d != 0 && time.Now().UnixNano() >= d {
		return 0, os.ErrDeadlineExceeded // as os.File does, even with data waiting
	}
	ov := new(windows.Overlapped)
	ov.HEvent = c.rev | 1
	windows.ResetEvent(c.rev)
	var n uint32
	err := windows.ReadFile(h, p, &n, ov)
	switch err {
	case nil, windows.ERROR_MORE_DATA:
	case windows.ERROR_IO_PENDING:
		if timedOut := c.waitRead(); timedOut {
			windows.CancelIoEx(h, ov)
			if err := windows.GetOverlappedResult(h, ov, &n, true); err == windows.ERROR_OPERATION_ABORTED {
				return 0, os.ErrDeadlineExceeded
			}
		}
	default:
		return 0, err
	}
	// The count is only reliable from the OVERLAPPED (Wine leaves n at 0
	// for ERROR_MORE_DATA).
	err = windows.GetOverlappedResult(h, ov, &n, true)
	switch err {
	case windows.ERROR_MORE_DATA: // the rest of the message comes next
		err = nil
	case windows.ERROR_OPERATION_ABORTED: // Close's CancelIoEx
		err = os.ErrClosed
	}
	return int(n), err
}

// waitRead waits for the read in progress to complete, or for the read
// deadline to pass (then it returns true), following deadline changes.
func (c *pipeConn) waitRead() (timedOut bool) {
	for {
		timeout := uint32(windows.INFINITE)
		if d := c.rdeadline.Load(); d != 0 {
			left := time.Until(time.Unix(0, d))
			if left <= 0 {
				return true
			}
			timeout = uint32(min((left+time.Millisecond-1)/time.Millisecond, windows.INFINITE-1))
		}
		i, err := windows.WaitForMultipleObjects([]windows.Handle{c.rev, c.dlEv}, false, timeout)
		if err != nil || i == windows.WAIT_OBJECT_0 {
			return false // done (or the wait failed: GetOverlappedResult waits)
		}
		// The deadline changed or passed: look again.
	}
}

// opErr names the pipe in err (os.File errors already do) and reports a
// closed connection as net.ErrClosed, as net.Conns do.
func (c *pipeConn) opErr(op string, err error) error {
	if errors.Is(err, os.ErrClosed) {
		return &os.PathError{Op: op, Path: c.path, Err: net.ErrClosed}
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return err
	}
	return &os.PathError{Op: op, Path: c.path, Err: err}
}

func (c *pipeConn) LocalAddr() net.Addr                { return pipeAddr(c.path) }
func (c *pipeConn) RemoteAddr() net.Addr               { return pipeAddr(c.path) }
func (c *pipeConn) SetWriteDeadline(t time.Time) error { return c.f.SetWriteDeadline(t) }

func (c *pipeConn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.f.SetWriteDeadline(t)
}

func (c *pipeConn) SetReadDeadline(t time.Time) error {
	if !c.message {
		return c.f.SetReadDeadline(t)
	}
	var d int64
	if !t.IsZero() {
		d = max(t.UnixNano(), 1)
	}
	c.dmu.Lock()
	defer c.dmu.Unlock()
	if c.dlEv == 0 {
		return &os.PathError{Op: "set deadline", Path: c.path, Err: net.ErrClosed}
	}
	c.rdeadline.Store(d)
	windows.SetEvent(c.dlEv) // wake a waiting read to look again
	return nil
}

// peerOf identifies the other end: the client as identified at accept
// (its token, else its process's) or the server's process, whose user we
// read from its token when we may, else the pipe owner Dial verified.
func peerOf(nc net.Conn) (Peer, error) {
	c, ok := nc.(*pipeConn)
	if !ok {
		return Peer{}, fmt.Errorf("fifo: peer of %T: %w", nc, errors.ErrUnsupported)
	}
	var pid uint32
	cerr := c.rc.Control(func(fd uintptr) {
		if c.server {
			windows.GetNamedPipeClientProcessId(windows.Handle(fd), &pid)
		} else {
			windows.GetNamedPipeServerProcessId(windows.Handle(fd), &pid)
		}
	})
	if cerr != nil {
		return Peer{}, c.opErr("peer", os.ErrClosed)
	}
	p := Peer{PID: int(pid)}
	var user *windows.SID
	if c.server {
		user = c.id.user
		if p.PID == 0 {
			p.PID = c.id.pid
		}
	} else {
		if pid != 0 {
			user = processUser(pid)
		}
		if user == nil {
			user = c.owner
		}
	}
	if user != nil {
		p.UserID = user.String()
		p.User = accountName(user)
	}
	if p.PID == 0 && user == nil {
		return p, &os.PathError{Op: "peer", Path: c.path, Err: fmt.Errorf("the system does not tell: %w", errors.ErrUnsupported)}
	}
	return p, nil
}
