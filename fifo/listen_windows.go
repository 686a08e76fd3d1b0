package fifo

import (
	"context"
	"fmt"
	"io/fs"
	"net"
	"os"
	"sync"

	"golang.org/x/sys/windows"
)

const (
	defaultBufferSize = 64 << 10
	defaultPending    = 4
	// maxClients is the largest client cap: the OS-level cap is one more
	// (255, PIPE_UNLIMITED_INSTANCES), for the replacement instance.
	maxClients = windows.PIPE_UNLIMITED_INSTANCES - 1
)

// listener serves a pipe name with a pool of instances. Each pending
// instance waits for a client in a goroutine of its own (blocked in
// WaitForMultipleObjects on its event and the listener's stop event); a
// connected one becomes a pipeConn that waits to be accepted.
//
// Counting: active instances have a client (accepted or not yet), pending
// ones wait for one. We keep min(PendingInstances, maxClients-active)
// pending, so at the cap none is and new clients get ERROR_PIPE_BUSY,
// which Dial retries. The OS-level cap is maxClients+1: a connection that
// closes at the cap first lets the listener create its replacement, and
// only then closes, so the name never lapses (a lapsed name may be taken
// by anybody).
type listener struct {
	op          string
	spec        pipeSpec
	cfg         *Config
	allow       []*windows.SID
	maxClients  int
	wantPending int

	stop   windows.Handle // manual-reset event, set by Close
	done   chan struct{}  // closed by Close
	broken chan struct{}  // closed (with err set) when no instance is left
	conns  chan *pipeConn // connected, waiting for Accept
	wg     sync.WaitGroup // instance goroutines

	hooks listenerHooks

	mu        sync.Mutex
	closed    bool
	pending   int
	active    int                    // from the moment a connect completes until Close
	instances map[*instance]struct{} // the pending ones
	err       error
	nextSeq   uint64    // numbers connects as they are seen
	turn      uint64    // with hooks.ordered, the seq being handed over
	turnCond  sync.Cond // on mu, for turn
}

// listenerHooks adapt a listener to the FIFO holder's data pipe.
type listenerHooks struct {
	// keepGone delivers a client that wrote and closed before we saw
	// it connect (ERROR_NO_DATA), with what it wrote, instead of
	// dropping it.
	keepGone bool
	// notify, if not nil, is called (without the listener's lock) when a
	// client arrives and when an instance starts waiting.
	notify func()
	// ordered hands clients to Accept in the order their connects were
	// seen (pipeConn.seq), one at a time, so that the holder can keep
	// the data of writers that came one after the other in order.
	ordered bool
}

var _ net.Listener = (*listener)(nil)

func listen(name string, cfg *Config) (net.Listener, error) {
	path, err := pipePath("listen", name)
	if err != nil {
		return nil, err
	}
	l, err := newListener("listen", path, cfg, windows.PIPE_ACCESS_DUPLEX, listenerHooks{})
	if err != nil {
		return nil, err
	}
	return l, nil
}

// newListener claims path (fs.ErrExist if taken) and starts serving it.
// access is PIPE_ACCESS_DUPLEX, or PIPE_ACCESS_INBOUND for a FIFO's data
// pipe.
func newListener(op, path string, cfg *Config, access uint32, hooks listenerHooks) (*listener, error) {
	perr := func(err error) error { return &os.PathError{Op: op, Path: path, Err: err} }
	// cfg was validated by Listen (fifo.go), or is the holder's own.
	l := &listener{
		op:          op,
		cfg:         cfg,
		maxClients:  cfg.MaxInstances,
		wantPending: cfg.PendingInstances,
		done:        make(chan struct{}),
		broken:      make(chan struct{}),
		conns:       make(chan *pipeConn),
		hooks:       hooks,
		instances:   make(map[*instance]struct{}),
	}
	l.turnCond.L = &l.mu
	if l.maxClients == 0 || l.maxClients > maxClients {
		l.maxClients = maxClients
	}
	if l.wantPending == 0 {
		l.wantPending = defaultPending
	}
	l.wantPending = min(l.wantPending, l.maxClients)

	var err error
	if l.allow, err = lookupSIDs(cfg.AllowUsers); err != nil {
		return nil, perr(err)
	}
	sddl := cfg.SDDL
	if sddl == "" {
		if sddl, err = pipeSDDL(l.allow); err != nil {
			return nil, perr(err)
		}
	}
	sa, err := securityAttributes(sddl)
	if err != nil {
		return nil, perr(err)
	}
	l.spec = pipeSpec{
		path:         path,
		access:       access,
		message:      cfg.MessageMode,
		maxInstances: uint32(l.maxClients + 1),
		outSize:      uint32(orInt(cfg.OutputBufferSize, defaultBufferSize)),
		inSize:       uint32(orInt(cfg.InputBufferSize, defaultBufferSize)),
		sa:           sa,
		allowRemote:  cfg.AllowRemote,
	}
	if l.stop, err = windows.CreateEvent(nil, 1, 0, nil); err != nil {
		return nil, perr(err)
	}
	h, err := l.spec.create(op, true)
	if err != nil {
		windows.CloseHandle(l.stop)
		return nil, err
	}
	in, err := newInstance(h)
	if err != nil {
		windows.CloseHandle(h)
		windows.CloseHandle(l.stop)
		return nil, perr(err)
	}
	l.mu.Lock()
	l.start(in)
	l.refill()
	l.mu.Unlock()
	return l, nil
}

