// Package fifo is gopipe's one cross-platform package for named pipes.
//
// It offers two things, with the same exported API on every OS:
//
//   - FIFOs: one-way pipes with a name, many writers to a reader
//     ([Make], [OpenReader], [OpenWriter], [Remove]).
//   - Duplex endpoints for many clients ([Listen], [Dial]), with the identity
//     of the peer of a connection ([PeerOf]).
//
// and it inspects and lists what exists ([Inspect], [List]).
//
// # Names
//
// This package is the one place that decides what a NAME means; the table
// in docs/design.md says it for every command. On Unix a NAME is a path. On
// Windows a NAME without a path separator means \\.\pipe\NAME, and
// \\.\pipe\x or //./pipe/x are taken as written; see [Path]. Any other
// Windows NAME is a path, where [Make] makes a marker file naming the pipe
// that serves the FIFO, which every function here follows. For [Listen] and
// [Dial] a bare NAME on Unix lives in a private per-user directory, so that
// "serve demo" and "dial demo" meet from any working directory as they do on
// Windows; see [EndpointPath]. [OpenFile] takes a NAME as GNU's tools and a
// shell's redirections do, with one Windows twist: a bare NAME that is no
// file in the current directory but is a pipe means the pipe.
//
// # Security
//
// Everything is private by default. On Unix FIFOs are created 0600 and
// sockets 0600 in a 0700 directory; a listener refuses a peer of another uid
// and a client refuses a server of another uid (root excepted) unless
// [Config] allows them. Opens use O_NOFOLLOW and check the file type on the
// opened descriptor. On Windows every pipe gets an explicit protected DACL
// granting only the current user and SYSTEM (never the default DACL, which
// lets Everyone read), the name is claimed with FILE_FLAG_FIRST_PIPE_INSTANCE
// and never allowed to lapse while the listener lives, remote clients are
// rejected, and clients dial at identification level and check that the
// server is owned by the current user, SYSTEM or the Administrators.
//
// # Errors
//
// Errors name the pipe: they are *os.PathError (or wrap one) whose Err is a
// standard sentinel where one fits: [fs.ErrExist], [fs.ErrNotExist],
// [fs.ErrPermission], [os.ErrDeadlineExceeded], [net.ErrClosed],
// [errors.ErrUnsupported], or the context's error when a context ends.
package fifo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"time"

	"github.com/gopipe/gopipe/internal/remote"
)

// DefaultMode is the mode to give [Make] for the usual FIFO: private to its
// owner, unlike mkfifo(1)'s 0666 less the umask.
const DefaultMode fs.FileMode = 0o600

// Path returns the OS path of the FIFO or pipe called name: name itself on
// Unix; on Windows \\.\pipe\name when name has no path separator, and name
// with slashes turned into backslashes when it is already a pipe path such as
// //./pipe/x.
func Path(name string) string { return fifoPath(name) }

// EndpointPath returns the OS path that [Listen] and [Dial] use for name. On
// Windows it is [Path]. On Unix a name containing a slash is a path used as
// written; a bare name lives in a private per-user directory:
// $XDG_RUNTIME_DIR/gopipe when that is set, else $TMPDIR/gopipe-UID.
func EndpointPath(name string) string { return endpointPath(name) }

// Make creates the FIFO called name with mode perm, applied exactly (not cut
// by the umask): pass [DefaultMode] unless others need access. Bits outside
// 0777 are refused.
// An existing name is an error wrapping [fs.ErrExist].
//
// If the FIFO was made but its mode could not be set, the error wraps
// [ErrModeNotSet].
//
// On Windows a named pipe exists only while a server handle is open, so Make
// starts a detached holder process (a copy of the running program) that owns
// the name until [Remove]; such programs must call [RunHolder] first thing in
// main. Any program may write to the pipe (echo hi > \\.\pipe\NAME in cmd);
// [OpenReader] reads what they wrote, with EOF when the writers are done.
// The pipe's DACL grants the current user and SYSTEM, so a perm granting
// group or others anything is refused there (errors.ErrUnsupported).
//
// On Windows a name that is a path (one with a separator that is not a
// pipe path) gets a FIFO there as on Unix: Make creates a marker file at
// the path (exclusively, with the same protected DACL) naming a pipe
// derived from the file's identity, \\.\pipe\gopipe-fifo-SERIAL-INDEX, and
// a holder serving that pipe, which exits when the marker is removed or
// replaced. Every function of this package given the path reaches the
// pipe, after checking that the marker is intact, ours, and served by its
// owner; other programs must open the pipe ([Inspect] gives it as Path).
func Make(name string, perm fs.FileMode) error {
	if perm&^fs.ModePerm != 0 {
		return &os.PathError{Op: "mkfifo", Path: name, Err: fmt.Errorf("mode %#o has bits outside 0777: %w", uint32(perm), fs.ErrInvalid)}
	}
	return makeFIFO(name, perm)
}

