//go:build unix

package fifo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

func fifoPath(name string) string { return name }

func endpointPath(name string) string {
	switch {
	case isBare(name):
		return filepath.Join(runtimeDir(), name)
	case strings.HasPrefix(name, "@"):
		// Go's net package takes "@x" for an abstract socket address,
		// which has no permissions at all: keep it a path, absolute so
		// that no path made from it (filepath.Join cleans "./") is one.
		if abs, err := filepath.Abs(name); err == nil {
			return abs
		}
		return "./" + name
	}
	return name
}

// isBare tells a bare endpoint name (no slash) from a path.
func isBare(name string) bool { return name != "" && !strings.ContainsRune(name, '/') }

// runtimeDir is the private per-user directory for bare endpoint names:
// $XDG_RUNTIME_DIR is already private to the user and cleaned at logout;
// without it, a gopipe-UID directory in the temporary directory, which
// ensurePrivateDir checks before use since anyone may create it first.
func runtimeDir() string {
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "gopipe")
	}
	return filepath.Join(os.TempDir(), "gopipe-"+strconv.Itoa(os.Getuid()))
}

// ensurePrivateDir creates dir 0700 if it is missing, then checks it as
// checkPrivateDir does.
func ensurePrivateDir(op, dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return checkPrivateDir(op, dir)
}

// checkPrivateDir refuses dir unless it is a real directory (not a
// symlink) owned by us with no access for group or others: a directory
// planted by someone else would let them replace our sockets, or serve
// their own to our clients.
func checkPrivateDir(op, dir string) error {
	var st unix.Stat_t
	if err := unix.Lstat(dir, &st); err != nil {
		return &os.PathError{Op: op, Path: dir, Err: err}
	}
	switch {
	case st.Mode&unix.S_IFMT != unix.S_IFDIR:
		return &os.PathError{Op: op, Path: dir, Err: fmt.Errorf("private directory is a %s, not a directory: %w", kindOfMode(uint32(st.Mode)), fs.ErrPermission)}
	case int(st.Uid) != os.Geteuid():
		return &os.PathError{Op: op, Path: dir, Err: fmt.Errorf("private directory is owned by uid %d, not by you: %w", st.Uid, fs.ErrPermission)}
	case st.Mode&0o077 != 0:
		return &os.PathError{Op: op, Path: dir, Err: fmt.Errorf("private directory has mode %#o, which lets others in (want 0700): %w", st.Mode&0o777, fs.ErrPermission)}
	}
	return nil
}

func makeFIFO(name string, perm fs.FileMode) error {
	if err := unix.Mkfifo(name, uint32(perm)); err != nil {
		return &os.PathError{Op: "mkfifo", Path: name, Err: err}
	}
	// mkfifo(2) cuts the mode by the umask; the caller asked for perm
	// exactly, as GNU mkfifo -m does. The umask can only have removed
	// bits, so the FIFO was never more open than asked in between.
	if err := chmodFIFO(name, perm); err != nil {
		return &os.PathError{Op: "chmod", Path: name, Err: fmt.Errorf("%w: %w", ErrModeNotSet, err)}
	}
	return nil
}

func removeFIFO(name string) error {
	var st unix.Stat_t
	if err := unix.Lstat(name, &st); err != nil {
		return &os.PathError{Op: "remove", Path: name, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFIFO {
		return &os.PathError{Op: "remove", Path: name, Err: notFIFO(uint32(st.Mode))}
	}
	if err := unix.Unlink(name); err != nil {
		return &os.PathError{Op: "remove", Path: name, Err: err}
	}
	return nil
}

func runHolder() (bool, error) { return false, nil }

// errReplaced is the error of an open whose name came to refer to another
// file between the check and the open.
var errReplaced = errors.New("replaced while being opened")

// notFIFO explains what a file is instead of a FIFO.
func notFIFO(mode uint32) error {
	return fmt.Errorf("%w: it is a %s", ErrNotFIFO, kindOfMode(mode))
}

func openFIFO(ctx context.Context, name string, write bool) (*os.File, error) {
	if err := ctx.Err(); err != nil {
		return nil, ctxErr("open", name, ctx)
	}
	f, err := openFIFOOS(ctx, name, write)
	if err != nil {
		if _, ok := err.(*os.PathError); !ok {
			err = &os.PathError{Op: "open", Path: name, Err: err}
		}
		return nil, err
	}
	return f, nil
}

// lookupID resolves a user or group given by name or number, for
// AllowUsers and TrustServers.
func lookupID(s string) (uid, gid int, err error) {
	uid, gid = -1, -1
	if n, err := strconv.Atoi(s); err == nil && n >= 0 {
		return n, -1, nil
	}
	if u, err := user.Lookup(s); err == nil {
		n, _ := strconv.Atoi(u.Uid)
		return n, -1, nil
	}
	if g, err := user.LookupGroup(s); err == nil {
		n, _ := strconv.Atoi(g.Gid)
		return -1, n, nil
	}
	return -1, -1, fmt.Errorf("no such user or group %q", s)
}

// userName returns the name of uid, or the number when it has none.
func userName(uid int) string {
	id := strconv.Itoa(uid)
	if u, err := user.LookupId(id); err == nil {
		return u.Username
	}
	return id
}
