// Package proc reads what the OS tells of running processes: command
// lines, owners, open files, and where and in which system call each one
// sleeps. It observes and never acts: nothing here signals or traces a
// process, and the only files it opens are the OS's descriptions of them.
// Linux reads /proc; elsewhere every function returns an error wrapping
// errors.ErrUnsupported.
package proc

import "io/fs"

// Process is one process, as far as the caller may see it.
type Process struct {
	PID, PPID int
	UID       int
	// Command is its argument vector; a process that has not yet exec'd
	// (a shell's child opening a redirection) shows its parent's.
	Command []string
	// Wchan is the kernel function it sleeps in ("wait_for_partner",
	// "pipe_read"), or "" when it runs or the caller may not know.
	Wchan string
}

// File is one open file descriptor of a process.
type File struct {
	FD       int
	Dev, Ino uint64
	Mode     fs.FileMode // the file's type bits (fs.ModeNamedPipe, ...)
}

// Syscall is the system call a process is blocked in, with its arguments.
type Syscall struct {
	Nr   int
	Args [6]uint64
}

// PIDs lists the processes that exist now.
func PIDs() ([]int, error) { return pids() }

// Get describes process pid.
func Get(pid int) (Process, error) { return get(pid) }

// Files lists pid's open descriptors; another user's are an error
// wrapping fs.ErrPermission unless the caller is privileged. It reads only
// what identifies each file, to be cheap enough to call for every process;
// FileFlags and FileTarget tell more of one.
func Files(pid int) ([]File, error) { return files(pid) }

// FileFlags are the open flags of pid's descriptor fd (O_RDONLY, O_WRONLY,
// O_RDWR, ...), -1 if unknown.
func FileFlags(pid, fd int) int { return fileFlags(pid, fd) }

// Ends are the ends of a pipe that a descriptor opened with flags (as
// FileFlags gives them, or as an open is asked for) holds: none for an
// O_PATH descriptor (gopipe pins a FIFO it waits on with one; its access
// bits read as O_RDONLY, but it is no reader), none for unknown flags (-1).
func Ends(flags int) (read, write bool) { return ends(flags) }

// FileTarget is what pid's descriptor fd names: a path, "pipe:[INODE]",
// "socket:[INODE]"; "" if unknown.
func FileTarget(pid, fd int) string { return fileTarget(pid, fd) }

// Wchan is the kernel function pid sleeps in, "" if it runs or the caller
// may not know: cheaper than Get, for a scan.
func Wchan(pid int) string { return wchan(pid) }

// Tasks lists pid's threads (the first is pid itself).
func Tasks(pid int) ([]int, error) { return tasks(pid) }

// TaskWchan is Wchan of pid's thread tid.
func TaskWchan(pid, tid int) string { return taskWchan(pid, tid) }

// TaskBlockedIn is BlockedIn of pid's thread tid.
func TaskBlockedIn(pid, tid int) (Syscall, error) { return taskBlockedIn(pid, tid) }

// BlockedIn is the system call pid is blocked in. Reading it takes the
// right to trace pid (root, or the same user where Yama allows it); a
// process not in a system call is an error.
func BlockedIn(pid int) (Syscall, error) { return blockedIn(pid) }

// CString reads the NUL-terminated string at addr in pid's memory (a path
// a system call was given), with the same rights as BlockedIn.
func CString(pid int, addr uint64) (string, error) { return cString(pid, addr) }

// Uint64 reads the 8 bytes at addr in pid's memory, in the machine's order.
func Uint64(pid int, addr uint64) (uint64, error) { return readUint64(pid, addr) }

// IO is the bytes pid has read and written so far, through any descriptor
// (its rchar and wchar), with the right to trace it.
func IO(pid int) (read, written int64, err error) { return procIO(pid) }

// UnixSocket is one Unix domain socket the kernel knows, by inode.
type UnixSocket struct {
	Ino  uint64
	Peer uint64 // the inode of the other end, 0 if unconnected
	// Name is the address it is bound to (a path, or @name in the
	// abstract namespace), "" if none.
	Name string
}

// UnixSockets lists the Unix domain sockets of the caller's network
// namespace, with their peers: what joins two processes' socket
// descriptors.
func UnixSockets() (map[uint64]UnixSocket, error) { return unixSockets() }
