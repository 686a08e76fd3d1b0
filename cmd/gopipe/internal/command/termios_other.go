//go:build unix && !linux && !darwin && !dragonfly && !freebsd && !netbsd && !openbsd

package command

import "golang.org/x/sys/unix"

// The ioctls that get and set a terminal's attributes here.
const (
	IoctlGetTermios = unix.TCGETS
	IoctlSetTermios = unix.TCSETS
)
