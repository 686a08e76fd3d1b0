//go:build unix

package main

import (
	"os"
	"os/signal"
	"syscall"
)

// dieBy ends the process by sig, with its default action, so that the
// parent sees a death by signal (WIFSIGNALED), as with GNU tools. If the
// signal does not kill (it is blocked, say), main exits with the status.
func dieBy(sig os.Signal) {
	s, ok := sig.(syscall.Signal)
	if !ok {
		return
	}
	signal.Reset(s)
	syscall.Kill(os.Getpid(), s)
}
