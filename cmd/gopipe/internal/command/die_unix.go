//go:build unix

package command

import (
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// DieBy ends the process by sig, with its default action, so that the
// parent sees a death by signal (WIFSIGNALED), as with GNU tools. If the
// signal does not kill (it is blocked, say), it returns, and main exits with
// the status.
func DieBy(sig os.Signal) {
	s, ok := sig.(syscall.Signal)
	if !ok {
		return
	}
	signal.Reset(s)
	if kernelDefault(s) {
		syscall.Kill(os.Getpid(), s)
		return
	}
	if s == syscall.SIGPIPE {
		raiseSIGPIPE()
	}
	syscall.Kill(os.Getpid(), s)
}

// InitSignals sets the process up as a C program's is, for the signals Go
// would treat otherwise: SIGQUIT (ctrl-\) kills with its default action
// (status 131, as GNU's tools die), not with a dump of every goroutine and
// exit status 2. Commands that handle SIGQUIT themselves (redirect and run
// forward it) take it back with signal.Notify. main calls it first thing.
func InitSignals() { kernelDefault(syscall.SIGQUIT) }

// raiseSIGPIPE dies by SIGPIPE the one way Go's runtime allows. The runtime
// keeps its own SIGPIPE handler even after signal.Reset, and that handler
// drops a SIGPIPE sent with kill; what kills (as documented in os/signal) is
// a write to a broken pipe on fd 1 or 2. So it makes one: a pipe whose read
// end is closed takes the place of stdout, and a write to it kills. Nothing
// more was to be written to stdout anyway.
func raiseSIGPIPE() {
	r, w, err := os.Pipe()
	if err != nil {
		return
	}
	r.Close()
	if unix.Dup2(int(w.Fd()), 1) != nil {
		return
	}
	os.Stdout.Write([]byte{0})
}
