//go:build unix

package fifo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// errInUse is the error of Listen on a socket a live server answers on.
type inUseError struct{}

func (inUseError) Error() string        { return "address already in use by a running server" }
func (inUseError) Is(target error) bool { return target == fs.ErrExist }
func (inUseError) Unwrap() error        { return unix.EADDRINUSE }

// ids is a set of allowed users and groups (AllowUsers, TrustServers).
type ids struct{ uids, gids map[int]bool }

// resolveIDs resolves AllowUsers (users and groups) or, with usersOnly,
// TrustServers: a server is run by a user, and trusting a group would
// trust every member's servers.
func resolveIDs(names []string, usersOnly bool) (ids, error) {
	s := ids{uids: map[int]bool{}, gids: map[int]bool{}}
	for _, n := range names {
		uid, gid, err := lookupID(n)
		if err != nil {
			return s, err
		}
		switch {
		case uid >= 0:
			s.uids[uid] = true
		case usersOnly:
			return s, fmt.Errorf("%q is a group: trust users, who run servers", n)
		default:
			s.gids[gid] = true
		}
	}
	return s, nil
}

// has tells whether uid, or one of groups (primary and supplementary), is
// in the set.
func (s ids) has(uid int, groups []int) bool {
	if s.uids[uid] {
		return true
	}
	for _, g := range groups {
		if s.gids[g] {
			return true
		}
	}
	return false
}

// maxSocketPath is the longest path a Unix socket address holds (sun_path,
// less its terminating NUL): 107 bytes on Linux, 103 on the BSDs.
var maxSocketPath = len(unix.RawSockaddrUnix{}.Path) - 1

// checkSocketPath refuses a path too long to bind or connect to, naming
// the limit, where the user gives it rather than at every failing connect.
func checkSocketPath(op, path string) error {
	if len(path) > maxSocketPath {
		return &os.PathError{Op: op, Path: path, Err: fmt.Errorf("socket path is %d bytes, longer than the %d a Unix socket address holds: %w", len(path), maxSocketPath, fs.ErrInvalid)}
	}
	return nil
}

func network(cfg *Config, op, path string) (string, error) {
	if !cfg.MessageMode {
		return "unix", nil
	}
	if packetNetwork == "" {
		return "", &os.PathError{Op: op, Path: path, Err: fmt.Errorf("message mode: %w on this OS", errors.ErrUnsupported)}
	}
	return packetNetwork, nil
}

type unixListener struct {
	l        *net.UnixListener
	addr     *net.UnixAddr
	dev, ino uint64
	cfg      *Config
	allow    ids
	slots    chan struct{} // one token per served client; nil: no bound
	closed   chan struct{}
	once     sync.Once
}

