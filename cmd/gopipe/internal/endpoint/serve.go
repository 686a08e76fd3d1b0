package endpoint

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command"
	"github.com/gopipe/gopipe/cmd/gopipe/internal/oneliner"
	"github.com/gopipe/gopipe/fifo"
)

// Serve is a multi-client server on an endpoint: echo, or a command per
// client.
var Serve = &command.Spec{
	Name:     "serve",
	Summary:  "serve clients on a named pipe or socket: echo, or --exec a command each",
	Synopsis: "[OPTION]... NAME",
	Intro: `Serve clients on the named pipe (Windows) or Unix socket NAME: echo what each
client sends, or with --exec give each client its own command with stdin and
stdout bound to the connection. Only your own user may connect unless
--allow-user (or --allow-sid, --sddl on Windows) says otherwise.

`,
	Options: []command.Option{
		{Long: "exec", Arg: command.RequiredArg, ArgName: "CMD", Help: "run CMD for each client, its words split as gopipe run\nsplits them (quotes; no expansions or globs); a CMD\ncalled gopipe is this program", Complete: command.CompleteCommand},
		{Long: "max-clients", Arg: command.RequiredArg, ArgName: "N", Help: "serve at most N clients at once; others wait"},
		{Long: "message", Help: "message mode (Linux SOCK_SEQPACKET; on Windows the pipe\nis always a message pipe, the only kind a client can\nhalf-close)"},
		{Long: "allow-user", Arg: command.RequiredArg, ArgName: "U", Help: "also let user U, or members of group U, connect\n(repeatable); on Unix NAME must then be a socket path\nin a directory U can reach, not a bare name"},
		{Long: "allow-sid", Arg: command.RequiredArg, ArgName: "SID", Help: "also let SID connect (repeatable)", OS: "windows"},
		{Long: "sddl", Arg: command.RequiredArg, ArgName: "S", Help: "the pipe's whole security descriptor (experts)", OS: "windows"},
		{Long: "allow-remote", Help: "let clients on other machines connect (\\\\HOST\\pipe\\NAME):\nonly with --allow-user, the users they may be", OS: "windows"},
		{Long: "grace", Arg: command.RequiredArg, ArgName: "DURATION", Help: "on ctrl-C, SIGTERM or SIGHUP, how long clients may\nfinish (default 5s); a second one ends them at once"},
	},
	Outro: `One line per client goes to stderr: time, peer pid and user, bytes each way,
how it ended. A bare NAME on Unix lives in $XDG_RUNTIME_DIR/gopipe (or
$TMPDIR/gopipe-UID), so 'gopipe dial NAME' finds it from any directory.
`,
	Run: runServe,
}

type server struct {
	command.Logger
	e       *command.Env
	name    string
	command []string // --exec, split; nil: echo
	clients sessions
	next    atomic.Int64
	stopped atomic.Bool
}

