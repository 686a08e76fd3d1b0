package main

import (
	"context"
	"errors"
	"os"
	"strings"
	"syscall"

	"golang.org/x/sys/windows"

	"github.com/gopipe/gopipe/fifo"
)

// openTeeOutput opens a FILE of tee's for writing: a named pipe given by
// its path (\\.\pipe\NAME, //./pipe/NAME) as a client, other names as GNU's
// fopen(NAME, "w" or "a") does.
func openTeeOutput(ctx context.Context, name string, appendMode bool) (*os.File, error) {
	if isPipePath(name) {
		return fifo.OpenWriter(ctx, name)
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if appendMode {
		flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
	}
	return os.OpenFile(name, flags, 0o666)
}

// isPipePath tells whether name is in the named-pipe namespace.
func isPipePath(name string) bool {
	return strings.HasPrefix(strings.ToLower(strings.ReplaceAll(name, "/", `\`)), `\\.\pipe\`)
}

// isBrokenPipe tells whether err is a write to a pipe nobody reads: the
// reader has closed its end (ERROR_NO_DATA) or the pipe is gone
// (ERROR_BROKEN_PIPE).
func isBrokenPipe(err error) bool {
	return errors.Is(err, windows.ERROR_NO_DATA) || errors.Is(err, windows.ERROR_BROKEN_PIPE) ||
		errors.Is(err, syscall.EPIPE)
}

// dieOfSIGPIPE: Windows has no SIGPIPE to die by; tee exits with the status
// a Unix shell would report for it, so scripts see the same thing.
func dieOfSIGPIPE(*env) int { return 128 + 13 }

// ignoreSIGPIPE: there is no SIGPIPE to ignore.
func ignoreSIGPIPE(*env) {}

// watchPipes: Windows offers no readiness event for a pipe's reader going
// away without writing, so there broken pipes are found when written to
// (best effort, as the contract allows).
func watchPipes([]*teeOutput) (broken <-chan int, stop func()) { return nil, nil }
