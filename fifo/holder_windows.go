package fifo

// Windows FIFOs. A named pipe exists only while a server holds an instance
// open, so Make starts a holder: a detached copy of the running program
// (see RunHolder) that owns two pipes until Remove:
//
//   - the data pipe \\.\pipe\NAME, inbound, message type, into which any
//     program writes (echo hi > \\.\pipe\NAME in cmd). Each writer has an
//     instance of its own, and the holder drains them into a bounded queue.
//   - the control pipe \\.\pipe\NAME.gopipe-ctl, duplex, on which a reader
//     says "read" and Remove says "quit".
//
// A reader gets a go-ahead byte once a writer has come (or data waits),
// then the data on the same connection, then EOF once the writers that
// came are gone and the queue is empty; as with a Unix FIFO, the next
// reader then waits for new writers. Readers take turns. A reader that
// leaves mid-stream disconnects the writers and drops the queue, as the
// last reader closing a Unix FIFO makes writers fail with EPIPE.
//
// See docs/design.md ("Windows", "FIFOs") for the trade-offs.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/windows"
)

const (
	// holderEnv, set in a holder's environment, is the data pipe's path.
	holderEnv = "GOPIPE_FIFO_HOLDER"
	// ctlSuffix names a FIFO's control pipe; List hides these pipes.
	ctlSuffix = ".gopipe-ctl"

	// holderQueueMax bounds the data waiting for a reader: once full the
	// holder stops reading from writers, whose writes then block when
	// their instance's buffer fills.
	holderQueueMax = 1 << 20
	// holderChunk is the holder's read size and the data pipe's buffer: a
	// write up to this size reaches the reader whole (Unix promises
	// PIPE_BUF, 4 KiB on Linux).
	holderChunk = 64 << 10

	holderStartTimeout = 30 * time.Second // for a holder's report
	holderCmdTimeout   = 10 * time.Second // for a command on the control pipe
	removeTimeout      = 30 * time.Second

	// holderReportPrefix starts the holder's one line on its stdout.
	holderReportPrefix = "gopipe-fifo-holder:"
	goAhead            = '+'
)

// holderReady records that main called RunHolder, so that the copy of the
// program Make starts will serve as the holder.
var holderReady atomic.Bool

func runHolder() (bool, error) {
	path, ok := os.LookupEnv(holderEnv)
	if !ok {
		holderReady.Store(true)
		return false, nil
	}
	marker, _ := os.LookupEnv(markerEnv)
	// Nothing we start should believe it is a holder too.
	os.Unsetenv(holderEnv)
	os.Unsetenv(markerEnv)
	return true, serveHolder(path, marker)
}

func makeFIFO(name string, perm fs.FileMode) error {
	if !isPipeName(name) {
		return makeAtPath(name, perm)
	}
	path, err := pipePath("mkfifo", name)
	if err != nil {
		return err
	}
	perr := func(err error) error { return &os.PathError{Op: "mkfifo", Path: path, Err: err} }
	if err := canMake(perm); err != nil {
		return perr(err)
	}
	return runNewHolder(path, nil, perr)
}

// isPipeName tells whether name is a pipe's (a bare NAME or a pipe path)
// rather than a file's path.
func isPipeName(name string) bool { return hasPipePrefix(fifoPath(name)) }

// canMake says why a FIFO of mode perm cannot be made here, if it cannot.
func canMake(perm fs.FileMode) error {
	if perm&0o077 != 0 {
		// The pipe's DACL grants the current user and SYSTEM alone: a mode
		// for others would be a promise we do not keep.
		return fmt.Errorf("a Windows FIFO is private to you (its DACL grants you and SYSTEM): mode %04o would let others in: %w", uint32(perm), errors.ErrUnsupported)
	}
	if !holderReady.Load() {
		return fmt.Errorf("a Windows FIFO needs a holder process, and main must call fifo.RunHolder first to be one: %w", errors.ErrUnsupported)
	}
	return nil
}

