package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gopipe/gopipe/fifo"
)

const serveHelp = `Usage: gopipe serve [OPTION]... NAME
Serve clients on the named pipe (Windows) or Unix socket NAME: echo what each
client sends, or with --exec give each client its own command with stdin and
stdout bound to the connection. Only your own user may connect unless
--allow-user (or --allow-sid, --sddl on Windows) says otherwise.

  --exec CMD          run CMD (words split as a shell would) for each client
  --max-clients N     serve at most N clients at once; others wait
  --message           message mode (Linux SOCK_SEQPACKET; on Windows the pipe
                      is always a message pipe, the only kind a client can
                      half-close)
  --allow-user U      also let user U, or members of group U, connect
                      (repeatable); on Unix NAME must then be a socket path
                      in a directory U can reach, not a bare name
  --allow-sid SID     also let SID connect (Windows; repeatable)
  --sddl S            the pipe's whole security descriptor (Windows, experts)
  --grace DURATION    on ctrl-C, how long clients may finish (default 5s)
      --help          display this help and exit

One line per client goes to stderr: time, peer pid and user, bytes each way,
how it ended. A bare NAME on Unix lives in $XDG_RUNTIME_DIR/gopipe (or
$TMPDIR/gopipe-UID), so 'gopipe dial NAME' finds it from any directory.
`

var serveOpts = []optSpec{
	{long: "exec", arg: requiredArg},
	{long: "max-clients", arg: requiredArg},
	{long: "message"},
	{long: "allow-user", arg: requiredArg},
	{long: "allow-sid", arg: requiredArg},
	{long: "sddl", arg: requiredArg},
	{long: "grace", arg: requiredArg},
	{long: "help"},
}

// logger writes timestamped lines to stderr, one at a time.
type logger struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *logger) logf(format string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "%s %s\n", time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), fmt.Sprintf(format, a...))
}

// stopSignals returns a channel closed on ctrl-C or SIGTERM, when e's
// context ends, or by release, which must be called.
func stopSignals(e *env) (stop <-chan struct{}, release func()) {
	sigs := make(chan os.Signal, 1)
	e.notify(sigs, os.Interrupt, syscall.SIGTERM)
	ch := make(chan struct{})
	var once sync.Once
	closeCh := func() { once.Do(func() { close(ch) }) }
	go func() {
		select {
		case <-sigs:
		case <-e.ctx.Done():
		case <-ch:
		}
		closeCh()
	}()
	return ch, func() { e.stopNotify(sigs); closeCh() }
}

type server struct {
	logger
	e       *env
	name    string
	command []string // --exec, split; nil: echo
	mu      sync.Mutex
	conns   map[net.Conn]bool
	next    atomic.Int64
	wg      sync.WaitGroup
	stopped atomic.Bool
}

func runServe(e *env, args []string) int {
	opts, operands, err := getopt(args, serveOpts)
	if err != nil {
		return e.usage(err)
	}
	// On Windows only a message pipe lets a client half-close (a
	// zero-length message), which is how dial says its input has ended;
	// byte-mode clients can still use it.
	cfg := &fifo.Config{MessageMode: runtime.GOOS == "windows"}
	grace := 5 * time.Second
	var command []string
	for _, o := range opts {
		switch o.key() {
		case "help":
			fmt.Fprint(e.stdout, serveHelp)
			return 0
		case "exec":
			if command, err = shellWords(o.value); err != nil {
				return e.usage(fmt.Errorf("--exec %s: %v", quote(o.value), err))
			}
		case "max-clients":
			n, err := strconv.Atoi(o.value)
			if err != nil || n < 1 {
				return e.usage(fmt.Errorf("invalid --max-clients %s", quote(o.value)))
			}
			cfg.MaxInstances = n
		case "message":
			cfg.MessageMode = true
		case "allow-user":
			cfg.AllowUsers = append(cfg.AllowUsers, o.value)
		case "allow-sid", "sddl":
			if runtime.GOOS != "windows" {
				return e.usage(fmt.Errorf("--%s is for Windows named pipes (a Unix socket has a mode: use --allow-user and a socket path)", o.key()))
			}
			if o.key() == "sddl" {
				cfg.SDDL = o.value
			} else {
				cfg.AllowUsers = append(cfg.AllowUsers, o.value)
			}
		case "grace":
			if grace, err = o.duration(); err != nil {
				return e.usage(err)
			}
		}
	}
	if len(operands) != 1 {
		return e.usage(errors.New("serve takes one NAME"))
	}
	s := &server{logger: logger{w: e.stderr}, e: e, name: operands[0], command: command, conns: map[net.Conn]bool{}}
	cfg.Refused = func(p fifo.Peer, err error) {
		s.logf("refused %s: %v", p, err)
	}
	l, err := fifo.Listen(s.name, cfg)
	if err != nil {
		e.errorf("serve %s", strerrorPath(err))
		return 1
	}
	s.logf("listening on %s", l.Addr())

	// Stop on ctrl-C or SIGTERM: accept no more, let clients finish for
	// the grace period, then cut them off.
	stop, release := stopSignals(e)
	defer release()
	acceptDone := make(chan error, 1)
	go func() { acceptDone <- s.acceptLoop(l) }()
	status := 0
	select {
	case <-stop:
		s.logf("stopping")
	case err := <-acceptDone:
		e.errorf("serve %s: %s", s.name, strerror(err))
		status = 1
	}
	s.stopped.Store(true)
	l.Close()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(grace):
		s.mu.Lock()
		if len(s.conns) > 0 {
			s.logf("grace period over: closing %d clients", len(s.conns))
		}
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		<-done
	}
	return status
}

