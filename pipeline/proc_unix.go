//go:build unix

package pipeline

import (
	"math"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// group is the stages' process group. The first stage to start leads it
// (setpgid(0, 0)); the others join it, which works even once the leader has
// exited, since nothing is reaped before every stage has started.
type group struct {
	mu     sync.Mutex
	pgid   int  // 0 until the first stage starts
	killed bool // kill was called: kill late joiners too
	done   bool // released: the pgid may name someone else's group now
	term   *os.File
	termFd int
}

func newGroup(term *os.File) (*group, error) {
	g := &group{}
	if term != nil {
		fd := int(term.Fd())
		if fg, err := tcgetpgrp(fd); err == nil && fg == unix.Getpgrp() {
			g.term, g.termFd = term, fd
		}
	}
	return g, nil
}

// tcgetpgrp returns the foreground process group of the terminal fd.
func tcgetpgrp(fd int) (int, error) {
	pgrp, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP)
	// The kernel writes a 32-bit pid_t into the int: on a big-endian
	// 64-bit machine it lands in the high half.
	if pgrp > math.MaxInt32 {
		pgrp >>= 32
	}
	return pgrp, err
}

func (g *group) prepare(cmd *exec.Cmd) {
	g.mu.Lock()
	defer g.mu.Unlock()
	attr := &syscall.SysProcAttr{Setpgid: true, Pgid: g.pgid}
	if g.pgid == 0 && g.term != nil {
		// The child makes its new group the terminal's foreground before
		// it execs, so no read of the terminal can come too early.
		attr.Foreground, attr.Ctty = true, g.termFd
	}
	cmd.SysProcAttr = attr
}

func (g *group) join(cmd *exec.Cmd) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.pgid == 0 {
		g.pgid = cmd.Process.Pid
	}
	if g.killed {
		syscall.Kill(-g.pgid, syscall.SIGKILL)
	}
	return nil
}

func (g *group) live() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.pgid != 0 && !g.done
}

func (g *group) kill() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.killed = true
	if g.pgid != 0 && !g.done {
		// ESRCH: all gone already, which is what we want.
		syscall.Kill(-g.pgid, syscall.SIGKILL)
	}
	return nil
}

func (g *group) signal(sig os.Signal) error {
	s, ok := sig.(syscall.Signal)
	if !ok {
		return os.ErrInvalid
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.pgid == 0 || g.done {
		return os.ErrProcessDone
	}
	if err := syscall.Kill(-g.pgid, s); err != nil {
		if err == syscall.ESRCH {
			return os.ErrProcessDone
		}
		return os.NewSyscallError("kill", err)
	}
	return nil
}

// release takes the terminal back if a stage had it.
func (g *group) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.done = true
	if g.term == nil {
		return
	}
	if fg, err := tcgetpgrp(g.termFd); err != nil || fg == unix.Getpgrp() {
		return
	}
	// We are a background process now, and the terminal stops one that
	// changes its settings with SIGTTOU unless it is ignored.
	signal.Ignore(syscall.SIGTTOU)
	unix.IoctlSetPointerInt(g.termFd, unix.TIOCSPGRP, unix.Getpgrp())
	signal.Reset(syscall.SIGTTOU)
}

func exitCode(ps *os.ProcessState) (int, os.Signal) {
	ws, ok := ps.Sys().(syscall.WaitStatus)
	if ok && ws.Signaled() {
		return 128 + int(ws.Signal()), ws.Signal()
	}
	return ps.ExitCode(), nil
}

func brokenPipe(st Status, _ bool) bool { return st.Signal == syscall.SIGPIPE }

// exitTime is unknown on Unix, where only a SIGPIPE death is taken for a
// broken pipe.
func exitTime(*os.ProcessState) int64 { return 0 }

// kills tells whether sig's default action ends a process, as it would a
// shell's child waiting in open(2).
func kills(sig os.Signal) bool {
	switch sig {
	case syscall.SIGCHLD, syscall.SIGWINCH, syscall.SIGURG, syscall.SIGCONT,
		syscall.SIGSTOP, syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU:
		return false
	}
	_, ok := sig.(syscall.Signal)
	return ok
}

// signalCode is the status of a death by sig: 128+n.
func signalCode(sig os.Signal) int { return 128 + int(sig.(syscall.Signal)) }
