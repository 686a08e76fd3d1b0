package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/oneliner"
)

// Error is how the remote side failed, in words that say which side: ssh
// could not connect, the remote gopipe is missing, or it failed (its own
// message, passed through on stderr, says why).
type Error struct {
	Name   Name
	Status int // ssh's exit status, -1 if it died of a signal
	Msg    string
}

func (e *Error) Error() string { return e.Msg }

// explain is the Error for ssh's exit status st.
func explain(n Name, st int, sig string) *Error {
	e := &Error{Name: n, Status: st}
	switch {
	case sig != "":
		e.Msg = fmt.Sprintf("the ssh connection to %s was cut (ssh killed by %s)", n.Host, sig)
	case st == 255:
		e.Msg = fmt.Sprintf("ssh could not connect to %s, or lost the connection (ssh's message is above)", n.Host)
	case st == 127:
		e.Msg = fmt.Sprintf("no gopipe on %s's PATH (--remote-gopipe names it)", n.Host)
	case st == 126:
		e.Msg = fmt.Sprintf("the remote gopipe cannot run on %s", n.Host)
	default:
		e.Msg = fmt.Sprintf("failed on %s (status %d; its message is above)", n.Host, st)
	}
	return e
}

// Conn is a connection to a remote gopipe through ssh: its writes go to the
// remote command's standard input, its reads come from its standard output.
type Conn struct {
	name   Name
	cmd    *exec.Cmd
	stdin  *os.File // ours: the write end of ssh's stdin
	stdout *os.File // ours: the read end of ssh's stdout
	done   chan struct{}
	err    error // ssh's end, once done is closed
	once   sync.Once
}

// SSHArgs is the argv that runs the remote command line cmdline on n's
// host: the ssh command's words, its port and user options, "--" (so that
// no HOST is taken for an option), the host, and the command line.
func SSHArgs(n Name, opts Options, cmdline string) ([]string, error) {
	sshCmd := opts.SSH
	if sshCmd == "" {
		sshCmd = os.Getenv("GOPIPE_SSH")
	}
	if sshCmd == "" {
		sshCmd = "ssh"
	}
	args, err := oneliner.Words(sshCmd)
	if err != nil || len(args) == 0 {
		return nil, fmt.Errorf("the ssh command %q: %v", sshCmd, err)
	}
	// -T: no terminal on the other side, whose line discipline would
	// change the bytes; then no escape character either.
	args = append(args, "-T")
	if n.Port != "" {
		args = append(args, "-p", n.Port)
	}
	if n.User != "" {
		args = append(args, "-l", n.User)
	}
	return append(args, "--", n.Host, cmdline), nil
}

// Dial runs the remote gopipe with args (its command and operands, the
// remote NAME among them) through ssh, its stderr passed to stderr.
func Dial(ctx context.Context, n Name, opts Options, stderr io.Writer, args ...string) (*Conn, error) {
	gp := opts.Gopipe
	if gp == "" {
		gp = "gopipe"
	}
	cmdline, err := CommandLine(opts.Shell, append([]string{gp}, args...))
	if err != nil {
		return nil, &os.PathError{Op: "dial", Path: n.URL, Err: err}
	}
	argv, err := SSHArgs(n, opts, cmdline)
	if err != nil {
		return nil, &os.PathError{Op: "dial", Path: n.URL, Err: err}
	}
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, stderr
	err = cmd.Start()
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, &os.PathError{Op: "dial", Path: n.URL, Err: fmt.Errorf("cannot run ssh: %w", err)}
	}
	c := &Conn{name: n, cmd: cmd, stdin: inW, stdout: outR, done: make(chan struct{})}
	go func() {
		werr := cmd.Wait()
		var ee *exec.ExitError
		switch {
		case werr == nil:
		case errors.As(werr, &ee) && ee.ExitCode() >= 0:
			c.err = explain(n, ee.ExitCode(), "")
		case errors.As(werr, &ee):
			c.err = explain(n, -1, signalName(ee))
		default:
			c.err = &Error{Name: n, Status: -1, Msg: werr.Error()}
		}
		close(c.done)
	}()
	// The context ends the transport too: ssh is the remote side's life.
	if ctx.Done() != nil {
		go func() {
			select {
			case <-ctx.Done():
				c.Close()
			case <-c.done:
			}
		}()
	}
	return c, nil
}

// signalName is the signal that killed ssh, in words.
func signalName(ee *exec.ExitError) string {
	s := ee.String() // "signal: killed"
	if _, after, ok := strings.Cut(s, "signal: "); ok {
		return after
	}
	return s
}

// Read reads the remote command's output; at its end, once ssh has
// exited, io.EOF if all went well, else the *Error that says how it failed.
func (c *Conn) Read(p []byte) (int, error) {
	n, err := c.stdout.Read(p)
	if err == io.EOF {
		<-c.done
		if c.err != nil {
			return n, c.err
		}
	}
	return n, err
}

// Write writes to the remote command's input; a write after ssh has gone
// fails with the reason it went.
func (c *Conn) Write(p []byte) (int, error) {
	n, err := c.stdin.Write(p)
	if err != nil {
		select {
		case <-c.done:
			if c.err != nil {
				return n, c.err
			}
		default:
		}
	}
	return n, err
}

// CloseWrite ends the remote command's input, as a socket's half-close
// does: ssh passes the end of file on.
func (c *Conn) CloseWrite() error { return c.stdin.Close() }

// Close ends the connection: ssh is stopped if it still runs.
func (c *Conn) Close() error {
	c.once.Do(func() {
		c.stdin.Close()
		select {
		case <-c.done:
		default:
			c.cmd.Process.Kill()
			<-c.done
		}
		c.stdout.Close()
	})
	return nil
}

// Err is how ssh ended, once it has: nil for status 0.
func (c *Conn) Err() error {
	<-c.done
	return c.err
}

// The rest of net.Conn, so that a Conn goes where local connections go.

type addr string

func (a addr) Network() string { return "ssh" }
func (a addr) String() string  { return string(a) }

func (c *Conn) LocalAddr() net.Addr  { return addr("local") }
func (c *Conn) RemoteAddr() net.Addr { return addr(c.name.URL) }
func (c *Conn) SetDeadline(t time.Time) error {
	return errors.Join(c.stdin.SetWriteDeadline(t), c.stdout.SetReadDeadline(t))
}
func (c *Conn) SetReadDeadline(t time.Time) error  { return c.stdout.SetReadDeadline(t) }
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.stdin.SetWriteDeadline(t) }