func listen(name string, cfg *Config) (net.Listener, error) {
	path := endpointPath(name)
	netw, err := network(cfg, "listen", path)
	if err != nil {
		return nil, err
	}
	if err := checkSocketPath("listen", path); err != nil {
		return nil, err
	}
	allow, err := resolveIDs(cfg.AllowUsers, false)
	if err != nil {
		return nil, &os.PathError{Op: "listen", Path: path, Err: err}
	}
	dir := filepath.Dir(path)
	if isBare(name) { // our private directory
		if len(cfg.AllowUsers) > 0 {
			return nil, &os.PathError{Op: "listen", Path: path, Err: fmt.Errorf("other users cannot reach %s, which is private to you (0700): to let them in, give a socket path in a directory they can reach: %w", dir, fs.ErrInvalid)}
		}
		if err := ensurePrivateDir("listen", dir); err != nil {
			return nil, err
		}
	}
	// Bind in a fresh 0700 directory beside the target, set the mode, then
	// link the socket into place: nobody ever sees it with the umask's mode,
	// and link (unlike rename) cannot replace a live server's socket.
	tmp, err := os.MkdirTemp(dir, ".g")
	if err != nil {
		return nil, &os.PathError{Op: "listen", Path: path, Err: unwrapPath(err)}
	}
	defer os.RemoveAll(tmp)
	tmpSock := filepath.Join(tmp, "s")
	l, err := bindShort(netw, tmp, tmpSock)
	if err != nil {
		return nil, &os.PathError{Op: "listen", Path: path, Err: unwrapPath(err)}
	}
	l.SetUnlinkOnClose(false)
	mode := uint32(0o600)
	if len(cfg.AllowUsers) > 0 {
		mode = 0o666 // the peer's uid is still checked on Accept
	}
	if err := unix.Chmod(tmpSock, mode); err != nil {
		l.Close()
		return nil, &os.PathError{Op: "listen", Path: path, Err: err}
	}
	for attempt := 0; ; attempt++ {
		err = unix.Link(tmpSock, path)
		if err == nil {
			break
		}
		if err == unix.EEXIST && attempt < 3 {
			if err = removeStale(path, netw); err == nil {
				continue
			}
		}
		l.Close()
		return nil, &os.PathError{Op: "listen", Path: path, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		l.Close()
		return nil, &os.PathError{Op: "listen", Path: path, Err: err}
	}
	ln := &unixListener{
		l:      l,
		addr:   &net.UnixAddr{Name: path, Net: netw},
		dev:    uint64(st.Dev),
		ino:    uint64(st.Ino),
		cfg:    cfg,
		allow:  allow,
		closed: make(chan struct{}),
	}
	if cfg.MaxInstances > 0 {
		ln.slots = make(chan struct{}, cfg.MaxInstances)
	}
	return ln, nil
}

// bindShort listens on sock, in the fresh directory tmp. A path that fits
// sun_path may still have a temporary sibling that does not (it is 14 bytes
// longer: DIR/.gNNNNNNNNNN/s): on Linux that one is bound through
// /proc/self/fd/N/s, N a descriptor of tmp, which reaches the same
// directory by a short path; elsewhere the error says what to shorten.
func bindShort(netw, tmp, sock string) (*net.UnixListener, error) {
	if len(sock) <= maxSocketPath {
		return net.ListenUnix(netw, &net.UnixAddr{Name: sock, Net: netw})
	}
	if runtime.GOOS != "linux" {
		return nil, fmt.Errorf("socket path is too long to bind: the temporary socket %s is %d bytes, longer than the %d a Unix socket address holds (give a path %d bytes shorter): %w",
			sock, len(sock), maxSocketPath, len(sock)-maxSocketPath, fs.ErrInvalid)
	}
	fd, err := unix.Open(tmp, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	short := "/proc/self/fd/" + strconv.Itoa(fd) + "/s"
	return net.ListenUnix(netw, &net.UnixAddr{Name: short, Net: netw})
}

// removeStale removes the socket at path if no server answers on it.
func removeStale(path, netw string) error {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		if err == unix.ENOENT {
			return nil // gone meanwhile: try again
		}
		return err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFSOCK {
		return fmt.Errorf("%w: it is a %s, not a socket", fs.ErrExist, kindOfMode(uint32(st.Mode)))
	}
	c, err := net.DialTimeout(netw, path, time.Second)
	if err == nil {
		c.Close()
		return inUseError{}
	}
	if !errors.Is(err, unix.ECONNREFUSED) {
		if errors.Is(err, unix.EAGAIN) {
			return inUseError{} // a full backlog: very much alive
		}
		return unwrapPath(err)
	}
	// Nobody listens. Unlink it unless it changed under us.
	var now unix.Stat_t
	if err := unix.Lstat(path, &now); err != nil || now.Ino != st.Ino || now.Dev != st.Dev {
		return nil
	}
	if err := unix.Unlink(path); err != nil && err != unix.ENOENT {
		return err
	}
	return nil
}

// unwrapPath strips the *os.PathError and *net.OpError layers of err so that
// we can add our own naming the pipe.
func unwrapPath(err error) error {
	for {
		switch e := err.(type) {
		case *os.PathError:
			err = e.Err
		case *net.OpError:
			err = e.Err
		case *os.SyscallError:
			err = e.Err
		default:
			return err
		}
	}
}

func (ln *unixListener) Addr() net.Addr { return ln.addr }

func (ln *unixListener) Accept() (net.Conn, error) {
	for {
		release := func() {}
		if ln.slots != nil {
			select {
			case ln.slots <- struct{}{}:
				release = func() { <-ln.slots }
			case <-ln.closed:
				return nil, ln.closedErr("accept")
			}
		}
		c, err := ln.l.AcceptUnix()
		if err != nil {
			release()
			if errors.Is(err, net.ErrClosed) {
				return nil, ln.closedErr("accept")
			}
			return nil, &os.PathError{Op: "accept", Path: ln.addr.Name, Err: unwrapPath(err)}
		}
		peer, groups, err := peerCred(c)
		if err == nil && !ln.permits(peer, groups) {
			err = fmt.Errorf("not allowed: %w", fs.ErrPermission) // the Peer names who

		}
		if err != nil {
			if ln.cfg.Refused != nil {
				ln.cfg.Refused(peer, err)
			}
			c.Close()
			release()
			continue
		}
		setBuffers(c, ln.cfg)
		return &unixConn{UnixConn: c, peer: peer, release: release}, nil
	}
}

func (ln *unixListener) permits(p Peer, groups []int) bool {
	uid, err := strconv.Atoi(p.UserID)
	if err != nil {
		return false
	}
	return uid == os.Geteuid() || ln.allow.has(uid, groups)
}

// closedErr is the error of a call on a closed listener, as on Windows.
func (ln *unixListener) closedErr(op string) error {
	return &os.PathError{Op: op, Path: ln.addr.Name, Err: net.ErrClosed}
}

func (ln *unixListener) Close() error {
	var err error
	closed := false
	ln.once.Do(func() {
		closed = true
		close(ln.closed)
		err = ln.l.Close()
		// Unlink the name only if it is still our socket: a newer server
		// may have replaced it.
		var st unix.Stat_t
		if unix.Lstat(ln.addr.Name, &st) == nil && uint64(st.Dev) == ln.dev && uint64(st.Ino) == ln.ino {
			unix.Unlink(ln.addr.Name)
		}
	})
	switch {
	case !closed:
		return ln.closedErr("close")
	case err != nil:
		return &os.PathError{Op: "close", Path: ln.addr.Name, Err: unwrapPath(err)}
	}
	return nil
}

func setBuffers(c *net.UnixConn, cfg *Config) {
	if cfg.InputBufferSize > 0 {
		c.SetReadBuffer(cfg.InputBufferSize)
	}
	if cfg.OutputBufferSize > 0 {
		c.SetWriteBuffer(cfg.OutputBufferSize)
	}
}

// unixConn is a connection from Listen or Dial: a *net.UnixConn (so
// CloseWrite is shutdown(SHUT_WR)) that knows its peer and frees its
// listener slot when closed.
type unixConn struct {
	*net.UnixConn
	peer    Peer
	once    sync.Once
	release func()
}

func (c *unixConn) Close() error {
	err := c.UnixConn.Close()
	c.once.Do(c.release)
	return err
}

func dial(ctx context.Context, name string, cfg *Config) (net.Conn, error) {
	path := endpointPath(name)
	netw, err := network(cfg, "dial", path)
	if err != nil {
		return nil, err
	}
	if err := checkSocketPath("dial", path); err != nil {
		return nil, err
	}
	trust, err := resolveIDs(cfg.TrustServers, true)
	if err != nil {
		return nil, &os.PathError{Op: "dial", Path: path, Err: err}
	}
	if isBare(name) {
		// Whoever could plant this directory could plant the server in
		// it: check it as Listen does before trusting what is inside. No
		// directory yet means no such endpoint (which dial --wait waits
		// for).
		dir := filepath.Dir(path)
		if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
			return nil, &os.PathError{Op: "dial", Path: path, Err: fs.ErrNotExist}
		}
		if err := checkPrivateDir("dial", dir); err != nil {
			return nil, err
		}
	}
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		return nil, &os.PathError{Op: "dial", Path: path, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFSOCK {
		return nil, &os.PathError{Op: "dial", Path: path, Err: fmt.Errorf("not a socket: it is a %s", kindOfMode(uint32(st.Mode)))}
	}
	var d net.Dialer
	backoff := time.Millisecond
	var c net.Conn
	for {
		c, err = d.DialContext(ctx, netw, path)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return nil, ctxErr("dial", path, ctx)
		}
		if !errors.Is(err, unix.EAGAIN) {
			return nil, &os.PathError{Op: "dial", Path: path, Err: unwrapPath(err)}
		}
		// The backlog is full (the server is at MaxInstances): wait, as a
		// Windows client does on ERROR_PIPE_BUSY.
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctxErr("dial", path, ctx)
		}
		backoff = min(2*backoff, 50*time.Millisecond)
	}
	uc := c.(*net.UnixConn)
	peer, _, err := peerCred(uc)
	if err == nil {
		uid, _ := strconv.Atoi(peer.UserID)
		if uid != os.Geteuid() && uid != 0 && !trust.has(uid, nil) {
			err = fmt.Errorf("server is run by %s, not by you or root: %w", peer.User, fs.ErrPermission)
		}
	}
	if err != nil {
		uc.Close()
		return nil, &os.PathError{Op: "dial", Path: path, Err: err}
	}
	setBuffers(uc, cfg)
	return &unixConn{UnixConn: uc, peer: peer, release: func() {}}, nil
}

func peerOf(c net.Conn) (Peer, error) {
	switch c := c.(type) {
	case *unixConn:
		return c.peer, nil
	case *net.UnixConn:
		p, _, err := peerCred(c)
		return p, err
	}
	return Peer{}, fmt.Errorf("peer of a %T: %w", c, errors.ErrUnsupported)
}

// kindOfMode names a file type for messages.
func kindOfMode(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFIFO:
		return "fifo"
	case unix.S_IFSOCK:
		return "socket"
	case unix.S_IFREG:
		return "regular file"
	case unix.S_IFDIR:
		return "directory"
	case unix.S_IFLNK:
		return "symbolic link"
	case unix.S_IFCHR:
		return "character device"
	case unix.S_IFBLK:
		return "block device"
	}
	return "file of unknown type"
}