func orInt(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// start serves a new pending instance. l.mu is held.
func (l *listener) start(in *instance) {
	l.pending++
	l.instances[in] = struct{}{}
	l.wg.Go(func() { l.serve(in) })
}

func (l *listener) notify() {
	if l.hooks.notify != nil {
		l.hooks.notify()
	}
}

// armed records that in's connect is posted.
func (l *listener) armed(in *instance) {
	l.mu.Lock()
	in.armed = true
	l.mu.Unlock()
	l.notify()
}

// hasClients tells whether a client is connected (or being accepted).
func (l *listener) hasClients() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.active > 0
}

// allArmed tells whether every pending instance has its connect posted.
func (l *listener) allArmed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for in := range l.instances {
		if !in.armed {
			return false
		}
	}
	return true
}

// idle tells whether no client is connected nor arriving: every pending
// instance has its connect posted, and none has completed unseen. The
// FIFO holder asks this before giving a reader EOF, so that a writer that
// connected just before is not missed.
func (l *listener) idle() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.active > 0 {
		return false
	}
	for in := range l.instances {
		if !in.armed {
			return false
		}
		if ev, err := windows.WaitForSingleObject(in.ev, 0); err == nil && ev == windows.WAIT_OBJECT_0 {
			return false
		}
	}
	return true
}

// refill tops up the pending instances. l.mu is held.
func (l *listener) refill() {
	for !l.closed && l.pending < min(l.wantPending, l.maxClients-l.active) {
		h, err := l.spec.create(l.op, false)
		var in *instance
		if err == nil {
			if in, err = newInstance(h); err != nil {
				windows.CloseHandle(h)
			}
		}
		if err != nil {
			if l.pending == 0 {
				l.fail(err)
			}
			return
		}
		l.start(in)
	}
}

// fail makes Accept return err: nothing is left to accept clients with.
// l.mu is held.
func (l *listener) fail(err error) {
	if l.err == nil {
		l.err = err
		close(l.broken)
	}
}

// serve waits for a client on in, checks who it is, and hands it to Accept.
func (l *listener) serve(in *instance) {
	var (
		id  identity
		seq uint64
	)
	for {
		err := in.connect(l.stop, func() { l.armed(in) }, l.hooks.keepGone)
		l.mu.Lock()
		delete(l.instances, in)
		l.pending--
		if err != nil {
			if !l.closed && l.pending == 0 && l.active == 0 {
				l.fail(&os.PathError{Op: "accept", Path: l.spec.path, Err: err})
			}
			l.mu.Unlock()
			in.close()
			return
		}
		l.active++
		seq = l.nextSeq
		l.nextSeq++
		l.refill()
		if l.hooks.ordered {
			for l.turn != seq && !l.closed {
				l.turnCond.Wait()
			}
		}
		l.mu.Unlock()
		l.notify()

		id = identifyClient(in.h, l.cfg.AllowRemote)
		err = l.refuse(id)
		if err == nil {
			break
		}
		if l.cfg.Refused != nil {
			l.cfg.Refused(id.peer(), err)
		}
		windows.DisconnectNamedPipe(in.h)
		l.mu.Lock()
		l.active--
		l.pending++
		in.armed = false
		l.instances[in] = struct{}{}
		l.nextTurn()
		l.mu.Unlock()
	}
	// With hooks.ordered, the next client waits until this one is
	// accepted (or dropped).
	defer func() {
		l.mu.Lock()
		l.nextTurn()
		l.mu.Unlock()
	}()

	windows.CloseHandle(in.ev)
	// Only now does the handle go to os.NewFile, which associates it with
	// Go's IOCP: the connect above used an event of its own.
	c, err := newPipeConn(os.NewFile(uintptr(in.h), l.spec.path), in.h, l.spec.path, l.spec.message, true)
	if err != nil {
		// The handle is closed: account for it, keep the name alive.
		l.connClosing()
		return
	}
	c.l = l
	c.id = id
	c.seq = seq
	if l.cfg.CloseTimeout > 0 {
		c.closeTimeout = l.cfg.CloseTimeout
	}
	select {
	case l.conns <- c:
	case <-l.done:
		c.abort()
	}
}

// nextTurn lets the next client through. l.mu is held.
func (l *listener) nextTurn() {
	if l.hooks.ordered {
		l.turn++
		l.turnCond.Broadcast()
	}
}

