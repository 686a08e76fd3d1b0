//go:build unix

package command

import "syscall"

// Umask reads the umask, which can only be read by setting it: it
// is put back at once, before any file is made.
func Umask() uint32 {
	m := syscall.Umask(0)
	syscall.Umask(m)
	return uint32(m)
}