// OpenReader opens the read end of the FIFO called name and returns once a
// writer is there; ctx cancels the wait, leaving nothing behind. On Linux
// the wait ends when a writer has written or come and gone (the open itself
// holds no thread); the file has deadlines. A name that is not a FIFO (a
// regular file, a symlink, a directory) is refused.
//
// On Windows, name may be a FIFO made by [Make], read through its holder, or
// any other named pipe, which is opened as a client for reading.
func OpenReader(ctx context.Context, name string) (*os.File, error) {
	return openFIFO(ctx, name, false)
}

// OpenWriter opens the write end of the FIFO called name. On Unix it waits
// for a reader, as open(2) does; ctx cancels the wait. On Windows the open
// does not wait: the data waits in the holder's bounded buffer, and writes
// block once it is full, until a reader drains it.
func OpenWriter(ctx context.Context, name string) (*os.File, error) {
	return openFIFO(ctx, name, true)
}

// OpenFile opens name as a shell's redirection or GNU cat and tee would
// (flag and perm as for [os.OpenFile]: O_RDONLY to read; O_WRONLY with
// O_CREATE and O_TRUNC or O_APPEND to write), except that a FIFO or named
// pipe is opened as [OpenReader] and [OpenWriter] do: the wait for the
// other end ends with ctx, and the file has deadlines.
//
// Unlike OpenReader and OpenWriter it follows symlinks, as those tools do,
// and lets the kernel follow them (so fs.protected_symlinks applies);
// writing to a FIFO is refused where fs.protected_fifos would refuse GNU's
// O_CREAT open of it. A regular file, device or directory comes back in
// blocking mode, as os.OpenFile gives it.
//
// On Windows, \\.\pipe\x and //./pipe/x are pipes; a bare name is the file
// of that name in the current directory if there is one, else the pipe
// \\.\pipe\NAME if it exists, else the file (which a reader then fails to
// find and a writer creates); any other name is a file. A file that is a
// FIFO's marker (see [Make]) means the FIFO; one that is a damaged,
// copied or overwritten marker is refused with [ErrNotFIFO], naming the
// pipe to use, and never truncated.
//
// On every OS, ssh://[USER@]HOST[:PORT]/NAME is NAME on HOST, reached by
// the system's ssh running gopipe there (gopipe cat NAME to read it, a
// gopipe redirect --stdout NAME to write it), unless a local file of that
// name, or its directory, exists (GNU's tools read it as a relative path).
// The remote NAME is the URL's path less its first slash, percent-decoded.
// The file is a pipe to ssh; close it with [Close], which says how the
// remote side ended. The remote's messages go to os.Stderr.
func OpenFile(ctx context.Context, name string, flag int, perm fs.FileMode) (*os.File, error) {
	if err := ctx.Err(); err != nil {
		return nil, ctxErr("open", name, ctx)
	}
	if n, ok, err := remote.Lookup(name); err != nil || ok {
		if err != nil {
			return nil, err
		}
		return openRemote(n, flag)
	}
	return openFile(ctx, name, flag, perm)
}

// Close closes f, which [OpenFile] returned, and for a remote NAME waits for
// the transport to end and returns how the remote side failed, if it did:
// an error whose message says which side (ssh could not connect, no gopipe
// there, or the remote command failed). For any other file it is f.Close.
func Close(f *os.File) error { return closeFile(f) }

// Namespace says where a name was found, and so which commands mean it.
type Namespace string

