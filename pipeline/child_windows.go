package pipeline

import (
	"os"
	"strings"
)

// forChild has nothing to do here: the file is the child's as it is.
func forChild(f *os.File, err error) (*os.File, error) { return f, err }

// needsRelay tells a FIFO or named pipe from package fifo: an overlapped
// handle (so that we have deadlines), which a program doing synchronous
// I/O on its stdio cannot use. Handed to os/exec as a plain reader or
// writer instead, it is relayed through an anonymous pipe, and Wait waits
// for the relay to finish.
func needsRelay(f *os.File) bool {
	return strings.HasPrefix(strings.ToLower(f.Name()), `\\.\pipe\`)
}
