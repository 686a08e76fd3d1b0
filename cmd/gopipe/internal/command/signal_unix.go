//go:build unix

package command

import (
	"os"
	"syscall"
)

// ForwardedSignals are the signals a command running others passes on.
var ForwardedSignals = []os.Signal{
	syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT,
	syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH,
}

// EndsWait reports whether sig, arriving while we wait (to open a FIFO,
// say), gives up the wait, as it would kill a shell's child waiting there.
func EndsWait(sig os.Signal) bool {
	switch sig {
	case syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT:
		return true
	}
	return false
}

// IsInterrupt tells the terminal's signals (ctrl-C, ctrl-\), after which a
// shell stops a list as bash does.
func IsInterrupt(sig os.Signal) bool { return sig == syscall.SIGINT || sig == syscall.SIGQUIT }

// StopSignals are those that ask a server to stop: ctrl-C, SIGTERM, and
// SIGHUP, which a closed terminal sends.
var StopSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP}
