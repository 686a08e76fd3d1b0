package endpoint

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command"
	"github.com/gopipe/gopipe/fifo"
	"github.com/gopipe/gopipe/internal/remote"
)

// trustOption is dial's and tap's --trust: the servers they dial are
// checked alike (fifo.Config.TrustServers).
var trustOption = command.Option{Long: "trust", Arg: command.RequiredArg, ArgName: "USER", Help: "also accept a server run by USER (a name, uid or, on\nWindows, SID; repeatable)"}

// What serve, dial and tap share of their connections.

// remoteOptions are dial's and tap's options for an ssh:// NAME.
var remoteOptions = []command.Option{
	{Long: "ssh", Arg: command.RequiredArg, ArgName: "CMD", Help: "for an ssh:// NAME, the ssh command, split at\nwhite space (default $GOPIPE_SSH, else ssh)"},
	{Long: "remote-gopipe", Arg: command.RequiredArg, ArgName: "PATH", Help: "for an ssh:// NAME, the gopipe to run there\n(default $GOPIPE_REMOTE_GOPIPE, else gopipe on\nthe remote PATH)"},
	{Long: "remote-shell", Arg: command.RequiredArg, ArgName: "SHELL", Values: remote.Shells, Help: "for an ssh:// NAME, the remote shell: sh (POSIX:\nany NAME can be quoted) or cmd; by default a NAME\nmust read the same to both"},
}

// remoteOption applies o, if it is one of remoteOptions, to cfg.
func remoteOption(o command.Opt, cfg *fifo.Config) {
	switch o.Key() {
	case "ssh":
		cfg.SSH = strings.Fields(o.Value)
	case "remote-gopipe":
		cfg.RemoteGopipe = o.Value
	case "remote-shell":
		cfg.RemoteShell = o.Value
	}
}

// dialWaiting dials name, polling for up to wait while it does not exist
// (a server that is starting). A busy server is waited for by Dial itself.
func dialWaiting(ctx context.Context, name string, cfg *fifo.Config, wait time.Duration) (net.Conn, error) {
	if wait > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, wait)
		defer cancel()
	}
	backoff := 10 * time.Millisecond
	for {
		c, err := fifo.Dial(ctx, name, cfg)
		if err == nil || wait == 0 || !errors.Is(err, fs.ErrNotExist) {
			return c, err
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, err
		case <-t.C:
		}
		backoff = min(2*backoff, 200*time.Millisecond)
	}
}

// closeWrite half-closes c where it can.
func closeWrite(c net.Conn) error {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return c.Close()
}

// sessions are the clients a server (serve, tap) is serving: a stop waits
// for them, then cuts them off.
type sessions struct {
	mu   sync.Mutex
	open map[*session]bool
	wg   sync.WaitGroup
}

// A session is one client's, with what closing it means closing.
type session struct {
	ss    *sessions
	conns []io.Closer
}

// begin counts a session in, for client c; end counts it out.
func (ss *sessions) begin(c io.Closer) (s *session, end func()) {
	ss.wg.Add(1)
	s = &session{ss: ss, conns: []io.Closer{c}}
	ss.mu.Lock()
	if ss.open == nil {
		ss.open = map[*session]bool{}
	}
	ss.open[s] = true
	ss.mu.Unlock()
	return s, func() {
		ss.mu.Lock()
		delete(ss.open, s)
		ss.mu.Unlock()
		ss.wg.Done()
	}
}

// add makes c part of the session: a cut closes it too (tap's upstream).
func (s *session) add(c io.Closer) {
	s.ss.mu.Lock()
	defer s.ss.mu.Unlock()
	s.conns = append(s.conns, c)
}

// cut logs why with how many clients there are (if any), then closes
// their connections.
func (ss *sessions) cut(log *command.Logger, why string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if len(ss.open) > 0 {
		log.Logf("%s: closing %d clients", why, len(ss.open))
	}
	for s := range ss.open {
		for _, c := range s.conns {
			c.Close()
		}
	}
}

// shutdown ends a server asked to stop, its listener closed: the sessions
// may finish for grace, or until a stop signal comes again, meaning now;
// then they are cut off. It returns that second signal, if one came: the
// server then dies of it (after its name is gone), as users expect of a
// second ctrl-C.
func shutdown(log *command.Logger, ss *sessions, grace time.Duration, again <-chan os.Signal) os.Signal {
	done := make(chan struct{})
	go func() { ss.wg.Wait(); close(done) }()
	t := time.NewTimer(grace)
	defer t.Stop()
	var sig os.Signal
	select {
	case <-done:
		return nil
	case <-t.C:
		ss.cut(log, "grace period over")
	case sig = <-again:
		ss.cut(log, sig.String()+" again")
	}
	<-done
	return sig
}
