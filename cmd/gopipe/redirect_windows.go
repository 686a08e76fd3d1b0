package main

import (
	"context"
	"io"
	"os"
)

// The Windows console has ctrl-C and ctrl-Break, both os.Interrupt to Go.
var forwardedSignals = []os.Signal{os.Interrupt}

func endsWait(os.Signal) bool { return true }

// creack/pty has no ConPTY support.
const ptySupported = false

func osName() string { return "Windows" }

func redirectPTY(*env, context.Context, *redirectConfig, io.Reader, io.Writer, io.Writer, func(func(os.Signal))) int {
	panic("unreachable: no pty on Windows")
}

// Windows reports no deaths by signal.
func isInterrupt(os.Signal) bool { return false }
