package cattee

import (
	"testing"

	"golang.org/x/sys/unix"
)

// fifoOpened returns a channel that is closed when name is next opened,
// which for a FIFO means someone has begun to wait on it: inotify tells,
// so that tests need not sleep and hope.
func fifoOpened(t *testing.T, name string) <-chan struct{} {
	t.Helper()
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := unix.InotifyAddWatch(fd, name, unix.IN_OPEN); err != nil {
		unix.Close(fd)
		t.Fatal(err)
	}
	c := make(chan struct{})
	go func() {
		defer unix.Close(fd)
		buf := make([]byte, 4096)
		for {
			if _, err := unix.Read(fd, buf); err != unix.EINTR {
				break
			}
		}
		close(c)
	}()
	return c
}
