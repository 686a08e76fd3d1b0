//go:build unix

package fifo

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func modeOf(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode()
}

// The umask is process-wide: these tests do not run in parallel.
func withUmask(t *testing.T, mask int) {
	old := syscall.Umask(mask)
	t.Cleanup(func() { syscall.Umask(old) })
}

func TestMakeModes(t *testing.T) {
	for _, tc := range []struct {
		umask int
		perm  fs.FileMode
		want  fs.FileMode
	}{
		{0o022, DefaultMode, 0o600},
		{0o022, 0, 0},
		{0o077, 0o666, 0o666}, // exact: the umask does not cut it
		{0o022, 0o640, 0o640},
		{0o777, 0o600, 0o600},
		{0o000, 0o100, 0o100},
	} {
		// The last case's umask made the directory: under 777 it has no
		// permissions, which only root would ignore.
		dir := t.TempDir()
		os.Chmod(dir, 0o700)
		name := filepath.Join(dir, "f")
		withUmask(t, tc.umask)
		if err := Make(name, tc.perm); err != nil {
			t.Fatalf("Make(%o) under umask %03o: %v", tc.perm, tc.umask, err)
		}
		m := modeOf(t, name)
		if m.Type() != fs.ModeNamedPipe || m.Perm() != tc.want {
			t.Errorf("Make(%o) under umask %03o: mode %v, want fifo %v", tc.perm, tc.umask, m, tc.want)
		}
	}
}

// refuses checks that opening name either way fails with ErrNotFIFO and
// names the path.
func refuses(t *testing.T, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, write := range []bool{false, true} {
		var err error
		if write {
			_, err = OpenWriter(ctx, name)
		} else {
			_, err = OpenReader(ctx, name)
		}
		var pe *os.PathError
		if !errors.Is(err, ErrNotFIFO) || !errors.As(err, &pe) || pe.Path != name {
			t.Errorf("open (write=%v) of %s: %v, want ErrNotFIFO naming it", write, name, err)
		}
	}
}

func TestRefuseSymlinkToFIFO(t *testing.T) {
	target := newFIFO(t)
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	refuses(t, link)
}

func TestRefuseRegularFile(t *testing.T) {
	name := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(name, []byte("data"), 0o600); err != nil {
		t.Fatal(err)
	}
	refuses(t, name)
	if err := Remove(name); !errors.Is(err, ErrNotFIFO) {
		t.Errorf("Remove of a regular file: %v, want ErrNotFIFO", err)
	}
	if _, err := os.Stat(name); err != nil {
		t.Errorf("Remove removed a regular file: %v", err)
	}
}

func TestRefuseDirectory(t *testing.T) { refuses(t, t.TempDir()) }

func TestOpenWriterCancel(t *testing.T) {
	checkNoLeak(t)
	name := newFIFO(t)
	ctx, cancel := context.WithCancel(context.Background())
	ch := openAsync(ctx, name, true)
	cancel()
	r := <-ch
	if r.err == nil {
		r.f.Close()
		t.Fatal("OpenWriter succeeded with no reader")
	}
	if !errors.Is(r.err, context.Canceled) {
		t.Fatalf("OpenWriter: %v, want context.Canceled", r.err)
	}
}

func TestOpenWriterDeadline(t *testing.T) {
	checkNoLeak(t)
	name := newFIFO(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := OpenWriter(ctx, name)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("OpenWriter: %v, want os.ErrDeadlineExceeded", err)
	}
}

// A pending open survives its FIFO being unlinked (and can still be
// cancelled): it holds the inode, not the name.
func TestOpenAfterUnlink(t *testing.T) {
	checkNoLeak(t)
	name := newFIFO(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	w, err := func() (*os.File, error) {
		rc := openAsync(ctx, name, false)
		w, err := OpenWriter(ctx, name)
		if err != nil {
			return nil, err
		}
		os.Remove(name)
		w.Write([]byte("after unlink"))
		w.Close()
		r := <-rc
		if r.err != nil {
			return nil, r.err
		}
		defer r.f.Close()
		got, err := io.ReadAll(r.f)
		if string(got) != "after unlink" {
			t.Errorf("read %q", got)
		}
		return nil, err
	}()
	if err != nil || w != nil {
		t.Fatal(err)
	}
}

func TestWriterGetsEPIPEWhenReaderGone(t *testing.T) {
	r, w := openPair(t)
	r.Close()
	_, err := w.Write([]byte("x"))
	if !errors.Is(err, syscall.EPIPE) {
		t.Fatalf("write with the reader gone: %v, want EPIPE", err)
	}
}

func TestRemove(t *testing.T) {
	name := filepath.Join(t.TempDir(), "f")
	if err := Make(name, DefaultMode); err != nil {
		t.Fatal(err)
	}
	if err := Remove(name); err != nil {
		t.Fatal(err)
	}
	if err := Remove(name); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("second Remove: %v, want fs.ErrNotExist", err)
	}
}