// makeAtPath makes a FIFO at a file path: the marker file there, and the
// holder of the pipe its identity names, which watches it.
func makeAtPath(name string, perm fs.FileMode) error {
	perr := func(err error) error { return &os.PathError{Op: "mkfifo", Path: name, Err: err} }
	if err := canMake(perm); err != nil {
		return perr(err)
	}
	// Absolute: the holder runs in another directory.
	abs, err := filepath.Abs(name)
	if err != nil {
		return perr(err)
	}
	m, err := createMarker(abs)
	if err != nil {
		return perr(err)
	}
	defer m.close()
	pipe := m.id.pipe()
	err = runNewHolder(pipe, []string{markerEnv + "=" + m.id.String() + " " + abs}, perr)
	if errors.Is(err, fs.ErrExist) {
		// Not "file exists": the file did not. Somebody holds the pipe
		// name this new file's identity gives.
		return perr(fmt.Errorf("the pipe %s that this file's identity names is taken by another server", pipe))
	}
	if err == nil {
		m.keep = true
	}
	return err
}

// runNewHolder starts the holder of the pipe path, with env added to its
// environment, and waits for its report.
func runNewHolder(path string, env []string, perr func(error) error) error {
	exe, err := os.Executable()
	if err != nil {
		return perr(fmt.Errorf("finding the program to run as holder: %w", err))
	}
	// Out of our job if it allows that: a job that kills its processes
	// when closed (an ssh session's, a CI step's) would otherwise take
	// the FIFO with it. A job that forbids it fails the start with access
	// denied; the holder then lives as long as the job does.
	cmd, out, err := startHolder(exe, path, env, windows.CREATE_BREAKAWAY_FROM_JOB)
	if errors.Is(err, windows.ERROR_ACCESS_DENIED) {
		cmd, out, err = startHolder(exe, path, env, 0)
	}
	if err != nil {
		return perr(err)
	}
	defer out.Close()

	type result struct {
		line string
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		// Skip whatever main printed before calling RunHolder.
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if line, ok := strings.CutPrefix(sc.Text(), holderReportPrefix); ok {
				ch <- result{line: strings.TrimSpace(line)}
				return
			}
		}
		ch <- result{err: io.ErrUnexpectedEOF}
	}()
	t := time.NewTimer(holderStartTimeout)
	defer t.Stop()
	var r result
	select {
	case r = <-ch:
	case <-t.C:
		r.err = fmt.Errorf("no report within %v", holderStartTimeout)
	}
	if r.err != nil {
		// Not a holder after all (or a hung one): do not leave it running.
		cmd.Process.Kill()
		cmd.Wait()
		return perr(fmt.Errorf("holder %s did not start (does main call fifo.RunHolder first?): %w", exe, r.err))
	}
	// The holder outlives us; we neither wait for it nor keep its handle.
	cmd.Process.Release()
	return parseHolderReport(r.line, perr)
}

// startHolder starts exe as the holder of the FIFO at path, with env
// added to its environment and extra creation flags, and returns its
// stdout, where it reports.
func startHolder(exe, path string, env []string, flags uint32) (*exec.Cmd, io.ReadCloser, error) {
	cmd := exec.Command(exe)
	cmd.Env = append(append(os.Environ(), holderEnv+"="+path), env...)
	// Not our working directory, which Windows would then refuse to
	// delete for as long as the holder lives.
	if dir, err := windows.GetSystemDirectory(); err == nil {
		cmd.Dir = dir
	}
	// Detached: no console (none to close under it, no Ctrl+C from ours),
	// a process group of its own.
	cmd.SysProcAttr = &syscall.SysProcAttr{
		HideWindow:    true,
		CreationFlags: windows.DETACHED_PROCESS | windows.CREATE_NEW_PROCESS_GROUP | flags,
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("starting holder: %w", err)
	}
	return cmd, out, nil
}

