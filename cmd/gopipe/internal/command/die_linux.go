package command

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// kernelDefault gives sig the kernel's default action (SIG_DFL), under the
// Go runtime, which otherwise keeps a handler of its own: Go's "default"
// for SIGQUIT prints every goroutine's stack and exits 2, and it drops a
// SIGPIPE sent with kill. A zeroed sigaction is SIG_DFL, no flags, no mask,
// on every Linux architecture, whatever its layout.
func kernelDefault(sig syscall.Signal) bool {
	var act [4]uint64
	_, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&act)), 0, 8, 0, 0)
	return e == 0
}
