//go:build unix

package command

import (
	"os"

	"golang.org/x/sys/unix"
)

// IsTerminal tells whether f is a terminal: whether it has terminal
// attributes. (Control, not Fd, which would make f blocking.)
func IsTerminal(f *os.File) bool {
	rc, err := f.SyscallConn()
	if err != nil {
		return false
	}
	ok := false
	rc.Control(func(fd uintptr) {
		_, err := unix.IoctlGetTermios(int(fd), IoctlGetTermios)
		ok = err == nil
	})
	return ok
}

// TermWidth is the terminal f's width in columns, 80 if unknown.
func TermWidth(f *os.File) int {
	rc, err := f.SyscallConn()
	if err != nil {
		return 80
	}
	w := 80
	rc.Control(func(fd uintptr) {
		if ws, err := unix.IoctlGetWinsize(int(fd), unix.TIOCGWINSZ); err == nil && ws.Col > 0 {
			w = int(ws.Col)
		}
	})
	return w
}
