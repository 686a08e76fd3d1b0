//go:build unix

package redirect

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/creack/pty"
	"github.com/gopipe/gopipe/cmd/gopipe/internal/command"
	"golang.org/x/sys/unix"
)

// ptyWaitDelay bounds the wait for the pty's output once CMD has exited:
// a grandchild holding the terminal would otherwise hold us.
const ptyWaitDelay = 2 * time.Second

// redirectPTY runs cfg.argv with its stdout (and with --stderr-to-stdout
// its stderr) on a new pseudo-terminal, copying what it writes there to
// stdout. Its stdin is not the terminal but in, as given: typed input is
// not what redirect is for, and a terminal would echo it into the output.
func redirectPTY(e *command.Env, ctx context.Context, cfg *redirectConfig, in io.Reader, stdout, stderr io.Writer, setDeliver func(func(os.Signal))) int {
	master, slave, err := pty.Open()
	if err != nil {
		e.Errorf("redirect: pty: %s", command.Strerror(err))
		return command.StatusFailed
	}
	defer master.Close()
	// The output goes to a file or pipe, not a screen: keep the child's
	// newlines as it wrote them rather than as CRLF.
	if err := rawNewlines(slave); err != nil {
		slave.Close()
		e.Errorf("redirect: pty: %s", command.Strerror(err))
		return command.StatusFailed
	}
	followSize(e, master)

	cmd := exec.Command(cfg.argv[0], cfg.argv[1:]...)
	if self := command.SelfPath(cfg.argv[0]); self != "" {
		cmd.Path, cmd.Err = self, nil
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = in, slave, stderr
	if cfg.stderrToStdout {
		cmd.Stderr = slave
	}
	// A session of its own with the pty as controlling terminal (fd 1 in
	// the child), so that it is the terminal's foreground job.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 1}
	cmd.WaitDelay = ptyWaitDelay
	err = cmd.Start()
	slave.Close() // the child's now: EIO comes when the last holder goes
	if err != nil {
		code := command.StatusCannotRun
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
			code = command.StatusNotFound
		}
		e.Errorf("redirect: %s", command.StrerrorExec(err))
		return code
	}
	setDeliver(func(sig os.Signal) {
		if sig == syscall.SIGWINCH {
			followSize(e, master)
			return
		}
		// The child leads its session's one process group.
		syscall.Kill(-cmd.Process.Pid, sig.(syscall.Signal))
	})
	copied := make(chan error, 1)
	go func() {
		_, err := io.Copy(stdout, master)
		// Linux reports the hang-up of a pty whose last slave is closed
		// as EIO: that is the end of the output.
		if errors.Is(err, syscall.EIO) {
			err = nil
		}
		copied <- err
	}()
	stop := context.AfterFunc(ctx, func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	defer stop()
	werr := cmd.Wait()
	select {
	case err = <-copied:
	case <-time.After(ptyWaitDelay):
		master.Close() // unblocks the copy
		err = <-copied
	}
	if err != nil && !errors.Is(err, os.ErrClosed) {
		e.Errorf("redirect: output: %s", command.Strerror(err))
	}
	var ee *exec.ExitError
	if werr != nil && !errors.As(werr, &ee) {
		e.Errorf("redirect: %s", command.Strerror(werr))
	}
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return cmd.ProcessState.ExitCode()
}

// followSize gives the pty the size of our terminal, if we have one.
func followSize(e *command.Env, master *os.File) {
	for _, s := range []any{e.Stdin, e.Stdout, e.Stderr} {
		if f, ok := s.(*os.File); ok {
			if sz, err := pty.GetsizeFull(f); err == nil && sz.Rows > 0 {
				pty.Setsize(master, sz)
				return
			}
		}
	}
	// No terminal of ours: the classic size, rather than 0x0 which some
	// programs take for a width of nothing.
	if sz, err := pty.GetsizeFull(master); err == nil && sz.Rows == 0 {
		pty.Setsize(master, &pty.Winsize{Rows: 24, Cols: 80})
	}
}

// rawNewlines turns off the pty's translation of "\n" into "\r\n".
func rawNewlines(tty *os.File) error {
	rc, err := tty.SyscallConn()
	if err != nil {
		return err
	}
	var terr error
	err = rc.Control(func(fd uintptr) {
		var t *unix.Termios
		if t, terr = unix.IoctlGetTermios(int(fd), command.IoctlGetTermios); terr != nil {
			return
		}
		t.Oflag &^= unix.ONLCR
		terr = unix.IoctlSetTermios(int(fd), command.IoctlSetTermios, t)
	})
	if err != nil {
		return err
	}
	return terr
}
