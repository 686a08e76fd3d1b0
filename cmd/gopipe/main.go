// Command gopipe is a busybox-style suite of pipe and FIFO tools that works
// the same on Unix and Windows: run it as `gopipe COMMAND ARG…`, or through
// a link named after the command (`gopipe --install DIR` makes them).
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/gopipe/gopipe/fifo"
)

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
	status, sig := runEnv(newEnv(context.Background(), os.Stdin, os.Stdout, os.Stderr), os.Args)
	if sig != nil {
		dieBy(sig)
	}
	os.Exit(status)
}
