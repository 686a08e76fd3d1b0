package remote

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"sync"
	"time"
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
		e.Msg = fmt.Sprintf("the ssh connection to %s was cut (ssh died: %s)", n.Host, sig)
	case st == 255:
		e.Msg = fmt.Sprintf("ssh could not connect to %s, lost the connection, or the remote command died of a signal (ssh's message is above)", n.Host)
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
	p      *Process
	stdin  *os.File // ours: the write end of ssh's stdin
	stdout *os.File // ours: the read end of ssh's stdout
	once   sync.Once
}

// sshArgs is the argv that runs the remote command line cmdline on n's
// host: the ssh command's words, its port and user options, "--" (so that
// no HOST is taken for an option), the host, and the command line.
func sshArgs(n Name, opts Options, cmdline string) []string {
	// -T: no terminal on the other side, whose line discipline would
	// change the bytes; then no escape character either.
	args := append(append([]string(nil), opts.SSH...), "-T")
	if n.Port != "" {
		args = append(args, "-p", n.Port)
	}
	if n.User != "" {
		args = append(args, "-l", n.User)
	}
	return append(args, "--", n.Host, cmdline)
}

// command prepares ssh to run the remote gopipe with args (its command
// and operands, the remote NAME among them), its stderr passed to stderr.
func command(n Name, opts Options, stderr io.Writer, args []string) (*exec.Cmd, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: n.URL, Err: err}
	}
	cmdline, err := CommandLine(opts.Shell, append([]string{opts.Gopipe}, args...))
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: n.URL, Err: err}
	}
	argv := sshArgs(n, opts, cmdline)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stderr = stderr
	// Where the OS can, ssh ends when we do, however we end (a signal
	// included): the remote side then sees its input end, and stops.
	cmd.SysProcAttr = endWithParent()
	return cmd, nil
}

// Process is the ssh that carries a remote NAME.
type Process struct {
	name Name
	cmd  *exec.Cmd
	done chan struct{}
	err  error // how ssh ended, once done is closed
	// input, for a reader, is the write end of the remote command's
	// stdin, which carries nothing: its end (EndInput, or this process
	// gone) tells the remote side that nobody reads any more.
	input *os.File
}

// EndInput ends the remote command's input: a remote reader then stops,
// even one still waiting for its FIFO's writer.
func (p *Process) EndInput() {
	if p.input != nil {
		p.input.Close()
	}
}

// start starts cmd and watches for its end. Once started, ssh is the
// remote side's life: no context ends it, as none ends a local connection
// or file once open; Kill, a Close, or a signal to the process group does.
func start(n Name, cmd *exec.Cmd) (*Process, error) {
	if err := cmd.Start(); err != nil {
		return nil, &os.PathError{Op: "open", Path: n.URL, Err: fmt.Errorf("cannot run ssh: %w", err)}
	}
	p := &Process{name: n, cmd: cmd, done: make(chan struct{})}
	go func() {
		werr := cmd.Wait()
		var ee *exec.ExitError
		switch {
		case werr == nil:
		case errors.As(werr, &ee) && ee.ExitCode() >= 0:
			p.err = explain(n, ee.ExitCode(), "")
		case errors.As(werr, &ee):
			p.err = explain(n, -1, signalName(ee))
		default:
			p.err = &Error{Name: n, Status: -1, Msg: werr.Error()}
		}
		close(p.done)
	}()
	return p, nil
}

// Wait waits for ssh to end and says how: nil for status 0, else an
// *Error.
func (p *Process) Wait() error {
	<-p.done
	return p.err
}

// Kill stops ssh if it still runs.
func (p *Process) Kill() {
	select {
	case <-p.done:
	default:
		p.cmd.Process.Kill()
	}
}

// Done is closed when ssh has ended.
func (p *Process) Done() <-chan struct{} { return p.done }

// Dial runs the remote gopipe with args through ssh, for a connection:
// what is written to the Conn is its stdin, what is read its stdout.
func Dial(n Name, opts Options, stderr io.Writer, args ...string) (*Conn, error) {
	cmd, err := command(n, opts, stderr, args)
	if err != nil {
		return nil, err
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
	cmd.Stdin, cmd.Stdout = inR, outW
	p, err := start(n, cmd)
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, err
	}
	return &Conn{name: n, p: p, stdin: inW, stdout: outR}, nil
}

// Open runs the remote gopipe with args through ssh, for one direction:
// for reading, the returned file is the read end of its stdout (its stdin
// is /dev/null); for writing, the write end of its stdin (its stdout is
// /dev/null). Close the file, then Wait for the Process.
func Open(n Name, opts Options, stderr io.Writer, write bool, args ...string) (*os.File, *Process, error) {
	cmd, err := command(n, opts, stderr, args)
	if err != nil {
		return nil, nil, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	theirs, ours := w, r
	var input, inputTheirs *os.File
	if write {
		theirs, ours = r, w
		cmd.Stdin = r
	} else {
		cmd.Stdout = w
		// A stdin that ends when we do (see Process.input).
		if inputTheirs, input, err = os.Pipe(); err != nil {
			r.Close()
			w.Close()
			return nil, nil, err
		}
		cmd.Stdin = inputTheirs
	}
	p, err := start(n, cmd)
	theirs.Close()
	if inputTheirs != nil {
		inputTheirs.Close()
	}
	if err != nil {
		ours.Close()
		if input != nil {
			input.Close()
		}
		return nil, nil, err
	}
	p.input = input
	return ours, p, nil
}

// signalName is how ssh died, in Go's words ("signal: killed").
func signalName(ee *exec.ExitError) string { return ee.String() }

// Read reads the remote command's output; at its end, once ssh has
// exited, io.EOF if all went well, else the *Error that says how it failed.
func (c *Conn) Read(p []byte) (int, error) {
	n, err := c.stdout.Read(p)
	if err == io.EOF {
		if werr := c.p.Wait(); werr != nil {
			return n, werr
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
		case <-c.p.done:
			if c.p.err != nil {
				return n, c.p.err
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
		c.p.Kill()
		c.p.Wait()
		c.stdout.Close()
	})
	return nil
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
