//go:build !linux

package proc

import (
	"errors"
	"fmt"
)

func unsupported(what string) error {
	return fmt.Errorf("proc: %s on this OS: %w", what, errors.ErrUnsupported)
}

func pids() ([]int, error)                        { return nil, unsupported("listing processes") }
func get(int) (Process, error)                    { return Process{}, unsupported("reading a process") }
func files(int) ([]File, error)                   { return nil, unsupported("listing a process's files") }
func blockedIn(int) (Syscall, error)              { return Syscall{}, unsupported("reading a system call") }
func cString(int, uint64) (string, error)         { return "", unsupported("reading a process's memory") }
func readUint64(int, uint64) (uint64, error)      { return 0, unsupported("reading a process's memory") }
func fileFlags(int, int) int                      { return -1 }
func fileTarget(int, int) string                  { return "" }
func wchan(int) string                            { return "" }
func procIO(int) (int64, int64, error)            { return 0, 0, unsupported("reading a process's I/O") }
func unixSockets() (map[uint64]UnixSocket, error) { return nil, unsupported("listing sockets") }
func tasks(int) ([]int, error)                    { return nil, unsupported("listing threads") }
func taskWchan(int, int) string                   { return "" }
func taskBlockedIn(int, int) (Syscall, error)     { return Syscall{}, unsupported("reading a system call") }
func ends(int) (bool, bool)                       { return false, false }
