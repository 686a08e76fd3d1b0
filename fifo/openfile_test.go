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
	"strings"
	"testing"
	"time"
)

// What a NAME means to OpenFile, the same table on every OS where the OSes
// allow it (docs/design.md, "What a NAME means"); the cases that differ by
// OS say so. Each case makes its name, then opens it for reading and
// writing and checks what the two ends reached.
func TestOpenFileNames(t *testing.T) {
	type setup func(t *testing.T, dir string) (name string, check func(t *testing.T))
	const (
		reachesFIFO = "the FIFO"
		reachesFile = "a file"
		missing     = "nothing"
	)
	cases := []struct {
		name  string
		make  setup
		wants string
		os    string // "" for every OS
	}{
		{"made by Make", func(t *testing.T, dir string) (string, func(*testing.T)) {
			return newFIFO(t), nil
		}, reachesFIFO, ""},
		// A FIFO at a path: a real FIFO on Unix, a marker file on Windows
		// that names the pipe (docs/design.md, "FIFOs at a path").
		{"path made by Make", func(t *testing.T, dir string) (string, func(*testing.T)) {
			return makeAt(t, filepath.Join(dir, "sub", "f")), nil
		}, reachesFIFO, ""},
		{"relative path with slashes made by Make", func(t *testing.T, dir string) (string, func(*testing.T)) {
			chdir(t, dir)
			return makeAt(t, "sub/f"), nil
		}, reachesFIFO, ""},
		{"relative path made by Make, opened with backslashes", func(t *testing.T, dir string) (string, func(*testing.T)) {
			chdir(t, dir)
			makeAt(t, "sub/f")
			return `sub\f`, nil
		}, reachesFIFO, "windows"},
		{"symlink to a FIFO at a path", func(t *testing.T, dir string) (string, func(*testing.T)) {
			target := makeAt(t, filepath.Join(dir, "sub", "f"))
			link := filepath.Join(dir, "link")
			if err := os.Symlink(target, link); err != nil {
				t.Skipf("no symlinks here: %v", err)
			}
			if _, err := os.Stat(link); err != nil {
				t.Skipf("the OS does not follow the symlink it made (Wine does not): %v", err)
			}
			return link, nil
		}, reachesFIFO, ""},
		{"regular file", func(t *testing.T, dir string) (string, func(*testing.T)) {
			name := filepath.Join(dir, "file")
			return name, func(t *testing.T) {
				if b, _ := os.ReadFile(name); string(b) != "data" {
					t.Errorf("file holds %q", b)
				}
			}
		}, reachesFile, ""},
		{"missing", func(t *testing.T, dir string) (string, func(*testing.T)) {
			return filepath.Join(dir, "missing"), nil
		}, missing, ""},
		{"symlink to a FIFO (followed, as GNU does)", func(t *testing.T, dir string) (string, func(*testing.T)) {
			target := newFIFO(t)
			link := filepath.Join(dir, "link")
			if err := os.Symlink(target, link); err != nil {
				t.Fatal(err)
			}
			return link, nil
		}, reachesFIFO, "unix"},
		{"pipe path with backslashes", func(t *testing.T, dir string) (string, func(*testing.T)) {
			return `\\.\pipe\` + newFIFO(t), nil
		}, reachesFIFO, "windows"},
		{"pipe path with slashes, any case", func(t *testing.T, dir string) (string, func(*testing.T)) {
			return `//./PIPE/` + newFIFO(t), nil
		}, reachesFIFO, "windows"},
		{"bare name, file in the current directory wins", func(t *testing.T, dir string) (string, func(*testing.T)) {
			name := newFIFO(t)
			chdir(t, dir)
			if err := os.WriteFile(name, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			return name, func(t *testing.T) {
				if b, _ := os.ReadFile(name); string(b) != "data" {
					t.Errorf("file holds %q", b)
				}
			}
		}, reachesFile, "windows"},
		{"bare name without a pipe is a file", func(t *testing.T, dir string) (string, func(*testing.T)) {
			chdir(t, dir)
			return randomName("gopipe-nopipe-"), nil
		}, missing, "windows"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.os == "windows" && runtime.GOOS != "windows" || c.os == "unix" && runtime.GOOS == "windows" {
				t.Skipf("%s only", c.os)
			}
			name, check := c.make(t, scratchDir(t))
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			switch c.wants {
			case missing:
				if _, err := OpenFile(ctx, name, os.O_RDONLY, 0); !errors.Is(err, fs.ErrNotExist) {
					t.Fatalf("read: %v, want fs.ErrNotExist", err)
				}
				w, err := OpenFile(ctx, name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
				if err != nil {
					t.Fatalf("write creates a file: %v", err)
				}
				w.Close()
				if fi, err := os.Stat(name); err != nil || !fi.Mode().IsRegular() {
					t.Fatalf("after writing: %v %v", fi, err)
				}
			case reachesFile:
				w, err := OpenFile(ctx, name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
				if err != nil {
					t.Fatal(err)
				}
				w.Write([]byte("data"))
				w.Close()
				r, err := OpenFile(ctx, name, os.O_RDONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(r)
				r.Close()
				if string(b) != "data" {
					t.Fatalf("read %q", b)
				}
			case reachesFIFO:
				// A reader through OpenFile meets a writer through
				// OpenFile, in either order of opening.
				rc := make(chan openResult, 1)
				go func() {
					f, err := OpenFile(ctx, name, os.O_RDONLY, 0)
					rc <- openResult{f, err}
				}()
				w, err := OpenFile(ctx, name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
				if err != nil {
					t.Fatal(err)
				}
				w.Write([]byte("data"))
				w.Close()
				r := <-rc
				if r.err != nil {
					t.Fatal(r.err)
				}
				b, _ := io.ReadAll(r.f)
				r.f.Close()
				if string(b) != "data" {
					t.Fatalf("read %q", b)
				}
				if runtime.GOOS != "windows" {
					if fi, err := os.Lstat(name); err != nil || fi.Mode().IsRegular() {
						t.Fatalf("a file was made in the FIFO's place: %v %v", fi, err)
					}
				}
			}
			if check != nil {
				check(t)
			}
		})
	}
}

// makeAt makes a FIFO at the path name, in a directory made for it, and
// removes it after the test.
func makeAt(t *testing.T, name string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := Make(name, DefaultMode); err != nil {
		t.Fatalf("Make(%q): %v", name, err)
	}
	t.Cleanup(func() { Remove(name) })
	return name
}

// Two FIFOs of one name in different directories are two FIFOs, on every
// OS (on Windows, where a bare NAME is global, their pipes differ).
func TestFIFOsAtPathsAreApart(t *testing.T) {
	dir := scratchDir(t)
	a := makeAt(t, filepath.Join(dir, "a", "f"))
	b := makeAt(t, filepath.Join(dir, "b", "f"))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, name := range []string{a, b} {
		rc := make(chan openResult, 1)
		go func() {
			f, err := OpenFile(ctx, name, os.O_RDONLY, 0)
			rc <- openResult{f, err}
		}()
		w, err := OpenFile(ctx, name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(name))
		w.Close()
		r := <-rc
		if r.err != nil {
			t.Fatal(r.err)
		}
		got, _ := io.ReadAll(r.f)
		r.f.Close()
		if string(got) != name {
			t.Errorf("%s: read %q", name, got)
		}
	}
	ia, err := Inspect(a)
	if err != nil {
		t.Fatal(err)
	}
	ib, err := Inspect(b)
	if err != nil {
		t.Fatal(err)
	}
	if ia.Path == ib.Path {
		t.Errorf("both FIFOs are %s", ia.Path)
	}
	if runtime.GOOS == "windows" && (ia.Kind != KindGopipeFIFO || !strings.HasPrefix(ia.Path, `\\.\pipe\gopipe-fifo-`)) {
		t.Errorf("Inspect(%q) = %+v, want a gopipe FIFO with its pipe as Path", a, ia)
	}
	for _, name := range []string{a, b} {
		if err := Remove(name); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Lstat(name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("after Remove(%q): %v", name, err)
		}
		if _, err := Inspect(name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Inspect after Remove(%q): %v", name, err)
		}
	}
}

// scratchDir is a fresh directory, removed after the test as far as the
// OS lets it: not t.TempDir, whose cleanup fails the test under Wine, which
// cannot delete its files ("Invalid function").
func scratchDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "gopipe-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// chdir changes the working directory for the rest of the test.
func chdir(t *testing.T, dir string) {
	t.Helper()
	old, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chdir(old) })
}

// OpenFile's wait for a FIFO's other end ends with its context, for a
// reader and a writer, leaving nothing behind.
func TestOpenFileCancel(t *testing.T) {
	checkNoLeak(t)
	write := runtime.GOOS != "windows" // a Windows writer does not wait
	// A FIFO by its name, and one at a path (on Windows, through its
	// marker).
	for _, name := range []string{newFIFO(t), makeAt(t, filepath.Join(scratchDir(t), "sub", "f"))} {
		for _, flag := range []int{os.O_RDONLY, os.O_WRONLY | os.O_CREATE | os.O_TRUNC} {
			if flag != os.O_RDONLY && !write {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			_, err := OpenFile(ctx, name, flag, 0o600)
			cancel()
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("%s, flag %#x: %v, want os.ErrDeadlineExceeded", name, flag, err)
			}
			var pe *os.PathError
			if !errors.As(err, &pe) {
				t.Errorf("%s, flag %#x: %T is no *os.PathError", name, flag, err)
			}
		}
	}
}

// The Config contract is checked the same way on every OS: negative sizes
// and counts are fs.ErrInvalid for Listen and Dial alike.
func TestConfigValidatedEverywhere(t *testing.T) {
	for _, cfg := range []Config{
		{InputBufferSize: -1}, {OutputBufferSize: -1}, {MaxInstances: -1},
		{PendingInstances: -1}, {CloseTimeout: -time.Second},
	} {
		name := endpointName(t)
		if l, err := Listen(name, &cfg); !errors.Is(err, fs.ErrInvalid) {
			if l != nil {
				l.Close()
			}
			t.Errorf("Listen with %+v: %v, want fs.ErrInvalid", cfg, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if c, err := Dial(ctx, name, &cfg); !errors.Is(err, fs.ErrInvalid) {
			if c != nil {
				c.Close()
			}
			t.Errorf("Dial with %+v: %v, want fs.ErrInvalid", cfg, err)
		}
		cancel()
	}
	// A security descriptor is a Windows pipe's only.
	l, err := Listen(endpointName(t), &Config{SDDL: "D:P(A;;GA;;;SY)"})
	if runtime.GOOS == "windows" {
		if err != nil {
			t.Errorf("Listen with an SDDL: %v", err)
		} else {
			l.Close()
		}
	} else if !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Listen with an SDDL on %s: %v, want errors.ErrUnsupported", runtime.GOOS, err)
	}
}

// A closed listener fails alike on every OS: Accept and a second Close
// return an *os.PathError naming the endpoint, wrapping net.ErrClosed.
func TestClosedListenerErrors(t *testing.T) {
	l, _ := listenT(t, nil)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	for op, err := range map[string]error{"accept": func() error { _, err := l.Accept(); return err }(), "close": l.Close()} {
		var pe *os.PathError
		if !errors.As(err, &pe) || !errors.Is(err, net.ErrClosed) || pe.Op != op || pe.Path == "" {
			t.Errorf("%s on a closed listener: %#v, want *os.PathError{Op: %q} wrapping net.ErrClosed", op, err, op)
		}
	}
}

// Errors are the same type with the same Op on every OS: callers may rely
// on *os.PathError and the sentinels, never on the text.
func TestErrorOps(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	missing := filepath.Join(scratchDir(t), "missing")
	if runtime.GOOS == "windows" {
		missing = randomName("gopipe-missing-")
	}
	_, errR := OpenReader(ctx, missing)
	_, errW := OpenWriter(ctx, missing)
	_, errF := OpenFile(ctx, missing, os.O_RDONLY, 0)
	_, errD := Dial(ctx, missing, nil)
	for _, c := range []struct {
		what string
		err  error
		op   string
	}{
		{"OpenReader", errR, "open"}, {"OpenWriter", errW, "open"}, {"OpenFile", errF, "open"},
		{"Dial", errD, "dial"}, {"Remove", Remove(missing), "remove"},
	} {
		var pe *os.PathError
		if !errors.As(c.err, &pe) || pe.Op != c.op || !errors.Is(c.err, fs.ErrNotExist) {
			t.Errorf("%s of a missing name: %#v, want *os.PathError{Op: %q} wrapping fs.ErrNotExist", c.what, c.err, c.op)
		}
	}
}