func TestHalfCloseByteMode(t *testing.T) { testHalfClose(t, nil) }

func TestSocketModes(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	withUmask(t, 0)
	name := randomName("ep")
	l, err := Listen(name, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	path := EndpointPath(name)
	if m := modeOf(t, path); m.Type() != fs.ModeSocket || m.Perm() != 0o600 {
		t.Errorf("socket mode %v, want socket 0600", m)
	}
	if m := modeOf(t, filepath.Dir(path)); m.Perm() != 0o700 {
		t.Errorf("socket directory mode %v, want 0700", m)
	}
	if l.Addr().String() != path {
		t.Errorf("Addr %s, want %s", l.Addr(), path)
	}
	// A bare name meets from any working directory.
	c := dialT(t, name, nil)
	c.Close()
	l.Close()
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("socket left behind after Close: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 0 {
		t.Errorf("left in the directory: %v", entries)
	}
}

func TestPrivateDirRefusedWhenOpen(t *testing.T) {
	base := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", base)
	if err := os.Mkdir(filepath.Join(base, "gopipe"), 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(base, "gopipe"), 0o777)
	_, err := Listen("x", nil)
	if !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("Listen in a world-writable directory: %v, want fs.ErrPermission", err)
	}
}

func TestStaleSocketReplaced(t *testing.T) {
	name := endpointName(t)
	// A socket whose server died: bound, then closed without unlinking.
	stale, err := net.ListenUnix("unix", &net.UnixAddr{Name: name, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	stale.SetUnlinkOnClose(false)
	stale.Close()
	l, err := Listen(name, nil)
	if err != nil {
		t.Fatalf("Listen over a stale socket: %v", err)
	}
	defer l.Close()
	wg := echo(l)
	defer wg.Wait()
	defer l.Close()
	c := dialT(t, name, nil)
	c.Close()
}

func TestListenOverFileRefused(t *testing.T) {
	name := endpointName(t)
	os.WriteFile(name, []byte("precious"), 0o600)
	_, err := Listen(name, nil)
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("Listen over a regular file: %v, want fs.ErrExist", err)
	}
	if b, _ := os.ReadFile(name); string(b) != "precious" {
		t.Fatal("Listen clobbered a regular file")
	}
}

func TestDialRefusesSymlink(t *testing.T) {
	l, name := listenT(t, nil)
	defer l.Close()
	link := name + "-link"
	if err := os.Symlink(name, link); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := Dial(ctx, link, nil); err == nil {
		t.Fatal("Dial followed a symlink")
	}
}

func TestMaxInstances(t *testing.T) {
	l, name := listenT(t, &Config{MaxInstances: 1})
	defer l.Close()
	accepted := make(chan net.Conn, 2)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	c1 := dialT(t, name, nil)
	defer c1.Close()
	s1 := <-accepted
	c2 := dialT(t, name, nil) // waits in the backlog
	defer c2.Close()
	select {
	case <-accepted:
		t.Fatal("a second client was accepted over MaxInstances 1")
	case <-time.After(100 * time.Millisecond):
	}
	s1.Close()
	select {
	case s2 := <-accepted:
		s2.Close()
	case <-time.After(10 * time.Second):
		t.Fatal("the waiting client was not accepted once a slot freed")
	}
}

func TestMessageBoundaries(t *testing.T) {
	cfg := &Config{MessageMode: true}
	l, name := listenT(t, cfg)
	if packetNetwork == "" {
		t.Skip("no message mode on this OS")
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		c.Write([]byte("one"))
		c.Write([]byte("two"))
		c.Close()
	}()
	c := dialT(t, name, cfg)
	defer c.Close()
	buf := make([]byte, 100)
	for _, want := range []string{"one", "two"} {
		n, err := c.Read(buf)
		if err != nil || string(buf[:n]) != want {
			t.Fatalf("read %q, %v; want %q", buf[:n], err, want)
		}
	}
}

func TestInspectAndList(t *testing.T) {
	dir := t.TempDir()
	if err := Make(filepath.Join(dir, "b-fifo"), 0o640); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "a-file"), nil, 0o600)
	l, err := Listen(filepath.Join(dir, "c-sock"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	infos, err := List(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 2 || infos[0].Name != "b-fifo" || infos[0].Kind != KindFIFO || infos[0].Mode != 0o640 ||
		infos[1].Name != "c-sock" || infos[1].Kind != KindSocket || infos[1].Mode != 0o600 {
		t.Fatalf("List: %+v", infos)
	}
	info, err := Inspect(filepath.Join(dir, "b-fifo"))
	if err != nil || info.Kind != KindFIFO || info.Owner == "" || info.OwnerID == "" {
		t.Fatalf("Inspect: %+v, %v", info, err)
	}
	if _, err := Inspect(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Inspect of a missing name: %v", err)
	}
}

// A socket path longer than sun_path holds is refused where it is given,
// by Listen and by Dial alike, naming the limit; one that fits is served
// even when the temporary sibling Listen binds first would not fit.
func TestSocketPathLimit(t *testing.T) {
	dir, err := os.MkdirTemp("", "gp")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	long := filepath.Join(dir, strings.Repeat("a", maxSocketPath))
	if l, err := Listen(long, nil); err == nil || !errors.Is(err, fs.ErrInvalid) || !strings.Contains(err.Error(), strconv.Itoa(maxSocketPath)) {
		if l != nil {
			l.Close()
		}
		t.Errorf("Listen of a %d-byte path: %v", len(long), err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := Dial(ctx, long, nil); err == nil || !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("Dial of a %d-byte path: %v", len(long), err)
	}
	fits := filepath.Join(dir, strings.Repeat("b", maxSocketPath-len(dir)-1))
	if len(fits) != maxSocketPath {
		t.Fatalf("path of %d bytes", len(fits))
	}
	l, err := Listen(fits, nil)
	if runtime.GOOS != "linux" {
		// Only Linux can bind the longer temporary sibling by a short
		// path; elsewhere it is refused, with the same clear error.
		if err == nil {
			l.Close()
		}
		return
	}
	if err != nil {
		t.Fatalf("Listen of a %d-byte path: %v", len(fits), err)
	}
	defer l.Close()
	wg := echo(l)
	defer wg.Wait()
	defer l.Close()
	c := dialT(t, fits, nil)
	defer c.Close()
	c.Write([]byte("fits"))
	got := make([]byte, 4)
	if _, err := io.ReadFull(c, got); err != nil || string(got) != "fits" {
		t.Fatalf("%q %v", got, err)
	}
}

// Other users cannot reach a bare name's private directory, so allowing
// them on one is refused rather than silently doing nothing.
func TestAllowUsersNeedsSocketPath(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	l, err := Listen(randomName("gp"), &Config{AllowUsers: []string{"nobody"}})
	if err == nil {
		l.Close()
		t.Fatal("Listen with AllowUsers on a bare name succeeded")
	}
	if !errors.Is(err, fs.ErrInvalid) || !strings.Contains(err.Error(), "socket path") {
		t.Fatalf("unclear error: %v", err)
	}
}

// A name starting with @ stays a path: Go would take it for an abstract
// socket address, which has no permissions at all.
func TestAtNameIsAPath(t *testing.T) {
	chdir(t, t.TempDir())
	os.Mkdir("@x", 0o700)
	l, err := Listen("@x/s", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if fi, err := os.Lstat("@x/s"); err != nil || fi.Mode()&fs.ModeSocket == 0 {
		t.Fatalf("no socket file at @x/s: %v %v", fi, err)
	}
}

// Writing to a socket fails as GNU tee's open does, with ENXIO ("No such
// device or address"), not as a FIFO that went away.
func TestOpenFileWriterSocket(t *testing.T) {
	l, name := listenT(t, nil)
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, flag := range []int{os.O_WRONLY | os.O_CREATE | os.O_TRUNC, os.O_RDONLY} {
		if f, err := OpenFile(ctx, name, flag, 0o666); !errors.Is(err, syscall.ENXIO) {
			if f != nil {
				f.Close()
			}
			t.Errorf("OpenFile(socket, %#x): %v, want ENXIO", flag, err)
		}
	}
}
