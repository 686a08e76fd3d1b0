package endpoint

import (
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command"
	"github.com/gopipe/gopipe/fifo"
	"github.com/gopipe/gopipe/internal/remote"
)

// Dial connects stdin and stdout to an endpoint.
var Dial = &command.Spec{
	Name:     "dial",
	Summary:  "connect stdin and stdout to a named pipe or socket",
	Synopsis: "[OPTION]... NAME",
	Operands: command.CompleteEndpoint,
	Intro: `Connect to the named pipe (Windows) or Unix socket NAME, after checking that
it is served by you, root/SYSTEM or the Administrators: copy stdin to it and
it to stdout. At the end of stdin the connection is half-closed (a
zero-length message in message mode), and the replies are read to the end.

`,
	Options: append([]command.Option{
		{Long: "wait", Arg: command.RequiredArg, ArgName: "DURATION", Help: "wait up to DURATION (e.g. 10s) for NAME to appear"},
		{Long: "message", Help: "message mode: each read of stdin is one message"},
		trustOption,
	}, remoteOptions...),
	Outro: `With an ssh:// NAME, 'gopipe dial NAME' runs on HOST and the bytes go
through ssh, half-close and exit status included (255: ssh failed, 127: no
gopipe there). --wait, --message and --trust are the remote dial's.
` + command.RemoteNote,
	Run: runDial,
}

func runDial(e *command.Env, p *command.Parsed) int {
	cfg := &fifo.Config{}
	var wait time.Duration
	for _, o := range p.Opts {
		remoteOption(o, cfg)
		switch o.Key() {
		case "wait":
			var err error
			if wait, err = o.Duration(); err != nil {
				return e.Usage(err)
			}
		case "message":
			cfg.MessageMode = true
		case "trust":
			cfg.TrustServers = append(cfg.TrustServers, o.Value)
		}
	}
	operands := p.Operands
	if len(operands) != 1 {
		return e.Usage(errors.New("dial takes one NAME"))
	}
	name := operands[0]
	c, err := dialWaiting(e.Ctx, name, cfg, wait)
	if err != nil {
		hint := ""
		if errors.Is(err, syscall.EPROTOTYPE) {
			// A stream client of a message server, or the other way round.
			hint = map[bool]string{false: " (the server is in message mode: dial --message)", true: " (the server is not in message mode: dial without --message)"}[cfg.MessageMode]
		}
		e.Errorf("dial %s%s", command.StrerrorPath(err), hint)
		return 1
	}
	defer c.Close()
	return relayConn(e, name, c)
}

// relayConn copies stdin to c and c to stdout until c ends; stdin's end
// half-closes c. A server that ends the connection while stdin still has
// more to send has gone away early (killed, or refusing us): that is an
// error, as it is when a write to it fails. One that does so before any
// reply most likely refused us, and the message says so.
func relayConn(e *command.Env, name string, c net.Conn) int {
	sent := make(chan error, 1)
	go func() { sent <- sendAll(e.Stdin, c) }()
	got, err := io.Copy(e.Stdout, c)
	fail := func(err error) int {
		// The remote side's failure says which side, and its status is
		// ours, as ssh's is.
		var re *remote.Error
		if errors.As(err, &re) {
			e.Errorf("dial %s: %s", name, re.Msg)
			return max(re.Status, 1)
		}
		msg := command.Strerror(err)
		if errors.Is(err, errServerGone) {
			msg = err.Error() // ours, already in words
		}
		if got == 0 {
			e.Errorf("dial %s: %v (%s)", name, errRefused, msg)
		} else {
			e.Errorf("dial %s: %s", name, msg)
		}
		return 1
	}
	if err != nil {
		return fail(err)
	}
	// Give the sending side a moment to see the end of its input too: the
	// server may legitimately close right after our last byte.
	t := time.NewTimer(200 * time.Millisecond)
	defer t.Stop()
	select {
	case err := <-sent:
		if err == nil {
			return 0
		}
		return fail(err)
	case <-t.C:
		return fail(errServerGone)
	}
}

var (
	errServerGone = errors.New("the server closed the connection before the end of input")
	errRefused    = errors.New("the server cut the connection before any reply: it refuses clients it does not allow (its own user's and root's, unless serve --allow-user names yours), or it failed; its log says which")
)

// sendAll copies r to c, one write per read (one message each in message
// mode), and half-closes c at r's end.
func sendAll(r io.Reader, c net.Conn) error {
	buf := make([]byte, 64<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return fmt.Errorf("%w (%s)", errServerGone, command.Strerror(werr))
			}
		}
		if err == io.EOF {
			closeWrite(c) // fails harmlessly if the server has already gone
			return nil
		}
		if err != nil {
			return fmt.Errorf("standard input: %w", err)
		}
	}
}
