//go:build !linux

package remote

import "syscall"

// endWithParent: only Linux has a parent-death signal; elsewhere ssh
// outlives a gopipe killed by a signal, until its connection breaks.
func endWithParent() *syscall.SysProcAttr { return nil }
