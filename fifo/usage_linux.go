package fifo

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/gopipe/gopipe/internal/proc"
)

// The kernel functions a thread sleeps in (its wchan) on a FIFO: opening
// it until the other end comes, reading an empty one, writing a full one
// (pipe_read and pipe_write; anon_pipe_read and anon_pipe_write since
// Linux 6.14; pipe_wait_readable and pipe_wait_writable for splice).
const (
	wchanOpen = "wait_for_partner"
)

// waitOf is what a thread sleeping in wchan waits for on a pipe: "read",
// "write", "poll" (poll, select or epoll: on what, the wchan does not say),
// or "".
func waitOf(wchan string) string {
	switch {
	case strings.HasSuffix(wchan, "pipe_read"), wchan == "pipe_wait_readable":
		return "read"
	case strings.HasSuffix(wchan, "pipe_write"), wchan == "pipe_wait_writable":
		return "write"
	case strings.Contains(wchan, "poll"), strings.Contains(wchan, "select"), strings.Contains(wchan, "futex"):
		return "poll"
	}
	return ""
}

// threads are the threads of pid worth looking at: pid alone when its
// main thread sleeps in something that tells, else all of them (a Go
// program's main thread sleeps in a futex while another waits in open).
func threads(pid int, mainWchan string, holder bool) []int {
	if mainWchan == wchanOpen || (!holder && waitOf(mainWchan) != "poll") {
		return []int{pid}
	}
	if holder && waitOf(mainWchan) != "poll" && waitOf(mainWchan) != "" {
		return []int{pid}
	}
	ts, err := proc.Tasks(pid)
	if err != nil || len(ts) == 0 {
		return []int{pid}
	}
	return ts
}