// refuse says why the client may not connect, nil if it may. A client we
// could not identify is let through: the DACL already admitted it, and
// that is the enforcement on Windows.
func (l *listener) refuse(id identity) error {
	if id.user == nil && l.cfg.AllowRemote {
		// Open to other machines, the app's check must not let through
		// whom it cannot name.
		return fmt.Errorf("client could not be identified (remote clients allowed): %w", fs.ErrPermission)
	}
	if id.user == nil {
		return nil
	}
	if user, err := currentUser(); err == nil && id.user.Equals(user) {
		return nil
	}
	for _, a := range l.allow {
		if id.user.Equals(a) {
			return nil
		}
		for _, g := range id.groups {
			if g.Equals(a) {
				return nil
			}
		}
	}
	return fmt.Errorf("not allowed: %w", fs.ErrPermission) // the Peer names who
}

func (id identity) peer() Peer {
	p := Peer{PID: id.pid}
	if id.user != nil {
		p.UserID = id.user.String()
		p.User = accountName(id.user)
	}
	return p
}

// connClosing is called by a connection of ours before its handle closes.
func (l *listener) connClosing() {
	l.mu.Lock()
	l.active--
	l.refill()
	l.mu.Unlock()
}

// Accept waits for the next allowed client.
func (l *listener) Accept() (net.Conn, error) {
	c, err := l.accept()
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (l *listener) accept() (*pipeConn, error) {
	// Once closed, report it even if a connection is also ready.
	select {
	case <-l.done:
		return nil, l.closedErr("accept")
	default:
	}
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, l.closedErr("accept")
	case <-l.broken:
		return nil, l.err
	}
}

func (l *listener) closedErr(op string) error {
	return &os.PathError{Op: op, Path: l.spec.path, Err: net.ErrClosed}
}

// Close stops accepting: it signals the pending instances' goroutines,
// which cancel their connects and close their handles, and closes the
// connections nobody accepted. Accepted connections stay open.
func (l *listener) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return l.closedErr("close")
	}
	l.closed = true
	close(l.done)
	windows.SetEvent(l.stop)
	l.turnCond.Broadcast()
	l.mu.Unlock()
	l.wg.Wait()
	windows.CloseHandle(l.stop)
	return nil
}

func (l *listener) Addr() net.Addr { return pipeAddr(l.spec.path) }

// dial connects to a Listen endpoint (or any pipe) and checks its owner.
func dial(ctx context.Context, name string, cfg *Config) (net.Conn, error) {
	path := fifoPath(name)
	var err error
	if host := remotePipeHost(path); host != "" {
		// Windows authenticates the SMB session; whose server it is, this
		// machine's users and groups cannot say.
		if len(cfg.TrustServers) == 0 {
			return nil, &os.PathError{Op: "dial", Path: path, Err: fmt.Errorf("a server on %s is vouched for by nobody here (its SYSTEM and Administrators are %s's own): name its owner with --trust (a domain account or SID): %w", host, host, fs.ErrPermission)}
		}
	} else if path, err = pipePath("dial", name); err != nil {
		return nil, err
	}
	trust, err := lookupSIDs(cfg.TrustServers)
	if err != nil {
		return nil, &os.PathError{Op: "dial", Path: path, Err: err}
	}
	f, owner, err := dialHandle(ctx, "dial", path, dialAccess, trust, cfg.MessageMode)
	if err != nil {
		return nil, err
	}
	message := cfg.MessageMode
	if !message {
		// A message-type pipe is read in message mode whatever the client
		// asked (as go-winio's clients do): it is the only kind where
		// CloseWrite can half-close, with a zero-length message.
		if message, err = adoptMessageMode(f); err != nil {
			f.Close()
			return nil, &os.PathError{Op: "dial", Path: path, Err: err}
		}
	}
	// The handle stays f's; we only use it raw through f.SyscallConn.
	c, err := newPipeConn(f, windows.InvalidHandle, path, message, false)
	if err != nil {
		return nil, err
	}
	c.owner = owner
	return c, nil
}

// adoptMessageMode switches a client of a message-type pipe to message
// read mode, and tells whether it did.
func adoptMessageMode(f *os.File) (bool, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return false, err
	}
	var message bool
	cerr := rc.Control(func(fd uintptr) {
		var flags uint32
		if err = windows.GetNamedPipeInfo(windows.Handle(fd), &flags, nil, nil, nil); err != nil {
			return
		}
		if flags&windows.PIPE_TYPE_MESSAGE == 0 {
			return
		}
		mode := uint32(windows.PIPE_READMODE_MESSAGE)
		if err = windows.SetNamedPipeHandleState(windows.Handle(fd), &mode, nil, nil); err == nil {
			message = true
		}
	})
	if cerr != nil {
		return false, cerr
	}
	return message, err
}