// The holder's report is "ok" or "error KIND MESSAGE".
func holderReport(err error) string {
	if err == nil {
		return holderReportPrefix + " ok\n"
	}
	kind := "other"
	switch {
	case errors.Is(err, fs.ErrExist):
		kind = "exist"
	case errors.Is(err, fs.ErrPermission):
		kind = "permission"
	case errors.Is(err, fs.ErrInvalid):
		kind = "invalid"
	}
	msg := err.Error()
	var pe *os.PathError
	if errors.As(err, &pe) {
		msg = pe.Err.Error()
	}
	return fmt.Sprintf("%s error %s %s\n", holderReportPrefix, kind, strings.ReplaceAll(msg, "\n", " "))
}

func parseHolderReport(line string, perr func(error) error) error {
	if line == "ok" {
		return nil
	}
	rest, ok := strings.CutPrefix(line, "error ")
	if !ok {
		return perr(fmt.Errorf("holder said %q", line))
	}
	kind, msg, _ := strings.Cut(rest, " ")
	var sentinel error
	switch kind {
	case "exist":
		sentinel = fs.ErrExist
	case "permission":
		sentinel = fs.ErrPermission
	case "invalid":
		sentinel = fs.ErrInvalid
	default:
		return perr(fmt.Errorf("holder: %s", msg))
	}
	if msg == "" || msg == sentinel.Error() {
		return perr(sentinel)
	}
	return perr(fmt.Errorf("%s (%w)", msg, sentinel))
}

// holder serves one FIFO.
type holder struct {
	path     string
	marker   *watchedMarker // for a FIFO at a path; else nil
	data     *listener
	ctl      *listener
	turn     chan struct{}  // held by the reader being served
	quitReq  chan *pipeConn // Remove's connection, or nil on failure
	quitting chan struct{}  // closed once the holder stops
	wg       sync.WaitGroup

	mu       sync.Mutex
	cond     sync.Cond
	queue    [][]byte
	queued   int
	writers  map[*holderWriter]struct{}
	came     bool // a writer came since the last EOF: readers may go ahead
	stopping bool
	// reading is the reader whose turn it is, waiting the readers that
	// wait for theirs: what "status" reports.
	reading *pipeConn
	waiting map[*pipeConn]struct{}
}

type holderWriter struct {
	c       *pipeConn
	dropped bool // cut off because the reader left
	settled bool // drained what it had written before (see serveWriter)
}

func serveHolder(path, marker string) error {
	var wm *watchedMarker
	var err error
	if marker != "" {
		wm, err = parseWatchedMarker(path, marker)
	}
	var h *holder
	if err == nil {
		h, err = newHolder(path)
	}
	if err == nil {
		h.marker = wm
		// Report only once the data pipe's instances wait for writers: a
		// writer that connects before that is seen late, and may then be
		// taken for one that came after a later one.
		h.mu.Lock()
		for !h.data.allArmed() {
			h.cond.Wait()
		}
		h.mu.Unlock()
	}
	os.Stdout.WriteString(holderReport(err))
	// The parent reads until EOF only if something went wrong; close
	// anyway, so that nothing waits on us.
	os.Stdout.Close()
	if err != nil {
		return err
	}
	return h.serve()
}

func newHolder(path string) (*holder, error) {
	if !hasPipePrefix(path) {
		return nil, &os.PathError{Op: "mkfifo", Path: path, Err: fs.ErrInvalid}
	}
	h := &holder{
		path:     path,
		turn:     make(chan struct{}, 1),
		quitReq:  make(chan *pipeConn, 1),
		quitting: make(chan struct{}),
		writers:  make(map[*holderWriter]struct{}),
		waiting:  make(map[*pipeConn]struct{}),
	}
	h.cond.L = &h.mu
	var err error
	h.data, err = newListener("mkfifo", path, &Config{
		MessageMode:     true, // one message per WriteFile: a writer's writes stay whole
		InputBufferSize: holderChunk,
		// Several waiting instances: writers connect at once, never
		// ERROR_PIPE_BUSY in normal use.
		PendingInstances: defaultPending,
	}, windows.PIPE_ACCESS_INBOUND, listenerHooks{keepGone: true, notify: h.wake, ordered: true})
	if err != nil {
		return nil, err
	}
	h.ctl, err = newListener("mkfifo", path+ctlSuffix, &Config{PendingInstances: 2}, windows.PIPE_ACCESS_DUPLEX, listenerHooks{})
	if err != nil {
		h.data.Close()
		return nil, err
	}
	return h, nil
}