func usageOf(path string) (Usage, error) {
	u := Usage{Buffered: -1, Capacity: -1}
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return u, &os.PathError{Op: "usage", Path: path, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFIFO {
		return u, &os.PathError{Op: "usage", Path: path, Err: fmt.Errorf("%w: it is a %s", ErrNotFIFO, kindOfMode(st.Mode))}
	}
	dev, ino := uint64(st.Dev), st.Ino
	pids, err := proc.PIDs()
	if err != nil || !procIsOurs() {
		// No /proc, or not this system's: nothing can be told.
		return u, &os.PathError{Op: "usage", Path: path, Err: fmt.Errorf("no /proc to read: %w", errors.ErrUnsupported)}
	}
	// hidepid: others' processes are not even listed.
	u.Partial = os.Geteuid() != 0 && !fileExists("/proc/1")
	self := os.Getpid()
	names := map[int]string{}
	polling := map[int]bool{} // holders with a thread in poll: waiting, on what unknown
	for _, pid := range pids {
		if pid == self {
			continue
		}
		files, err := proc.Files(pid)
		if errors.Is(err, fs.ErrPermission) {
			u.Partial = true
		}
		var mine []proc.File // its descriptors of this FIFO
		for _, f := range files {
			if f.Dev == dev && f.Ino == ino {
				mine = append(mine, f)
			}
		}
		mainWchan := proc.Wchan(pid)
		var up Process
		var read, write bool
		for _, f := range mine {
			r, w := proc.Ends(proc.FileFlags(pid, f.FD))
			read, write = read || r, write || w
		}
		holder := read || write
		// A thread blocked opening a FIFO: perhaps this one.
		opener := false
		if !holder {
			for _, tid := range threads(pid, mainWchan, false) {
				if tid != pid && proc.TaskWchan(pid, tid) != wchanOpen || tid == pid && mainWchan != wchanOpen {
					continue
				}
				if sure, r, w, ok := opening(pid, tid, dev, ino); ok {
					up.Sure, up.Read, up.Write, up.Waiting = sure, r, w, "open"
					opener = true
					break
				}
			}
			if !opener {
				continue
			}
		}
		p, err := proc.Get(pid)
		if err != nil {
			continue
		}
		up.PID, up.Command, up.UID, up.User = pid, p.Command, p.UID, cachedUserName(names, p.UID)
		if opener {
			u.Opening = append(u.Opening, up)
			continue
		}
		up.Read, up.Write, up.Sure = read, write, true
		var polls bool
		up.Waiting, polls = waiting(pid, mainWchan, mine, files)
		polling[len(u.Holders)] = polls
		u.Holders = append(u.Holders, up)
		if u.Buffered < 0 {
			for _, f := range mine {
				if r, _ := proc.Ends(proc.FileFlags(pid, f.FD)); r {
					u.Buffered, u.Capacity = buffered(pid, f.FD, dev, ino)
					break
				}
			}
		}
	}
	// A holder waiting in poll waits on this FIFO if that is what the pipe
	// makes it wait for: nothing to read, or no room to write.
	for i := range u.Holders {
		h := &u.Holders[i]
		if h.Waiting != "" || !polling[i] || u.Buffered < 0 {
			continue
		}
		switch {
		case h.Read && !h.Write && u.Buffered == 0:
			h.Waiting = "read"
		case h.Write && !h.Read && u.Capacity > 0 && u.Buffered > u.Capacity-pageSize:
			h.Waiting = "write"
		}
	}
	return u, nil
}

// pageSize is a pipe buffer's unit: a pipe is full when no whole page is
// left.
const pageSize = 4096

// procIsOurs tells whether /proc is this system's proc file system (not,
// say, an empty tmpfs mounted over it), by finding ourselves there.
func procIsOurs() bool {
	var st unix.Statfs_t
	if unix.Statfs("/proc", &st) != nil || st.Type != unix.PROC_SUPER_MAGIC {
		return false
	}
	return fileExists("/proc/" + strconv.Itoa(os.Getpid()))
}

// opening tells, of pid blocked opening some FIFO, whether it is this one
// (dev, ino) and for which end. ok is false when it surely opens another;
// sure is false when which one cannot be read (no right to trace pid).
func opening(pid, tid int, dev, ino uint64) (sure, read, write, ok bool) {
	sc, err := proc.TaskBlockedIn(pid, tid)
	if err != nil {
		return false, false, false, true
	}
	var dirfd int32
	var pathAddr uint64
	var flags int
	switch sc.Nr {
	case unix.SYS_OPENAT:
		dirfd, pathAddr, flags = int32(sc.Args[0]), sc.Args[1], int(sc.Args[2])
	case unix.SYS_OPENAT2:
		how, err := proc.Uint64(pid, sc.Args[2]) // struct open_how's first field: flags
		if err != nil {
			return false, false, false, true
		}
		dirfd, pathAddr, flags = int32(sc.Args[0]), sc.Args[1], int(how)
	default:
		if n, ok := sysOpen(); ok && sc.Nr == n {
			dirfd, pathAddr, flags = unix.AT_FDCWD, sc.Args[0], int(sc.Args[1])
			break
		}
		return false, false, false, true // an open the kernel calls otherwise
	}
	name, err := proc.CString(pid, pathAddr)
	if err != nil {
		return false, false, false, true
	}
	// The path as the process sees it: from its root, its working
	// directory, or the directory it opens relative to.
	base := "/proc/" + strconv.Itoa(pid)
	// /proc/self is whoever looks: the process's own, here. (gopipe opens
	// a FIFO it has pinned through /proc/self/fd/N.)
	for _, self := range []string{"/proc/self/", "/proc/thread-self/"} {
		if rest, ok := strings.CutPrefix(name, self); ok {
			if self == "/proc/thread-self/" {
				rest = "task/" + strconv.Itoa(tid) + "/" + rest
			}
			name = base + "/" + rest
			break
		}
	}
	switch {
	case strings.HasPrefix(name, base+"/"):
	case filepath.IsAbs(name):
		name = base + "/root" + name
	case dirfd == unix.AT_FDCWD:
		name = base + "/cwd/" + name
	default:
		name = base + "/fd/" + strconv.Itoa(int(dirfd)) + "/" + name
	}
	var st unix.Stat_t
	if err := unix.Stat(name, &st); err != nil {
		// Its path leads to nothing now, or to what we may not see:
		// not this FIFO, which exists, unless we could not look.
		return false, false, false, errors.Is(err, unix.EACCES)
	}
	if uint64(st.Dev) != dev || st.Ino != ino {
		return false, false, false, false
	}
	read, write = proc.Ends(flags)
	return true, read, write, true
}

// waiting is what a holder of the FIFO (mine: its descriptors of it;
// files: all of them) is blocked in on it, and whether a thread of its is
// in poll (which may be on it: usageOf decides from the pipe's fill). A
// read or write on another pipe is not on it: the descriptor is read from
// the thread's system call where that may be read, or else inferred when
// it has no other pipe open that way.
func waiting(pid int, mainWchan string, mine, files []proc.File) (what string, polls bool) {
	for _, tid := range threads(pid, mainWchan, true) {
		w := mainWchan
		if tid != pid {
			w = proc.TaskWchan(pid, tid)
		}
		if w == wchanOpen {
			// It holds an end and opens another (gopipe's cat holds a
			// non-blocking read end while it waits in open for a writer).
			return "open", polls
		}
		switch waitOf(w) {
		case "poll":
			polls = true
		case "read":
			if onThis(pid, tid, true, mine, files) {
				return "read", polls
			}
		case "write":
			if onThis(pid, tid, false, mine, files) {
				return "write", polls
			}
		}
	}
	return "", polls
}

// onThis tells whether thread tid's read (or write) is on one of mine.
func onThis(pid, tid int, read bool, mine, files []proc.File) bool {
	if sc, err := proc.TaskBlockedIn(pid, tid); err == nil {
		fd := int(int32(sc.Args[0]))
		if sc.Nr == unix.SYS_SPLICE && !read {
			fd = int(int32(sc.Args[2])) // splice(fd_in, off_in, fd_out, ...)
		}
		return contains(mine, proc.File{FD: fd})
	}
	for _, f := range files {
		if f.Mode&fs.ModeNamedPipe == 0 || contains(mine, f) {
			continue
		}
		r, w := proc.Ends(proc.FileFlags(pid, f.FD))
		if (read && r) || (!read && w) {
			return false // it may wait on that one
		}
	}
	return true
}

func contains(fs []proc.File, f proc.File) bool {
	for _, g := range fs {
		if g.FD == f.FD {
			return true
		}
	}
	return false
}

// buffered reads the bytes in the pipe and its capacity through pid's
// read end fd, duplicated from pid with pidfd_getfd: the holder's own open
// file, not a new open, so no writer blocked in open is released by it,
// even should every other reader go meanwhile. (Opening /proc/PID/fd/N
// would be a new reader, and its number may have been reused.) The right
// to do so is the right to trace pid; without it the count is unknown.
func buffered(pid, fd int, dev, ino uint64) (n, capacity int) {
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return -1, -1
	}
	defer unix.Close(pidfd)
	f, err := unix.PidfdGetfd(pidfd, fd, 0)
	if err != nil {
		return -1, -1
	}
	defer unix.Close(f)
	var st unix.Stat_t
	// The number may have been reused since it was listed.
	if unix.Fstat(f, &st) != nil || uint64(st.Dev) != dev || st.Ino != ino {
		return -1, -1
	}
	n, err = unix.IoctlGetInt(f, unix.TIOCINQ) // FIONREAD, as x/sys names it on Linux
	if err != nil {
		n = -1
	}
	capacity, err = unix.FcntlInt(uintptr(f), unix.F_GETPIPE_SZ, 0)
	if err != nil {
		capacity = -1
	}
	return n, capacity
}

// cachedUserName is userName(uid), remembered in names: a scan meets the
// same few users many times.
func cachedUserName(names map[int]string, uid int) string {
	n, ok := names[uid]
	if !ok {
		n = userName(uid)
		names[uid] = n
	}
	return n
}
