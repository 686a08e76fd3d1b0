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

// The kernel functions a process sleeps in (its wchan) on a FIFO: opening
// it until the other end comes, reading an empty one, writing a full one
// (pipe_read and pipe_write; anon_pipe_read and anon_pipe_write since
// Linux 6.14).
const (
	wchanOpen  = "wait_for_partner"
	wchanRead  = "pipe_read"
	wchanWrite = "pipe_write"
)

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
	if err != nil {
		return u, &os.PathError{Op: "usage", Path: path, Err: err}
	}
	self := os.Getpid()
	names := map[int]string{}
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
		if len(mine) == 0 && proc.Wchan(pid) != wchanOpen {
			continue
		}
		p, err := proc.Get(pid)
		if err != nil {
			continue
		}
		up := Process{PID: pid, Command: p.Command, UID: p.UID, User: cachedUserName(names, p.UID)}
		if len(mine) == 0 {
			if sure, read, write, ok := opening(pid, dev, ino); ok {
				up.Sure, up.Read, up.Write, up.Waiting = sure, read, write, "open"
				u.Opening = append(u.Opening, up)
			}
			continue
		}
		for _, f := range mine {
			r, w := ends(proc.FileFlags(pid, f.FD))
			up.Read, up.Write = up.Read || r, up.Write || w
		}
		up.Waiting = waiting(pid, p.Wchan, mine, files)
		u.Holders = append(u.Holders, up)
		if u.Buffered < 0 {
			for _, f := range mine {
				if r, _ := ends(proc.FileFlags(pid, f.FD)); r {
					u.Buffered, u.Capacity = buffered(pid, f.FD, dev, ino)
					break
				}
			}
		}
	}
	return u, nil
}

// ends are the ends a descriptor with these open flags holds.
func ends(flags int) (read, write bool) {
	switch flags & unix.O_ACCMODE {
	case unix.O_RDONLY:
		return true, false
	case unix.O_WRONLY:
		return false, true
	case unix.O_RDWR:
		return true, true
	}
	return false, false
}

// opening tells, of pid blocked opening some FIFO, whether it is this one
// (dev, ino) and for which end. ok is false when it surely opens another;
// sure is false when which one cannot be read (no right to trace pid).
func opening(pid int, dev, ino uint64) (sure, read, write, ok bool) {
	sc, err := proc.BlockedIn(pid)
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
	switch {
	case filepath.IsAbs(name):
		name = base + "/root" + name
	case dirfd == unix.AT_FDCWD:
		name = base + "/cwd/" + name
	default:
		name = base + "/fd/" + strconv.Itoa(int(dirfd)) + "/" + name
	}
	var st unix.Stat_t
	if err := unix.Stat(name, &st); err != nil {
		return false, false, false, true
	}
	if uint64(st.Dev) != dev || st.Ino != ino {
		return false, false, false, false
	}
	read, write = ends(flags)
	return true, read, write, true
}

// waiting is what a holder of the FIFO (mine: its descriptors of it;
// files: all of them) is blocked in on it: a read or write on another pipe
// is not, so the descriptor is read from its system call where that may be
// read, or else inferred when it has no other pipe open that way.
func waiting(pid int, wchan string, mine, files []proc.File) string {
	var what string
	var read bool
	switch {
	case strings.HasSuffix(wchan, wchanRead):
		what, read = "read", true
	case strings.HasSuffix(wchan, wchanWrite):
		what = "write"
	default:
		return ""
	}
	if sc, err := proc.BlockedIn(pid); err == nil {
		fd := int(int32(sc.Args[0]))
		if sc.Nr == unix.SYS_SPLICE && !read {
			fd = int(int32(sc.Args[2])) // splice(fd_in, off_in, fd_out, ...)
		}
		for _, f := range mine {
			if f.FD == fd {
				return what
			}
		}
		return ""
	}
	for _, f := range files {
		if f.Mode&fs.ModeNamedPipe == 0 {
			continue
		}
		r, w := ends(proc.FileFlags(pid, f.FD))
		if f.Mode&fs.ModeNamedPipe != 0 && ((read && r) || (!read && w)) && !contains(mine, f) {
			return "" // it may wait on that one
		}
	}
	return what
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
// read end fd: opened through /proc, it is one more reader, and as one
// already exists no blocked writer's open can complete because of it.
func buffered(pid, fd int, dev, ino uint64) (n, capacity int) {
	f, err := unix.Open("/proc/"+strconv.Itoa(pid)+"/fd/"+strconv.Itoa(fd), unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, -1
	}
	defer unix.Close(f)
	var st unix.Stat_t
	// The descriptor may have been closed and its number reused.
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