const (
	// NamespaceFiles is the file system: a NAME as mkfifo, cat, tee,
	// redirect and run take it (relative to the current directory).
	NamespaceFiles Namespace = "files"
	// NamespaceEndpoints is the private per-user directory where a bare
	// NAME of serve, dial and tap lives on Unix (see [EndpointPath]).
	NamespaceEndpoints Namespace = "endpoints"
	// NamespacePipes is Windows' \\.\pipe\, where mkfifo, serve and dial
	// put a bare NAME.
	NamespacePipes Namespace = "pipes"
)

// Lookup describes everything name means that exists now, in the order
// [OpenFile] prefers them: on Unix the file NAME and, for a bare name, the
// endpoint in the private directory; on Windows the file NAME in the
// current directory and the pipe \\.\pipe\NAME. Each [Info] says its
// [Namespace]. Nothing existing is an error wrapping [fs.ErrNotExist]. It
// opens nothing but what [Inspect] does.
func Lookup(name string) ([]Info, error) { return lookup(name) }

// Remove removes the FIFO called name: unlinks it on Unix (refusing anything
// that is not a FIFO), where ends already open go on working; on Windows
// stops its holder, which ends the open ends too, and removes the marker
// of a FIFO at a path (also one whose holder is gone).
func Remove(name string) error { return removeFIFO(name) }

// RunHolder serves a Windows FIFO if this process was started by [Make] as
// its holder, returning true when the FIFO has been removed; otherwise (and
// always on Unix) it returns false at once. A program calling [Make] on
// Windows must call RunHolder first thing in main and exit when it returns
// true; Make refuses to start a holder in a program that has not.
func RunHolder() (held bool, err error) { return runHolder() }

// Config configures [Listen] and [Dial]. The zero value (or nil) is the
// secure default.
type Config struct {
	// MessageMode makes a message pipe: on Windows PIPE_TYPE_MESSAGE (each
	// read returns at most one message, and CloseWrite sends a zero-length
	// message the peer reads as EOF); on Linux SOCK_SEQPACKET. Both sides
	// must agree. Elsewhere it is unsupported.
	MessageMode bool

	// InputBufferSize and OutputBufferSize size the pipe's buffers in bytes
	// (Windows pipe buffers; SO_RCVBUF and SO_SNDBUF on Unix). 0 means 64 KiB
	// on Windows and the system default on Unix.
	InputBufferSize, OutputBufferSize int

	// MaxInstances bounds the clients served at once; 0 means no bound
	// (254 on Windows). Past it new clients wait: in the listen backlog on
	// Unix, with ERROR_PIPE_BUSY (which Dial retries) on Windows.
	MaxInstances int

	// PendingInstances is how many Windows pipe instances wait for clients
	// at once, so that bursts of clients are not turned away; 0 means 4.
	PendingInstances int

	// AllowUsers lists other users (and on Windows groups) who may connect,
	// by name, numeric uid or SID. On Unix the socket is then made 0666 and
	// the peer's uid is checked against the list; the directory must let
	// them reach it. On Windows each gets read and write data rights
	// (never FILE_CREATE_PIPE_INSTANCE).
	AllowUsers []string

	// AllowRemote, on Windows, lets clients on other machines connect (the
	// pipe is made without PIPE_REJECT_REMOTE_CLIENTS). It needs at least
	// one AllowUsers entry: the DACL then grants the current user, SYSTEM
	// and those users, and nobody else. Unix sockets are local: elsewhere it
	// is refused.
	AllowRemote bool

	// SDDL, on Windows, replaces the whole security descriptor. For experts;
	// elsewhere it is refused (errors.ErrUnsupported).
	SDDL string

	// TrustServers lists further users (names, uids or SIDs) that Dial
	// accepts as the server's owner, besides the current user, root/SYSTEM
	// and the Administrators. A Unix group is refused: trusting a group
	// would trust every member's servers.
	TrustServers []string

	// SSH, RemoteGopipe and RemoteShell say how [Dial] reaches a remote
	// NAME, ssh://[USER@]HOST[:PORT]/NAME (see [OpenFile]): the ssh
	// command's words (default: $GOPIPE_SSH split at white space, else
	// ssh), the gopipe to run there (default: $GOPIPE_REMOTE_GOPIPE, else
	// gopipe on the remote PATH), and the shell that reads the remote
	// command line, "sh" or "cmd" (default: $GOPIPE_REMOTE_SHELL, else a
	// NAME must read the same to both).
	SSH          []string
	RemoteGopipe string
	RemoteShell  string

	// Refused, if set, is called by a listener for each peer it refuses,
	// before it cuts the peer off.
	Refused func(p Peer, err error)

	// CloseTimeout bounds how long closing a Windows server connection
	// waits for the client to read what was written (FlushFileBuffers)
	// before it disconnects; 0 means 2s.
	CloseTimeout time.Duration
}