// serve runs until Remove (or until no instance can be made any more).
func (h *holder) serve() error {
	h.wg.Go(func() { h.acceptLoop(h.data, h.addWriter) })
	h.wg.Go(func() {
		h.acceptLoop(h.ctl, func(c *pipeConn) { h.wg.Go(func() { h.serveCtl(c) }) })
	})
	var gone chan struct{}
	if h.marker != nil {
		gone = make(chan struct{})
		h.wg.Go(func() { h.marker.watch(h.quitting, gone) })
	}
	var c *pipeConn
	select {
	case c = <-h.quitReq:
	case <-gone:
		// The marker was removed or replaced: the FIFO is gone, as a
		// Unix FIFO is once unlinked, and we never serve a new file at
		// that path.
		h.stop()
		return nil
	}
	h.stop()
	if c == nil {
		return &os.PathError{Op: "serve", Path: h.path, Err: errors.New("the pipe broke")}
	}
	if h.marker != nil {
		// Removed by its pipe's name, or by its path: the marker goes
		// with it, if it still is ours and unchanged.
		deleteMarker(h.marker.path, h.marker.id, h.path)
	}
	// Acknowledge only now, with the data pipe gone, so that Make may
	// create the name again as soon as Remove returns. Remove reads the
	// reply and then EOF, which it sees once this, the control pipe's last
	// handle, is closed.
	c.Write([]byte("ok\n"))
	c.Close()
	return nil
}

// acceptLoop accepts connections from l and hands each to serve, which
// must not block: it starts a goroutine of its own.
func (h *holder) acceptLoop(l *listener, serve func(*pipeConn)) {
	for {
		c, err := l.accept()
		if err != nil {
			select {
			case <-l.done:
			default:
				select { // the listener broke: give up
				case h.quitReq <- nil:
				default:
				}
			}
			return
		}
		serve(c)
	}
}

// stop closes everything but Remove's connection and waits for the
// goroutines.
func (h *holder) stop() {
	h.mu.Lock()
	h.stopping = true
	writers := h.takeWriters()
	h.cond.Broadcast()
	h.mu.Unlock()
	close(h.quitting)
	h.data.Close()
	h.ctl.Close()
	for _, w := range writers {
		w.c.abort()
	}
	h.wg.Wait()
}

// takeWriters marks all writers dropped and returns them. h.mu is held.
func (h *holder) takeWriters() []*holderWriter {
	var ws []*holderWriter
	for w := range h.writers {
		w.dropped = true
		ws = append(ws, w)
	}
	return ws
}

// wake makes waiting readers look at the data pipe again.
func (h *holder) wake() {
	h.mu.Lock()
	h.cond.Broadcast()
	h.mu.Unlock()
}

// addWriter registers a writer, in the order writers connected (the data
// listener hands them over in that order), and starts draining it.
func (h *holder) addWriter(c *pipeConn) {
	w := &holderWriter{c: c}
	h.mu.Lock()
	if h.stopping {
		h.mu.Unlock()
		c.abort()
		return
	}
	h.writers[w] = struct{}{}
	h.came = true
	h.cond.Broadcast()
	h.mu.Unlock()
	h.wg.Go(func() { h.serveWriter(w) })
}

