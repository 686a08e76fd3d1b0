package cattee

import (
	"errors"
	"syscall"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command"
	"golang.org/x/sys/windows"
)

// isBrokenPipe tells whether err is a write to a pipe nobody reads: the
// reader has closed its end (ERROR_NO_DATA) or the pipe is gone
// (ERROR_BROKEN_PIPE).
func isBrokenPipe(err error) bool {
	return errors.Is(err, windows.ERROR_NO_DATA) || errors.Is(err, windows.ERROR_BROKEN_PIPE) ||
		errors.Is(err, syscall.EPIPE)
}

// dieOfSIGPIPE: Windows has no SIGPIPE to die by; tee exits with the status
// a Unix shell would report for it, so scripts see the same thing.
func dieOfSIGPIPE(*command.Env) int { return 128 + 13 }

// ignoreSIGPIPE: there is no SIGPIPE to ignore.
func ignoreSIGPIPE(*command.Env) {}

// watchPipes: Windows offers no readiness event for a pipe's reader going
// away without writing, so there broken pipes are found when written to
// (best effort, as the contract allows).
func watchPipes([]*teeOutput) (broken <-chan int, stop func()) { return nil, nil }