// Peer is the process at the other end of a connection.
type Peer struct {
	// PID is the peer's process id, 0 if unknown. Pids are recycled: use
	// them for logging, not as identity.
	PID int
	// UserID is the peer's uid (Unix) or SID (Windows); empty if unknown.
	UserID string
	// User is the user's name, or UserID when it has none.
	User string
}

func (p Peer) String() string {
	if p.UserID == "" {
		return fmt.Sprintf("pid %d, user unknown", p.PID)
	}
	return fmt.Sprintf("pid %d, user %s", p.PID, p.User)
}

// PeerOf returns the identity of the process at the other end of c, which
// must come from [Listen] or [Dial]: from a listener's side the client, from
// a client's side the server. Errors wrap [errors.ErrUnsupported] when the OS
// cannot tell.
func PeerOf(c net.Conn) (Peer, error) { return peerOf(c) }

// Listen listens on the endpoint called name (see [EndpointPath]) and
// returns a listener whose connections implement CloseWrite() error for
// half-close. A name in use by a live server is an error wrapping
// [fs.ErrExist]; on Unix a stale socket is replaced. cfg may be nil.
//
// Closing the listener stops accepting and releases the name; connections
// already accepted stay open (on Windows they keep the name in use until
// they close). Accept never returns a peer that cfg does not
// allow; refused peers go to cfg.Refused.
func Listen(name string, cfg *Config) (net.Listener, error) {
	cfg = orDefault(cfg)
	if _, ok, _ := remote.Lookup(name); ok {
		return nil, &os.PathError{Op: "listen", Path: name, Err: fmt.Errorf("a server listens here, not on another host: %w", errors.ErrUnsupported)}
	}
	if err := validate("listen", name, cfg); err != nil {
		return nil, err
	}
	return listen(name, cfg)
}

// Dial connects to the endpoint called name and checks who owns it before
// returning. A missing endpoint fails at once with [fs.ErrNotExist]; a busy
// one (Windows ERROR_PIPE_BUSY) is retried with backoff until ctx ends. The
// connection implements CloseWrite() error. cfg may be nil.
func Dial(ctx context.Context, name string, cfg *Config) (net.Conn, error) {
	cfg = orDefault(cfg)
	if n, ok, err := remote.Lookup(name); err != nil || ok {
		if err != nil {
			return nil, err
		}
		return dialRemote(ctx, n, cfg)
	}
	if err := validate("dial", name, cfg); err != nil {
		return nil, err
	}
	return dial(ctx, name, cfg)
}

func orDefault(cfg *Config) *Config {
	if cfg == nil {
		return &Config{}
	}
	return cfg
}

// validate checks cfg the same way on every OS, before any OS code sees
// it: negative sizes and counts are refused, as is what the OS cannot do.
func validate(op, name string, cfg *Config) error {
	bad := func(field string, v any) error {
		return &os.PathError{Op: op, Path: name, Err: fmt.Errorf("config: %s %v is negative: %w", field, v, fs.ErrInvalid)}
	}
	switch {
	case cfg.InputBufferSize < 0:
		return bad("InputBufferSize", cfg.InputBufferSize)
	case cfg.OutputBufferSize < 0:
		return bad("OutputBufferSize", cfg.OutputBufferSize)
	case cfg.MaxInstances < 0:
		return bad("MaxInstances", cfg.MaxInstances)
	case cfg.PendingInstances < 0:
		return bad("PendingInstances", cfg.PendingInstances)
	case cfg.CloseTimeout < 0:
		return bad("CloseTimeout", cfg.CloseTimeout)
	case cfg.AllowRemote && !hasSDDL:
		return &os.PathError{Op: op, Path: name, Err: fmt.Errorf("config: remote clients are for Windows pipes (a Unix socket is local): %w", errors.ErrUnsupported)}
	case cfg.AllowRemote && len(cfg.AllowUsers) == 0:
		return &os.PathError{Op: op, Path: name, Err: fmt.Errorf("config: remote clients need AllowUsers, the users they may be: %w", fs.ErrInvalid)}
	case cfg.SDDL != "" && !hasSDDL:
		return &os.PathError{Op: op, Path: name, Err: fmt.Errorf("config: a security descriptor (SDDL) is for Windows pipes: %w", errors.ErrUnsupported)}
	}
	return nil
}