// serveWriter drains one writer into the queue. Each writer has its own
// pipe instance, so what writers wrote one after the other sits in
// different buffers, drained by different goroutines: to keep it in order,
// a writer's data waits until the writers that connected before it have
// drained what they had (they are then settled).
func (h *holder) serveWriter(w *holderWriter) {
	c := w.c
	buf := make([]byte, holderChunk)
	for {
		if !w.settled && !hasData(c) {
			h.mu.Lock()
			w.settled = true
			h.cond.Broadcast()
			h.mu.Unlock()
		}
		h.mu.Lock()
		for (h.queued >= holderQueueMax || h.unsettledBefore(w)) && !w.dropped && !h.stopping {
			h.cond.Wait()
		}
		stop := w.dropped || h.stopping
		h.mu.Unlock()
		if stop {
			break
		}
		// readMsg, not Read: a zero-length message (a Write of nothing)
		// is (0, nil), not the writer leaving.
		n, err := c.readMsg(buf)
		if n > 0 {
			h.mu.Lock()
			if !w.dropped && !h.stopping {
				h.queue = append(h.queue, bytes.Clone(buf[:n]))
				h.queued += n
				h.cond.Broadcast()
			}
			h.mu.Unlock()
		}
		if err != nil {
			break
		}
	}
	// Close first: a reader's EOF waits for the data pipe to be idle.
	c.abort()
	h.mu.Lock()
	delete(h.writers, w)
	h.cond.Broadcast()
	h.mu.Unlock()
}

// unsettledBefore tells whether a writer that connected before w still has
// data to drain. h.mu is held.
func (h *holder) unsettledBefore(w *holderWriter) bool {
	for o := range h.writers {
		if o.c.seq < w.c.seq && !o.settled {
			return true
		}
	}
	return false
}

// hasData tells whether data waits in c's pipe; if we cannot tell, no.
func hasData(c *pipeConn) bool {
	var avail uint32
	c.rc.Control(func(fd uintptr) { avail, _ = peekAvail(windows.Handle(fd)) })
	return avail > 0
}

// serveCtl reads one command from a control connection.
func (h *holder) serveCtl(c *pipeConn) {
	cmd, err := readCommand(c)
	if err != nil {
		c.abort() // an Inspect probe, or a client that gave up
		return
	}
	switch cmd {
	case "read":
		h.serveReader(c)
	case "status":
		c.Write([]byte(h.status()))
		c.Close()
	case "quit":
		select {
		case h.quitReq <- c:
		default: // already quitting
			c.abort()
		}
	default:
		c.abort()
	}
}

func readCommand(c *pipeConn) (string, error) {
	c.SetReadDeadline(time.Now().Add(holderCmdTimeout))
	defer c.SetReadDeadline(time.Time{})
	var line []byte
	buf := make([]byte, 16)
	for len(line) < 64 {
		n, err := c.Read(buf)
		line = append(line, buf[:n]...)
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			return string(line[:i]), nil
		}
		if err != nil {
			return "", err
		}
	}
	return "", errors.New("command too long")
}

