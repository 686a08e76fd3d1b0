// Command gopipe is a busybox-style suite of pipe and FIFO tools that works
// the same on Unix and Windows: run it as `gopipe COMMAND ARG…`, or through
// a link named after the command (`gopipe --install DIR` makes them).
//
// This package is the program's spine and nothing more: the command table
// (app.go), dispatch, and what is gopipe's own (--install, --man,
// --completion). The shared plumbing is internal/command; each command, or
// family of commands, is a package of its own under internal/.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command"
	"github.com/gopipe/gopipe/fifo"
	"github.com/gopipe/gopipe/pipeline"
)

// execStage is how a command may replace the process (command.Env's
// ExecStage): set only here in main, which owns the process, and not in
// tests, which run commands in theirs.
var execStage func(pipeline.Stage) pipeline.Status

func main() {
	// On Windows `mkfifo` starts a copy of this program to hold the pipe
	// open; that copy serves the FIFO here and exits.
	if held, err := fifo.RunHolder(); held {
		if err != nil {
			fmt.Fprintf(os.Stderr, "gopipe: fifo holder: %v\n", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	command.InitSignals()
	execStage = pipeline.Exec
	status, sig := program(context.Background(), os.Args, os.Stdin, os.Stdout, os.Stderr)
	if sig != nil {
		command.DieBy(sig)
	}
	os.Exit(status)
}
