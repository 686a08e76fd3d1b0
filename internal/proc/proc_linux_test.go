package proc

import (
	"io/fs"
	"os"
	"slices"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

func TestSelf(t *testing.T) {
	pid := os.Getpid()
	p, err := Get(pid)
	if err != nil || p.PID != pid || p.PPID != os.Getppid() || p.UID != os.Getuid() || len(p.Command) == 0 || p.Command[0] != os.Args[0] {
		t.Fatalf("Get(self) = %+v, %v", p, err)
	}
	pids, err := PIDs()
	if err != nil || !slices.Contains(pids, pid) {
		t.Fatalf("PIDs lacks us: %v", err)
	}
	ts, err := Tasks(pid)
	if err != nil || !slices.Contains(ts, pid) {
		t.Fatalf("Tasks(self) = %v, %v", ts, err)
	}
	if _, _, err := IO(pid); err != nil {
		t.Errorf("IO(self): %v", err)
	}
}

func TestFilesOfAPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	files, err := Files(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	unix.Fstat(int(r.Fd()), &st)
	found := 0
	for _, f := range files {
		if f.Ino == st.Ino && f.Mode&fs.ModeNamedPipe != 0 {
			found++
			switch flags := FileFlags(os.Getpid(), f.FD) & unix.O_ACCMODE; {
			case f.FD == int(r.Fd()) && flags != unix.O_RDONLY, f.FD == int(w.Fd()) && flags != unix.O_WRONLY:
				t.Errorf("fd %d: flags %o", f.FD, flags)
			}
			if tgt := FileTarget(os.Getpid(), f.FD); tgt == "" || tgt[:5] != "pipe:" {
				t.Errorf("fd %d: target %q", f.FD, tgt)
			}
		}
	}
	if found != 2 {
		t.Errorf("found %d ends of our pipe, want 2", found)
	}
}

func TestCString(t *testing.T) {
	s := []byte("a path\x00")
	got, err := CString(os.Getpid(), uint64(uintptr(unsafe.Pointer(&s[0]))))
	if err != nil || got != "a path" {
		t.Fatalf("CString = %q, %v", got, err)
	}
}

func TestUnixSocketsPaired(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	var a, b unix.Stat_t
	unix.Fstat(fds[0], &a)
	unix.Fstat(fds[1], &b)
	socks, err := UnixSockets()
	if err != nil {
		t.Skipf("sock_diag: %v", err)
	}
	if s := socks[a.Ino]; s.Peer != b.Ino {
		t.Errorf("socket %d: peer %d, want %d", a.Ino, s.Peer, b.Ino)
	}
}