// serveReader gives the reader its turn, its go-ahead, the data and EOF.
func (h *holder) serveReader(c *pipeConn) {
	// The reader sends nothing more, so a read on its connection ends
	// only when it goes away; that is how we notice, even while idle.
	gone := make(chan struct{})
	var isGone bool // under h.mu
	h.wg.Go(func() {
		var b [1]byte
		for {
			if _, err := c.Read(b[:]); err != nil {
				break
			}
		}
		h.mu.Lock()
		isGone = true
		h.cond.Broadcast()
		h.mu.Unlock()
		close(gone)
	})

	h.mu.Lock()
	h.waiting[c] = struct{}{}
	h.mu.Unlock()
	select {
	case h.turn <- struct{}{}:
		h.mu.Lock()
		delete(h.waiting, c)
		h.reading = c
		h.mu.Unlock()
		defer func() {
			h.mu.Lock()
			h.reading = nil
			h.mu.Unlock()
			<-h.turn
		}()
	case <-gone:
		h.mu.Lock()
		delete(h.waiting, c)
		h.mu.Unlock()
		c.abort()
		return
	case <-h.quitting:
		c.abort()
		return
	}

	h.mu.Lock()
	for !h.came && !h.data.hasClients() && !isGone && !h.stopping {
		h.cond.Wait()
	}
	ok := !isGone && !h.stopping
	h.mu.Unlock()
	if !ok {
		c.abort()
		return
	}
	if _, err := c.Write([]byte{goAhead}); err != nil {
		h.readerLost(c)
		return
	}
	for {
		h.mu.Lock()
		for h.queued == 0 && !h.data.idle() && !isGone && !h.stopping {
			h.cond.Wait()
		}
		switch {
		case h.stopping:
			h.mu.Unlock()
			c.abort()
			return
		case isGone:
			h.mu.Unlock()
			h.readerLost(c)
			return
		case h.queued == 0:
			// The writers that came are gone, none is arriving, and all
			// they wrote is sent: EOF, once the reader has read it. The
			// next reader waits for new writers.
			h.came = false
			h.mu.Unlock()
			c.Close()
			return
		}
		chunks := h.queue
		h.queue, h.queued = nil, 0
		h.cond.Broadcast()
		h.mu.Unlock()
		for _, b := range chunks {
			if _, err := c.Write(b); err != nil {
				h.readerLost(c)
				return
			}
		}
	}
}

// status is the holder's answer to "status", one line of fields: the bytes
// queued and the queue's bound; whether a writer came since the last EOF;
// the reader whose turn it is, the readers waiting for theirs and the
// writers, each as PID:SID (0 and - where unknown), comma-separated.
func (h *holder) status() string {
	who := func(c *pipeConn) string {
		sid := "-"
		if c.id.user != nil {
			sid = c.id.user.String()
		}
		return fmt.Sprintf("%d:%s", c.id.pid, sid)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	var reader, waiting, writers []string
	if h.reading != nil {
		reader = append(reader, who(h.reading))
	}
	for c := range h.waiting {
		waiting = append(waiting, who(c))
	}
	for w := range h.writers {
		if !w.dropped {
			writers = append(writers, who(w.c))
		}
	}
	return fmt.Sprintf("buffered=%d capacity=%d came=%t reader=%s waiting=%s writers=%s\n",
		h.queued, holderQueueMax, h.came, strings.Join(reader, ","), strings.Join(waiting, ","), strings.Join(writers, ","))
}

// readerLost handles a reader that left before EOF: its writers are cut
// off (their writes fail, like EPIPE on Unix) and what they wrote is
// dropped.
func (h *holder) readerLost(c *pipeConn) {
	c.abort()
	h.mu.Lock()
	writers := h.takeWriters()
	h.queue, h.queued = nil, 0
	h.came = false
	h.cond.Broadcast()
	h.mu.Unlock()
	for _, w := range writers {
		w.c.abort()
	}
}

func openFIFO(ctx context.Context, name string, write bool) (*os.File, error) {
	t, err := resolveFIFO("open", name)
	if err != nil {
		return nil, err
	}
	return openTarget(ctx, t, write)
}

// openTarget opens an end of the FIFO t.
func openTarget(ctx context.Context, t fifoTarget, write bool) (*os.File, error) {
	if write {
		f, owner, err := dialHandle(ctx, "open", t.pipe, writerAccess, nil, false)
		if err != nil {
			if t.marker != nil && errors.Is(err, fs.ErrNotExist) {
				return nil, t.marker.holderGone("open")
			}
			return nil, err
		}
		if err := t.marker.checkServedBy(owner); err != nil {
			f.Close()
			return nil, &os.PathError{Op: "open", Path: t.pipe, Err: err}
		}
		return f, nil
	}
	return openReader(ctx, t)
}

// openReader opens a FIFO's read end through its holder, or reads some
// other program's pipe as a client.
func openReader(ctx context.Context, t fifoTarget) (*os.File, error) {
	path := t.pipe
	perr := func(err error) error { return &os.PathError{Op: "open", Path: path, Err: err} }
	h, err := openClient(ctx, "open", path+ctlSuffix, dialAccess)
	if errors.Is(err, fs.ErrNotExist) {
		if t.marker != nil {
			// A marker's pipe is a holder's, never some other program's.
			return nil, t.marker.holderGone("open")
		}
		f, _, err := dialHandle(ctx, "open", path, readerAccess, nil, false)
		return f, err
	}
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			pe.Path = path
		}
		return nil, err
	}
	owner, err := checkServerOwner(h, nil)
	if err == nil {
		err = t.marker.checkServedBy(owner)
	}
	if err != nil {
		windows.CloseHandle(h)
		return nil, perr(err)
	}
	f := os.NewFile(uintptr(h), path)
	if _, err := f.Write([]byte("read\n")); err != nil {
		f.Close()
		return nil, perr(unwrapPathErr(err))
	}
	// Wait for the go-ahead; ctx's end interrupts the read.
	stop := context.AfterFunc(ctx, func() { f.SetReadDeadline(time.Unix(1, 0)) })
	var b [1]byte
	n, err := f.Read(b[:])
	if !stop() {
		f.Close()
		return nil, ctxErr("open", path, ctx)
	}
	if err != nil || n != 1 || b[0] != goAhead {
		f.Close()
		if err == nil || err == io.EOF {
			return nil, perr(fmt.Errorf("FIFO removed while waiting for a writer: %w", fs.ErrNotExist))
		}
		return nil, perr(unwrapPathErr(err))
	}
	return f, nil
}

func unwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// removeFIFO asks the holder to quit and waits until it has let go of the
// names; the holder of a FIFO at a path removes its marker first. A marker
// whose holder is gone is removed here.
func removeFIFO(name string) error {
	t, err := resolveFIFO("remove", name)
	if err != nil {
		return err
	}
	err = quitHolder(t)
	if t.marker != nil && errors.Is(err, fs.ErrNotExist) {
		err = nil // the holder is gone already: the marker is all that is left
	}
	if err == nil && t.marker != nil {
		abs, aerr := filepath.Abs(name)
		if aerr == nil {
			aerr = deleteMarker(abs, t.marker.id, t.pipe)
		}
		if aerr != nil {
			return &os.PathError{Op: "remove", Path: name, Err: aerr}
		}
	}
	return err
}

// quitHolder asks the holder of t's pipe to quit and waits until it has.
func quitHolder(t fifoTarget) error {
	path := t.pipe
	perr := func(err error) error { return &os.PathError{Op: "remove", Path: path, Err: err} }
	ctx, cancel := context.WithTimeout(context.Background(), removeTimeout)
	defer cancel()
	h, err := openClient(ctx, "remove", path+ctlSuffix, dialAccess)
	if errors.Is(err, fs.ErrNotExist) {
		if found, _ := pipeExists(path); found {
			return perr(fmt.Errorf("not a gopipe FIFO (a pipe lasts as long as its server): %w", errors.ErrUnsupported))
		}
		return perr(fs.ErrNotExist)
	}
	if err != nil {
		return perr(unwrapPathErr(err))
	}
	owner, err := checkServerOwner(h, nil)
	if err == nil {
		err = t.marker.checkServedBy(owner)
	}
	if err != nil {
		windows.CloseHandle(h)
		return perr(err)
	}
	f := os.NewFile(uintptr(h), path)
	defer f.Close()
	f.SetDeadline(time.Now().Add(removeTimeout))
	if _, err := f.Write([]byte("quit\n")); err != nil {
		return perr(unwrapPathErr(err))
	}
	reply, err := io.ReadAll(f)
	if err != nil {
		return perr(fmt.Errorf("waiting for the holder: %w", unwrapPathErr(err)))
	}
	if string(reply) != "ok\n" {
		return perr(fmt.Errorf("holder replied %q", reply))
	}
	return nil
}
