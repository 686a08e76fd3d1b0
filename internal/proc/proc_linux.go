package proc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

func pids() ([]int, error) { return numbered("/proc") }

// numbered lists the entries of dir named by a number: /proc's processes,
// a process's threads.
func numbered(dir string) ([]int, error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	var ns []int
	for _, n := range names {
		if v, err := strconv.Atoi(n); err == nil {
			ns = append(ns, v)
		}
	}
	return ns, nil
}

func get(pid int) (Process, error) {
	dir := "/proc/" + strconv.Itoa(pid)
	p := Process{PID: pid}
	status, err := os.ReadFile(dir + "/status")
	if err != nil {
		return p, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, _ := strings.Cut(line, ":")
		f := strings.Fields(v)
		switch {
		case k == "PPid" && len(f) > 0:
			p.PPID, _ = strconv.Atoi(f[0])
		case k == "Uid" && len(f) > 0:
			p.UID, _ = strconv.Atoi(f[0]) // the real uid, as ps shows it
		}
	}
	if b, err := os.ReadFile(dir + "/cmdline"); err == nil {
		for _, a := range bytes.Split(bytes.TrimSuffix(b, []byte{0}), []byte{0}) {
			p.Command = append(p.Command, string(a))
		}
	}
	if len(p.Command) == 1 && p.Command[0] == "" {
		p.Command = nil
	}
	if len(p.Command) == 0 {
		// A kernel thread, or a zombie: its name, as ps shows it.
		if b, err := os.ReadFile(dir + "/comm"); err == nil {
			p.Command = []string{"[" + strings.TrimSpace(string(b)) + "]"}
		}
	}
	p.Wchan = wchan(pid)
	return p, nil
}

func files(pid int) ([]File, error) {
	dir := "/proc/" + strconv.Itoa(pid) + "/fd"
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	// One stat each, relative to the open directory, and nothing more: a
	// scan of every process (gopipe info) must cost no more than fuser's.
	dfd := int(d.Fd())
	out := make([]File, 0, len(names))
	for _, n := range names {
		fd, err := strconv.Atoi(n)
		if err != nil {
			continue
		}
		var st unix.Stat_t
		// stat follows the magic link to the open file itself, as fuser
		// does: a FIFO's identity, even once renamed or removed.
		if err := unix.Fstatat(dfd, n, &st, 0); err != nil {
			continue // closed meanwhile
		}
		out = append(out, File{FD: fd, Dev: uint64(st.Dev), Ino: st.Ino, Mode: typeBits(st.Mode)})
	}
	return out, nil
}

func fileFlags(pid, fd int) int { return fdFlags(pid, strconv.Itoa(fd)) }

func fileTarget(pid, fd int) string {
	t, _ := os.Readlink("/proc/" + strconv.Itoa(pid) + "/fd/" + strconv.Itoa(fd))
	return t
}

func wchan(pid int) string { return readWchan("/proc/" + strconv.Itoa(pid) + "/wchan") }

func taskWchan(pid, tid int) string {
	return readWchan("/proc/" + strconv.Itoa(pid) + "/task/" + strconv.Itoa(tid) + "/wchan")
}

func tasks(pid int) ([]int, error) { return numbered("/proc/" + strconv.Itoa(pid) + "/task") }

func readWchan(path string) string {
	// "0" when the process runs, or when the caller may not know.
	var buf [64]byte
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	n, _ := f.Read(buf[:])
	if w := string(buf[:n]); w != "0" {
		return w
	}
	return ""
}

func typeBits(m uint32) fs.FileMode {
	switch m & unix.S_IFMT {
	case unix.S_IFIFO:
		return fs.ModeNamedPipe
	case unix.S_IFSOCK:
		return fs.ModeSocket
	case unix.S_IFDIR:
		return fs.ModeDir
	case unix.S_IFCHR:
		return fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFBLK:
		return fs.ModeDevice
	case unix.S_IFLNK:
		return fs.ModeSymlink
	}
	return 0
}

// fdFlags reads the open flags of pid's descriptor fd from fdinfo, in
// octal there; -1 if it cannot.
func fdFlags(pid int, fd string) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/fdinfo/" + fd)
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "flags:"); ok {
			if n, err := strconv.ParseInt(strings.TrimSpace(v), 8, 64); err == nil {
				return int(n)
			}
		}
	}
	return -1
}

func blockedIn(pid int) (Syscall, error) {
	return readSyscall("/proc/" + strconv.Itoa(pid) + "/syscall")
}

func taskBlockedIn(pid, tid int) (Syscall, error) {
	return readSyscall("/proc/" + strconv.Itoa(pid) + "/task/" + strconv.Itoa(tid) + "/syscall")
}

func readSyscall(path string) (Syscall, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Syscall{}, err
	}
	// "NR ARG1 ... ARG6 SP PC", or "running", or "-1 SP PC" outside a call.
	f := strings.Fields(string(b))
	if len(f) < 7 {
		return Syscall{}, &os.PathError{Op: "read", Path: path, Err: errors.New("not in a system call")}
	}
	var s Syscall
	if s.Nr, err = strconv.Atoi(f[0]); err != nil {
		return Syscall{}, &os.PathError{Op: "read", Path: path, Err: err}
	}
	for i := range s.Args {
		v, err := strconv.ParseUint(strings.TrimPrefix(f[i+1], "0x"), 16, 64)
		if err != nil {
			return Syscall{}, &os.PathError{Op: "read", Path: path, Err: err}
		}
		s.Args[i] = v
	}
	return s, nil
}

// readMem reads up to len(b) bytes at addr of pid's memory.
func readMem(pid int, addr uint64, b []byte) (int, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/mem")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if addr > 1<<63 {
		return 0, fmt.Errorf("address %#x: %w", addr, fs.ErrInvalid)
	}
	return f.ReadAt(b, int64(addr))
}

func cString(pid int, addr uint64) (string, error) {
	b := make([]byte, unix.PathMax)
	n, err := readMem(pid, addr, b)
	if i := bytes.IndexByte(b[:n], 0); i >= 0 {
		return string(b[:i]), nil
	}
	if err == nil {
		err = errors.New("no end to the string")
	}
	return "", err
}

func readUint64(pid int, addr uint64) (uint64, error) {
	var b [8]byte
	if _, err := readMem(pid, addr, b[:]); err != nil {
		return 0, err
	}
	return binary.NativeEndian.Uint64(b[:]), nil
}

func procIO(pid int) (read, written int64, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/io")
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, ": ")
		switch k {
		case "rchar":
			read, _ = strconv.ParseInt(v, 10, 64)
		case "wchar":
			written, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	return read, written, nil
}

func ends(flags int) (read, write bool) {
	if flags < 0 || flags&unix.O_PATH != 0 {
		return false, false
	}
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
