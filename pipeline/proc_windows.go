package pipeline

import (
	"errors"
	"os"
	"os/exec"
	"sync"
	"syscall"

	"golang.org/x/sys/windows"

	"github.com/gopipe/gopipe/internal/winjob"
)

// group is a job object holding the stages. Each stage starts suspended,
// joins the job, and only then runs, so that nothing it starts escapes the
// job (children of a process in a job are in the job). Each stage is also
// its own console process group, so that a CTRL_BREAK can reach it.
type group struct {
	mu     sync.Mutex
	job    windows.Handle
	pids   []uint32
	killed bool
	done   bool
}

func newGroup(*os.File) (*group, error) {
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return nil, os.NewSyscallError("CreateJobObject", err)
	}
	return &group{job: job}, nil
}

func (g *group) prepare(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{
		CreationFlags: windows.CREATE_NEW_PROCESS_GROUP | windows.CREATE_SUSPENDED,
	}
}

func (g *group) join(cmd *exec.Cmd) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	pid := uint32(cmd.Process.Pid)
	if err := winjob.Assign(g.job, pid); err != nil {
		return err
	}
	g.pids = append(g.pids, pid)
	if g.killed {
		windows.TerminateJobObject(g.job, 1)
		return nil
	}
	return winjob.Resume(pid)
}

func (g *group) live() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.pids) > 0 && !g.done
}

func (g *group) kill() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.killed = true
	if !g.done {
		windows.TerminateJobObject(g.job, 1)
	}
	return nil
}

func (g *group) signal(sig os.Signal) error {
	switch sig {
	case os.Kill:
		return g.kill()
	case os.Interrupt:
		g.mu.Lock()
		defer g.mu.Unlock()
		var errs []error
		for _, pid := range g.pids {
			// A new process group's id is its first process's pid.
			if err := windows.GenerateConsoleCtrlEvent(windows.CTRL_BREAK_EVENT, pid); err != nil {
				errs = append(errs, os.NewSyscallError("GenerateConsoleCtrlEvent", err))
			}
		}
		return errors.Join(errs...)
	}
	return errors.ErrUnsupported
}

// release closes the job. It does not kill what is left in it (the job
// has no JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE), as on Unix a finished
// pipeline leaves its stages' background children alone.
func (g *group) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.done = true
	windows.CloseHandle(g.job)
}

func exitCode(ps *os.ProcessState) (int, os.Signal)     { return ps.ExitCode(), nil }
func brokenPipe(_ Status, consumerEndedFirst bool) bool { return consumerEndedFirst }

// exitTime is the process's exit time from GetProcessTimes, which unlike
// the order in which waits return is not reordered by the scheduler (nor
// by Wine's server), though it ticks only every 15.6ms or so.
func exitTime(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.ExitTime.Nanoseconds()
	}
	return 0
}

// kills: both signals Windows has (ctrl-C, and os.Kill) end a process.
func kills(sig os.Signal) bool { return sig == os.Interrupt || sig == os.Kill }

// signalCode is the status a stage killed by sig before it ran gets: a
// Unix shell's for SIGINT (130) or SIGKILL (137), so scripts see the same.
func signalCode(sig os.Signal) int {
	if sig == os.Kill {
		return 128 + 9
	}
	return 128 + 2
}
