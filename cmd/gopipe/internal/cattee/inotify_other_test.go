//go:build unix && !linux

package cattee

import "testing"

// fifoOpened cannot watch opens without inotify: it says at once, and the
// test cancels before cat may have begun waiting, which it must survive
// too.
func fifoOpened(t *testing.T, name string) <-chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}
