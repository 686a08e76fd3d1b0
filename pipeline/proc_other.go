//go:build !unix && !windows

package pipeline

import (
	"errors"
	"os"
	"os/exec"
	"sync"
)

// The OSes gopipe does not target have no process groups: the group is
// the stages themselves.
type group struct {
	mu     sync.Mutex
	procs  []*os.Process
	killed bool
}

func newGroup(*os.File) (*group, error) { return &group{}, nil }
func (g *group) prepare(*exec.Cmd)      {}
func (g *group) release()               {}

func (g *group) join(cmd *exec.Cmd) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.procs = append(g.procs, cmd.Process)
	if g.killed {
		cmd.Process.Kill()
	}
	return nil
}

func (g *group) live() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.procs) > 0
}

func (g *group) kill() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.killed = true
	for _, p := range g.procs {
		p.Kill()
	}
	return nil
}

func (g *group) signal(sig os.Signal) error {
	if sig != os.Kill {
		return errors.ErrUnsupported
	}
	return g.kill()
}

func exitCode(ps *os.ProcessState) (int, os.Signal)     { return ps.ExitCode(), nil }
func brokenPipe(_ Status, consumerEndedFirst bool) bool { return consumerEndedFirst }

func exitTime(*os.ProcessState) int64 { return 0 }

func kills(sig os.Signal) bool { return sig == os.Interrupt || sig == os.Kill }

func signalCode(sig os.Signal) int {
	if sig == os.Kill {
		return 128 + 9
	}
	return 128 + 2
}