// ErrModeNotSet is wrapped by the error of a [Make] that made the FIFO but
// could not give it the mode asked for; the FIFO is left in place, as
// mkfifo(1) leaves it.
var ErrModeNotSet = errors.New("fifo made, but its mode not set")

// ErrNotFIFO is wrapped by the error of an open or remove of a name that is
// not a FIFO (or on Windows a pipe); the message says what it is instead.
var ErrNotFIFO = errors.New("not a fifo")

// Kind is what a name refers to.
type Kind int

const (
	KindUnknown    Kind = iota
	KindFIFO            // a Unix FIFO
	KindSocket          // a Unix domain socket
	KindNamedPipe       // a Windows named pipe
	KindGopipeFIFO      // a Windows FIFO held by a gopipe holder (see Make)
	KindOther           // anything else: a regular file, a directory, …
)

var kindNames = [...]string{"unknown", "fifo", "socket", "named pipe", "gopipe fifo", "other"}

func (k Kind) String() string {
	if int(k) >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// MarshalText makes Kind print as its name in JSON.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Info describes a FIFO, socket or named pipe. Fields the OS cannot tell
// are zero (or -1 for counts).
type Info struct {
	Name      string      `json:"name"`
	Path      string      `json:"path"`
	Namespace Namespace   `json:"namespace"`
	Kind      Kind        `json:"kind"`
	OwnerID   string      `json:"owner_id,omitempty"` // uid or SID
	Owner     string      `json:"owner,omitempty"`    // user name, or OwnerID
	Mode      fs.FileMode `json:"mode,omitempty"`     // Unix permission bits
	SDDL      string      `json:"sddl,omitempty"`     // Windows security descriptor
	ServerPID int         `json:"server_pid,omitempty"`
	// Instances and MaxInstances count a Windows pipe's instances; -1 when
	// unknown.
	Instances    int `json:"instances"`
	MaxInstances int `json:"max_instances"`
}

// Inspect describes the FIFO, socket or pipe called name. It never opens a
// FIFO (which could block or disturb its users); on Windows reading a pipe's
// security descriptor and server pid means connecting to it briefly, which a
// pipe whose instances are all busy refuses (those fields then stay empty).
func Inspect(name string) (Info, error) { return inspect(name) }

// List returns the FIFOs and sockets in dir (Unix) or the pipes in
// \\.\pipe\ (Windows, for dir "" or \\.\pipe\; for any other dir, the FIFOs
// that Make made at a path there, with their pipes), sorted by name. On
// Unix dir "" lists what bare names reach: the current directory, then the
// private directory of endpoints (see [EndpointPath]), each [Info] saying
// its [Namespace]; a private directory that is not private (someone else's,
// a symlink, open to others) is not listed, and its error is returned with
// the rest. It opens nothing.
func List(dir string) ([]Info, error) { return list(dir) }

// fileExists tells whether name exists, a link not followed.
func fileExists(name string) bool {
	_, err := os.Lstat(name)
	return err == nil
}

// ctxErr is the error of an open abandoned because ctx ended: it names the
// pipe, and a deadline also matches os.ErrDeadlineExceeded.
func ctxErr(op, path string, ctx context.Context) error {
	err := context.Cause(ctx)
	if err == nil {
		err = ctx.Err()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("%w (%w)", os.ErrDeadlineExceeded, err)
	}
	return &os.PathError{Op: op, Path: path, Err: err}
}
