package remote

import "syscall"

// endWithParent has the kernel send ssh SIGTERM when the process that
// started it goes (Linux's parent-death signal).
func endWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
