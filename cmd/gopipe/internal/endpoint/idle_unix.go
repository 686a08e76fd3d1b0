//go:build unix

package endpoint

import (
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// waitReadable blocks until c has data (or an end or error) to read,
// without a buffer, so that an idle client costs the server a parked
// goroutine and no more. It asks poll(2) rather than trusting a wake-up:
// the runtime may still hold a readiness that an earlier read consumed.
func waitReadable(c net.Conn) error {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc.Read(func(fd uintptr) bool {
		p := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(p, 0)
		return err != nil || n > 0
	})
}