func (s *server) acceptLoop(l net.Listener) error {
	for {
		c, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || s.stopped.Load() {
				return nil
			}
			return err
		}
		s.mu.Lock()
		s.conns[c] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serve(c, s.next.Add(1))
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		}()
	}
}

// serve runs one client and logs how it went.
func (s *server) serve(c net.Conn, id int64) {
	defer c.Close()
	peer, err := fifo.PeerOf(c)
	who := peer.String()
	if err != nil {
		who = "peer unknown"
	}
	start := time.Now()
	cc := &countingConn{Conn: c}
	var how string
	if s.command == nil {
		how = echoConn(cc)
	} else {
		how = s.execFor(cc)
	}
	if s.stopped.Load() && how != "eof" && !strings.HasPrefix(how, "exit") {
		how = "cut off at shutdown (" + how + ")"
	}
	s.logf("client %d (%s): %d bytes in, %d out, %.3fs, ended: %s",
		id, who, cc.in.Load(), cc.out.Load(), time.Since(start).Seconds(), how)
}

// echoConn sends back what it reads until the client half-closes, then
// half-closes in turn: reads keep message boundaries in message mode.
// A buffer is taken from a pool only while data flows: an idle client holds
// none.
func echoConn(c *countingConn) string {
	for {
		if err := waitReadable(c.Conn); err != nil {
			return "read: " + strerror(err)
		}
		buf := echoBuffers.Get().(*[]byte)
		n, err := c.Read(*buf)
		if n > 0 {
			if _, werr := c.Write((*buf)[:n]); werr != nil {
				echoBuffers.Put(buf)
				return "write: " + strerror(werr)
			}
		}
		echoBuffers.Put(buf)
		if err == io.EOF {
			closeWrite(c.Conn)
			return "eof"
		}
		if err != nil {
			return "read: " + strerror(err)
		}
	}
}

var echoBuffers = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// execFor runs the --exec command for a client, its stdin fed from the
// connection and its stdout written to it.
func (s *server) execFor(c *countingConn) string {
	cmd := exec.Command(s.command[0], s.command[1:]...)
	cmd.Stdout = c
	cmd.Stderr = s.e.stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "exec: " + strerror(err)
	}
	if err := cmd.Start(); err != nil {
		return "exec " + s.command[0] + ": " + strerror(err)
	}
	// Our own copy of the client's input, so that Wait need not wait for
	// a client that sends nothing more: it ends when the conn closes.
	go func() {
		io.Copy(stdin, c)
		stdin.Close()
	}()
	err = cmd.Wait()
	closeWrite(c.Conn)
	var ee *exec.ExitError
	switch {
	case err == nil:
		return "exit 0"
	case errors.As(err, &ee):
		return "exit " + exitString(ee)
	}
	return strerror(err)
}

// exitString says how a command ended: its status, or the signal.
func exitString(ee *exec.ExitError) string {
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return "killed by " + ws.Signal().String()
	}
	return strconv.Itoa(ee.ExitCode())
}

// closeWrite half-closes c where it can.
func closeWrite(c net.Conn) error {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return c.Close()
}

// countingConn counts the bytes each way.
type countingConn struct {
	net.Conn
	in, out atomic.Int64
}

func (c *countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.in.Add(int64(n))
	return n, err
}

func (c *countingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.out.Add(int64(n))
	return n, err
}

// strerrorPath renders a path error as "PATH: reason".
func strerrorPath(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Path + ": " + strerror(pe.Err)
	}
	return strerror(err)
}
