//go:build unix

package cattee

import (
	"os"

	"golang.org/x/sys/unix"
)

// waitClosed returns once f, the write end of a pipe or socket, has no
// reader any more (poll's POLLERR or POLLHUP, asked for nothing else).
func waitClosed(f *os.File) {
	fds := []unix.PollFd{{Fd: int32(f.Fd())}}
	for {
		n, err := unix.Poll(fds, -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil || (n > 0 && fds[0].Revents&(unix.POLLERR|unix.POLLHUP|unix.POLLNVAL) != 0) {
			return
		}
	}
}