func runServe(e *command.Env, p *command.Parsed) int {
	// On Windows only a message pipe lets a client half-close (a
	// zero-length message), which is how dial says its input has ended;
	// byte-mode clients can still use it.
	cfg := &fifo.Config{MessageMode: runtime.GOOS == "windows"}
	grace := 5 * time.Second
	var argv []string
	for _, o := range p.Opts {
		var err error
		switch o.Key() {
		case "exec":
			if argv, err = oneliner.Words(o.Value); err != nil {
				return e.Usage(fmt.Errorf("--exec %s: %v", command.Quote(o.Value), err))
			}
		case "max-clients":
			n, err := strconv.Atoi(o.Value)
			if err != nil || n < 1 {
				return e.Usage(fmt.Errorf("invalid --max-clients %s", command.Quote(o.Value)))
			}
			cfg.MaxInstances = n
		case "message":
			cfg.MessageMode = true
		case "allow-user", "allow-sid":
			cfg.AllowUsers = append(cfg.AllowUsers, o.Value)
		case "allow-remote":
			cfg.AllowRemote = true
		case "sddl":
			cfg.SDDL = o.Value
		case "grace":
			if grace, err = o.Duration(); err != nil {
				return e.Usage(err)
			}
		}
	}
	operands := p.Operands
	if len(operands) != 1 {
		return e.Usage(errors.New("serve takes one NAME"))
	}
	// A CMD that cannot be found fails every client: say so now, as a
	// shell would, rather than in each client's log line.
	if len(argv) > 0 && command.SelfPath(argv[0]) == "" {
		if _, err := exec.LookPath(argv[0]); err != nil {
			e.Errorf("serve: --exec %s: %s", command.Quote(argv[0]), command.StrerrorExec(err))
			return command.StatusNotFound
		}
	}
	s := &server{Logger: command.Logger{W: e.Stderr}, e: e, name: operands[0], command: argv}
	cfg.Refused = func(p fifo.Peer, err error) {
		s.Logf("refused %s: %v (--allow-user lets others in)", p, err)
	}
	// Stop on ctrl-C, SIGTERM or SIGHUP: accept no more, let clients
	// finish for the grace period (a second signal: at once), then cut
	// them off.
	stop, again, release := e.StopSignals()
	defer release()
	// (Asked for before the name exists: a signal the moment it does must
	// still remove it.)
	l, err := fifo.Listen(s.name, cfg)
	if err != nil {
		e.Errorf("serve %s", command.StrerrorPath(err))
		return 1
	}
	s.Logf("listening on %s", l.Addr())

	acceptDone := make(chan error, 1)
	go func() { acceptDone <- s.acceptLoop(l) }()
	status := 0
	select {
	case <-stop:
		s.Logf("stopping")
	case err := <-acceptDone:
		e.Errorf("serve %s: %s", s.name, command.Strerror(err))
		status = 1
	}
	s.stopped.Store(true)
	l.Close() // the name is gone once Close returns
	if sig := shutdown(&s.Logger, &s.clients, grace, again); sig != nil {
		e.DieBy = sig
		return command.SignalStatus(sig)
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
		_, end := s.clients.begin(c)
		go func() {
			defer end()
			s.serve(c, s.next.Add(1))
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
	s.Logf("client %d (%s): %d bytes in, %d out, %.3fs, ended: %s",
		id, who, cc.in.Load(), cc.out.Load(), time.Since(start).Seconds(), how)
}

// echoConn sends back what it reads until the client half-closes, then
// half-closes in turn: reads keep message boundaries in message mode.
// A buffer is taken from a pool only while data flows: an idle client holds
// none.
func echoConn(c *countingConn) string {
	for {
		if err := waitReadable(c.Conn); err != nil {
			return "read: " + command.Strerror(err)
		}
		buf := echoBuffers.Get().(*[]byte)
		n, err := c.Read(*buf)
		if n > 0 {
			if _, werr := c.Write((*buf)[:n]); werr != nil {
				echoBuffers.Put(buf)
				return "write: " + command.Strerror(werr)
			}
		}
		echoBuffers.Put(buf)
		if err == io.EOF {
			closeWrite(c.Conn)
			return "eof"
		}
		if err != nil {
			return "read: " + command.Strerror(err)
		}
	}
}

var echoBuffers = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// execFor runs the --exec command for a client, its stdin fed from the
// connection and its stdout written to it.
func (s *server) execFor(c *countingConn) string {
	cmd := exec.Command(s.command[0], s.command[1:]...)
	if self := command.SelfPath(s.command[0]); self != "" {
		cmd.Path, cmd.Err = self, nil // a CMD called gopipe is this program, as in run
	}
	cmd.Stdout = c
	cmd.Stderr = s.e.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "exec: " + command.Strerror(err)
	}
	if err := cmd.Start(); err != nil {
		return "exec " + s.command[0] + ": " + command.Strerror(err)
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
	return command.Strerror(err)
}

// exitString says how a command ended: its status, or the signal.
func exitString(ee *exec.ExitError) string {
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return "killed by " + ws.Signal().String()
	}
	return strconv.Itoa(ee.ExitCode())
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
