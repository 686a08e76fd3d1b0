//go:build unix && !linux

package command

import "syscall"

// kernelDefault: only Linux lets us reach sigaction(2) without libc; the
// BSDs and Darwin keep Go's own handling.
func kernelDefault(syscall.Signal) bool { return false }
