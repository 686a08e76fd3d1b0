package fifo

// Low-level Windows named pipe plumbing shared by the listener, the FIFO
// holder and the clients: names, security descriptors, creating and
// connecting server instances, opening clients, identifying peers and the
// few I/O calls os.File does not do for us.

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

const pipePrefix = `\\.\pipe\`

// fifoPath maps a NAME to \\.\pipe\NAME, and a pipe path written with
// slashes (//./pipe/x, //HOST/pipe/x) to its backslash form. Anything else
// is returned as written; the operations then refuse it (see pipePath).
func fifoPath(name string) string {
	if name != "" && !strings.ContainsAny(name, `\/`) {
		return pipePrefix + name
	}
	if p := strings.ReplaceAll(name, "/", `\`); hasPipePrefix(p) || remotePipeHost(p) != "" {
		return p
	}
	return name
}

// remotePipeHost is HOST of a pipe on another machine, \\HOST\pipe\NAME,
// or "" for any other path (\\.\ and \\?\ are this machine).
func remotePipeHost(p string) string {
	rest, ok := strings.CutPrefix(p, `\\`)
	if !ok {
		return ""
	}
	host, rest, ok := strings.Cut(rest, `\`)
	if !ok || host == "" || host == "." || host == "?" {
		return ""
	}
	if len(rest) <= len(`pipe\`) || !strings.EqualFold(rest[:len(`pipe\`)], `pipe\`) {
		return ""
	}
	return host
}

// endpointPath is fifoPath: on Windows FIFOs and endpoints share the one
// flat pipe namespace.
func endpointPath(name string) string { return fifoPath(name) }

func hasPipePrefix(p string) bool {
	return len(p) > len(pipePrefix) && strings.EqualFold(p[:len(pipePrefix)], pipePrefix)
}

// pipePath is fifoPath for an operation: a name that is not a pipe (a file
// path, say) is an error naming it, so no Win32 call ever sees it.
func pipePath(op, name string) (string, error) {
	p := fifoPath(name)
	if host := remotePipeHost(p); host != "" {
		return "", &os.PathError{Op: op, Path: name, Err: fmt.Errorf("a pipe on another machine (%s) can only be dialled: %w", host, errors.ErrUnsupported)}
	}
	if !hasPipePrefix(p) {
		return "", &os.PathError{Op: op, Path: name, Err: fmt.Errorf(`not a pipe name (want NAME or \\.\pipe\NAME): %w`, fs.ErrInvalid)}
	}
	return p, nil
}

// Calls x/sys/windows does not wrap.
var (
	modkernel32 = windows.NewLazySystemDLL("kernel32.dll")
	modadvapi32 = windows.NewLazySystemDLL("advapi32.dll")
	modntdll    = windows.NewLazySystemDLL("ntdll.dll")

	procWaitNamedPipeW             = modkernel32.NewProc("WaitNamedPipeW")
	procPeekNamedPipe              = modkernel32.NewProc("PeekNamedPipe")
	procImpersonateNamedPipeClient = modadvapi32.NewProc("ImpersonateNamedPipeClient")
	procNtQueryDirectoryFile       = modntdll.NewProc("NtQueryDirectoryFile")
)

func impersonateNamedPipeClient(h windows.Handle) error {
	if err := procImpersonateNamedPipeClient.Find(); err != nil {
		return err
	}
	r, _, err := procImpersonateNamedPipeClient.Call(uintptr(h))
	if r == 0 {
		return errnoErr(err)
	}
	return nil
}

// peekAvail returns how many bytes wait in the pipe.
func peekAvail(h windows.Handle) (uint32, error) {
	if err := procPeekNamedPipe.Find(); err != nil {
		return 0, err
	}
	var avail uint32
	r, _, e := procPeekNamedPipe.Call(uintptr(h), 0, 0, 0, uintptr(unsafe.Pointer(&avail)), 0)
	if r == 0 {
		return 0, errnoErr(e)
	}
	return avail, nil
}

// pipeExists tells whether a pipe called path exists, without connecting
// to it (which a server would see): WaitNamedPipe fails at once with
// ERROR_FILE_NOT_FOUND for a missing name, and otherwise succeeds or times
// out after a millisecond (0 would mean the pipe's default wait).
func pipeExists(path string) (bool, error) {
	if err := procWaitNamedPipeW.Find(); err != nil {
		return false, err
	}
	p16, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return false, err
	}
	r, _, e := procWaitNamedPipeW.Call(uintptr(unsafe.Pointer(p16)), 1)
	if r != 0 {
		return true, nil
	}
	switch err := errnoErr(e); {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err == windows.ERROR_SEM_TIMEOUT, err == windows.ERROR_PIPE_BUSY:
		return true, nil
	default:
		return false, err
	}
}

// errnoErr turns the error of a LazyProc.Call into a plain Errno (which
// errors.Is maps onto the fs sentinels).
func errnoErr(err error) error {
	var errno windows.Errno
	if errors.As(err, &errno) && errno != 0 {
		return errno
	}
	return windows.ERROR_GEN_FAILURE
}

// Access rights.
const (
	// shareAccess is what Config.AllowUsers grants: read and write data,
	// attributes and EAs, READ_CONTROL and SYNCHRONIZE (0x12019B). It leaves
	// out FILE_APPEND_DATA, which on a pipe is FILE_CREATE_PIPE_INSTANCE:
	// with it a grantee could create instances of our name and so receive
	// our clients.
	shareAccess = windows.SYNCHRONIZE | windows.READ_CONTROL |
		windows.FILE_READ_DATA | windows.FILE_WRITE_DATA |
		windows.FILE_READ_EA | windows.FILE_WRITE_EA |
		windows.FILE_READ_ATTRIBUTES | windows.FILE_WRITE_ATTRIBUTES

	// dialAccess is a duplex client's access. GENERIC_READ includes
	// READ_CONTROL, needed to read the server's owner; FILE_WRITE_ATTRIBUTES
	// lets us switch to message read mode; no FILE_APPEND_DATA (see
	// shareAccess), so AllowUsers grantees can dial.
	dialAccess = windows.GENERIC_READ | windows.FILE_WRITE_DATA | windows.FILE_WRITE_ATTRIBUTES

	// writerAccess opens the write end of a FIFO's inbound data pipe: no
	// FILE_READ_DATA, which an inbound pipe refuses to clients.
	writerAccess = windows.SYNCHRONIZE | windows.READ_CONTROL |
		windows.FILE_WRITE_DATA | windows.FILE_READ_ATTRIBUTES | windows.FILE_WRITE_ATTRIBUTES

	// readerAccess opens some other program's pipe for reading only, which
	// also works on outbound pipes.
	readerAccess = windows.GENERIC_READ

	// probeAccess reads a pipe's security descriptor and server pid without
	// any data access.
	probeAccess = windows.SYNCHRONIZE | windows.READ_CONTROL | windows.FILE_READ_ATTRIBUTES
)

// Well-known SIDs that may own a server we dial.
const (
	sidLocalSystem    = "S-1-5-18"
	sidAdministrators = "S-1-5-32-544"
)

// currentUser is the SID of our token's user: the TokenUser, not the token's
// default owner (which is Administrators when elevated) nor CREATOR OWNER.
var currentUser = sync.OnceValues(func() (*windows.SID, error) {
	tok, err := windows.OpenCurrentProcessToken()
	if err != nil {
		return nil, err
	}
	defer tok.Close()
	u, err := tok.GetTokenUser()
	if err != nil {
		return nil, err
	}
	return u.User.Sid.Copy()
})

// lookupSID resolves a user or group given by name (DOMAIN\name or name)
// or as a SID string.
func lookupSID(account string) (*windows.SID, error) {
	if strings.HasPrefix(strings.ToUpper(account), "S-1-") {
		sid, err := windows.StringToSid(account)
		if err != nil {
			return nil, fmt.Errorf("bad SID %q: %w", account, err)
		}
		return sid, nil
	}
	sid, _, _, err := windows.LookupSID("", account)
	if err != nil {
		return nil, fmt.Errorf("unknown user %q: %w", account, err)
	}
	return sid, nil
}

func lookupSIDs(accounts []string) ([]*windows.SID, error) {
	var sids []*windows.SID
	for _, a := range accounts {
		sid, err := lookupSID(a)
		if err != nil {
			return nil, err
		}
		sids = append(sids, sid)
	}
	return sids, nil
}

// accountName is DOMAIN\name for sid, or the SID string when it has no name.
func accountName(sid *windows.SID) string {
	account, domain, _, err := sid.LookupAccount("")
	switch {
	case err != nil || account == "":
		return sid.String()
	case domain == "":
		return account
	}
	return domain + `\` + account
}

// pipeSDDL is the security descriptor of every pipe we create: owned by the
// current user, a protected DACL (nothing inherited) granting full control
// to SYSTEM and the current user only, plus shareAccess for each allowed
// user. Never the default DACL, which lets Everyone and Anonymous read.
func pipeSDDL(allow []*windows.SID) (string, error) {
	user, err := currentUser()
	if err != nil {
		return "", fmt.Errorf("current user: %w", err)
	}
	u := user.String()
	var b strings.Builder
	fmt.Fprintf(&b, "O:%sD:P(A;;GA;;;SY)(A;;GA;;;%s)", u, u)
	for _, sid := range allow {
		fmt.Fprintf(&b, "(A;;0x%X;;;%s)", shareAccess, sid.String())
	}
	return b.String(), nil
}

// securityAttributes turns an SDDL string into SECURITY_ATTRIBUTES for
// CreateNamedPipe; the descriptor lives on the Go heap.
func securityAttributes(sddl string) (*windows.SecurityAttributes, error) {
	sd, err := windows.SecurityDescriptorFromString(sddl)
	if err != nil {
		return nil, fmt.Errorf("security descriptor %q: %w", sddl, err)
	}
	sa := &windows.SecurityAttributes{SecurityDescriptor: sd}
	sa.Length = uint32(unsafe.Sizeof(*sa))
	return sa, nil
}

// pipeSpec is what every instance of one pipe name shares: Windows refuses
// (ERROR_ACCESS_DENIED) an instance whose type, access or instance count
// differs from the first's.
type pipeSpec struct {
	path         string
	access       uint32 // PIPE_ACCESS_DUPLEX or PIPE_ACCESS_INBOUND
	message      bool
	maxInstances uint32 // the OS-level cap
	outSize      uint32
	inSize       uint32
	sa           *windows.SecurityAttributes
	// allowRemote leaves PIPE_REJECT_REMOTE_CLIENTS out (serve
	// --allow-remote, which the DACL then limits to the allowed users).
	allowRemote bool
}

// pipeMode is the pipe mode of CreateNamedPipe: remote clients rejected
// unless allowed, and byte or message type.
func (s *pipeSpec) pipeMode() uint32 {
	var mode uint32
	if !s.allowRemote {
		mode |= windows.PIPE_REJECT_REMOTE_CLIENTS
	}
	if s.message {
		mode |= windows.PIPE_TYPE_MESSAGE | windows.PIPE_READMODE_MESSAGE
	}
	return mode
}

// create makes one overlapped server instance. The first claims the name
// with FILE_FLAG_FIRST_PIPE_INSTANCE, so that we never become a second
// instance of somebody else's pipe (a squatter's, or another server's);
// Windows answers ERROR_ACCESS_DENIED when the name exists, which we report
// as fs.ErrExist. Remote clients are always rejected.
func (s *pipeSpec) create(op string, first bool) (windows.Handle, error) {
	p16, err := windows.UTF16PtrFromString(s.path)
	if err != nil {
		return windows.InvalidHandle, &os.PathError{Op: op, Path: s.path, Err: err}
	}
	flags := s.access | windows.FILE_FLAG_OVERLAPPED
	if first {
		flags |= windows.FILE_FLAG_FIRST_PIPE_INSTANCE
		// The flag is the guarantee. This look first only catches a
		// taken name where the flag is not enforced (Wine).
		if exists, _ := pipeExists(s.path); exists {
			return windows.InvalidHandle, &os.PathError{Op: op, Path: s.path, Err: fs.ErrExist}
		}
	}
	mode := s.pipeMode()
	h, err := windows.CreateNamedPipe(p16, flags, mode, s.maxInstances, s.outSize, s.inSize, 0, s.sa)
	if err != nil {
		if first && err == windows.ERROR_ACCESS_DENIED {
			err = fs.ErrExist
		}
		return windows.InvalidHandle, &os.PathError{Op: op, Path: s.path, Err: err}
	}
	return h, nil
}

// instance is one server instance while it waits for a client. It lives on
// the heap for as long as the kernel may write to ov.
type instance struct {
	h     windows.Handle
	ev    windows.Handle // manual-reset event for ov
	ov    windows.Overlapped
	armed bool // the connect is posted (guarded by the listener's mu)
}

func newInstance(h windows.Handle) (*instance, error) {
	ev, err := windows.CreateEvent(nil, 1, 0, nil)
	if err != nil {
		return nil, err
	}
	return &instance{h: h, ev: ev}, nil
}

// errStopped is connect's answer when its stop event was signalled.
var errStopped = errors.New("stopped")

// connect waits for a client on the instance, or for stop to be signalled.
// The wait is an event-based OVERLAPPED ConnectNamedPipe, made before the
// handle is given to os.NewFile (which would route completions to Go's
// IOCP instead). armed is called once the connect is posted: from then on
// a client's arrival sets in.ev. A client that came and went before we got
// to it (ERROR_NO_DATA) counts as connected if keepGone, so that what it
// wrote can still be read; else it is disconnected and we wait again.
func (in *instance) connect(stop windows.Handle, armed func(), keepGone bool) error {
	for {
		windows.ResetEvent(in.ev)
		in.ov = windows.Overlapped{HEvent: in.ev}
		err := windows.ConnectNamedPipe(in.h, &in.ov)
		switch {
		case err == nil, err == windows.ERROR_PIPE_CONNECTED:
			return nil
		case err == windows.ERROR_NO_DATA && keepGone:
			return nil
		case err == windows.ERROR_NO_DATA:
			windows.DisconnectNamedPipe(in.h)
			continue
		case err == windows.ERROR_IO_PENDING:
			armed()
		default:
			return err
		}
		i, werr := windows.WaitForMultipleObjects([]windows.Handle{in.ev, stop}, false, windows.INFINITE)
		var n uint32
		if werr != nil || i != windows.WAIT_OBJECT_0 {
			// Stop (or a failed wait): cancel, and wait for the cancel to
			// land so the kernel is done with in.ov before we return.
			windows.CancelIoEx(in.h, &in.ov)
			windows.GetOverlappedResult(in.h, &in.ov, &n, true)
			if werr != nil {
				return werr
			}
			return errStopped
		}
		switch err := windows.GetOverlappedResult(in.h, &in.ov, &n, false); {
		case err == nil, err == windows.ERROR_NO_DATA && keepGone:
			return nil
		case err == windows.ERROR_NO_DATA:
			windows.DisconnectNamedPipe(in.h)
		default:
			return err
		}
	}
}

// close closes the instance's handle and event.
func (in *instance) close() {
	windows.CloseHandle(in.h)
	windows.CloseHandle(in.ev)
}

// Dial retry: ERROR_PIPE_BUSY means all instances are connected, and a
// new one usually appears within milliseconds; back off up to dialMaxWait.
const (
	dialFirstWait = time.Millisecond
	dialMaxWait   = 50 * time.Millisecond
)

// openClient opens path as an overlapped client with the given access,
// retrying ERROR_PIPE_BUSY with backoff until ctx ends. It dials at
// identification level: the server may learn who we are but cannot act as
// us. A missing pipe fails at once (fs.ErrNotExist): waiting for a server
// to appear is the caller's business.
func openClient(ctx context.Context, op, path string, access uint32) (windows.Handle, error) {
	p16, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return windows.InvalidHandle, &os.PathError{Op: op, Path: path, Err: err}
	}
	wait := dialFirstWait
	var timer *time.Timer
	for {
		if ctx.Err() != nil {
			return windows.InvalidHandle, ctxErr(op, path, ctx)
		}
		h, err := windows.CreateFile(p16, access, 0, nil, windows.OPEN_EXISTING,
			windows.FILE_FLAG_OVERLAPPED|windows.SECURITY_SQOS_PRESENT|windows.SECURITY_IDENTIFICATION, 0)
		if err == nil {
			return h, nil
		}
		if err != windows.ERROR_PIPE_BUSY {
			return windows.InvalidHandle, &os.PathError{Op: op, Path: path, Err: err}
		}
		if timer == nil {
			timer = time.NewTimer(wait)
			defer timer.Stop()
		} else {
			timer.Reset(wait)
		}
		select {
		case <-ctx.Done():
			return windows.InvalidHandle, ctxErr(op, path, ctx)
		case <-timer.C:
		}
		wait = min(2*wait, dialMaxWait)
	}
}

// checkServerOwner verifies, on a client handle, who owns the pipe: the
// current user, SYSTEM, the Administrators or one of trust. Anybody can
// create a pipe of a free name, so a client that skips this check may be
// talking to a squatter.
func checkServerOwner(h windows.Handle, trust []*windows.SID) (*windows.SID, error) {
	return checkOwner(h, trust, false)
}

// checkOwner is checkServerOwner; for a pipe on another machine (remote)
// only trust vouches: the remote machine's SYSTEM and Administrators are
// its own, and the current user's SID is a domain account's there or
// nobody's.
func checkOwner(h windows.Handle, trust []*windows.SID, remote bool) (*windows.SID, error) {
	sd, err := windows.GetSecurityInfo(h, windows.SE_KERNEL_OBJECT, windows.OWNER_SECURITY_INFORMATION)
	if err != nil {
		return nil, fmt.Errorf("reading the pipe's owner: %w", err)
	}
	owner, _, err := sd.Owner()
	if err != nil || owner == nil {
		return nil, fmt.Errorf("pipe has no owner: %w", fs.ErrPermission)
	}
	owner, err = owner.Copy()
	if err != nil {
		return nil, err
	}
	if remote {
		for _, t := range trust {
			if owner.Equals(t) {
				return owner, nil
			}
		}
		return owner, fmt.Errorf("the remote pipe is owned by %s (%s), whom --trust does not name: %w", accountName(owner), owner, fs.ErrPermission)
	}
	if trustedOwner(owner, trust) {
		return owner, nil
	}
	return owner, fmt.Errorf("pipe is owned by %s (%s), not the current user: %w", accountName(owner), owner, fs.ErrPermission)
}

func trustedOwner(owner *windows.SID, trust []*windows.SID) bool {
	if user, err := currentUser(); err == nil && owner.Equals(user) {
		return true
	}
	if s := owner.String(); s == sidLocalSystem || s == sidAdministrators {
		return true
	}
	for _, t := range trust {
		if owner.Equals(t) {
			return true
		}
	}
	return false
}

// dialHandle opens path as a client and checks its owner, returning an
// *os.File (overlapped, on Go's IOCP, with deadlines) named path.
func dialHandle(ctx context.Context, op, path string, access uint32, trust []*windows.SID, message bool) (*os.File, *windows.SID, error) {
	h, err := openClient(ctx, op, path, access)
	if err != nil {
		return nil, nil, err
	}
	owner, err := checkOwner(h, trust, remotePipeHost(path) != "")
	if err != nil {
		windows.CloseHandle(h)
		return nil, nil, &os.PathError{Op: op, Path: path, Err: err}
	}
	if message {
		mode := uint32(windows.PIPE_READMODE_MESSAGE)
		if err := windows.SetNamedPipeHandleState(h, &mode, nil, nil); err != nil {
			windows.CloseHandle(h)
			return nil, nil, &os.PathError{Op: op, Path: path, Err: fmt.Errorf("message read mode: %w", err)}
		}
	}
	return os.NewFile(uintptr(h), path), owner, nil
}

// identity is who a client is, as far as we could tell.
type identity struct {
	pid    int
	user   *windows.SID   // nil when unknown
	groups []*windows.SID // the token's enabled groups, when known
}

// identifyClient finds out who the client of a connected server instance
// is: from its token by impersonation (which works at identification
// level), else from the token of its process. Either may fail (a client
// dialling anonymously, a process of another user we may not open); the
// user is then nil.
// With remote clients allowed (serve --allow-remote), the pid is another
// machine's: no local process's token may stand in for the client's.
func identifyClient(h windows.Handle, remoteAllowed bool) identity {
	var id identity
	var pid uint32
	if windows.GetNamedPipeClientProcessId(h, &pid) == nil {
		id.pid = int(pid)
	}
	if tok, err := impersonatedToken(h); err == nil {
		id.fromToken(tok)
		tok.Close()
	}
	if id.user == nil && pid != 0 && !remoteAllowed {
		if tok, err := processToken(pid); err == nil {
			id.fromToken(tok)
			tok.Close()
		}
	}
	return id
}

func (id *identity) fromToken(tok windows.Token) {
	u, err := tok.GetTokenUser()
	if err != nil {
		return
	}
	if id.user, err = u.User.Sid.Copy(); err != nil {
		id.user = nil
		return
	}
	if g, err := tok.GetTokenGroups(); err == nil {
		for _, a := range g.AllGroups() {
			// A deny-only group grants nothing.
			if a.Attributes&windows.SE_GROUP_ENABLED == 0 || a.Attributes&windows.SE_GROUP_USE_FOR_DENY_ONLY != 0 {
				continue
			}
			if sid, err := a.Sid.Copy(); err == nil {
				id.groups = append(id.groups, sid)
			}
		}
	}
}

// impersonatedToken returns the client's token. Impersonation changes the
// identity of the OS thread, so it runs on a thread of its own that is
// thrown away (by exiting its goroutine still locked) if it cannot revert.
func impersonatedToken(h windows.Handle) (windows.Token, error) {
	type result struct {
		tok windows.Token
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		if err := impersonateNamedPipeClient(h); err != nil {
			runtime.UnlockOSThread()
			ch <- result{err: err}
			return
		}
		var tok windows.Token
		// openAsSelf: check access against our process token, since an
		// identification-level token may not open itself.
		err := windows.OpenThreadToken(windows.CurrentThread(), windows.TOKEN_QUERY, true, &tok)
		if rerr := windows.RevertToSelf(); rerr == nil {
			runtime.UnlockOSThread()
		}
		ch <- result{tok, err}
	}()
	r := <-ch
	return r.tok, r.err
}

func processToken(pid uint32) (windows.Token, error) {
	p, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, pid)
	if err != nil {
		return 0, err
	}
	defer windows.CloseHandle(p)
	var tok windows.Token
	if err := windows.OpenProcessToken(p, windows.TOKEN_QUERY, &tok); err != nil {
		return 0, err
	}
	return tok, nil
}

// processUser is the user of process pid, nil if we may not know.
func processUser(pid uint32) *windows.SID {
	tok, err := processToken(pid)
	if err != nil {
		return nil
	}
	defer tok.Close()
	u, err := tok.GetTokenUser()
	if err != nil {
		return nil
	}
	sid, err := u.User.Sid.Copy()
	if err != nil {
		return nil
	}
	return sid
}

// rawIO does one overlapped ReadFile or WriteFile on h and waits for it,
// with an event whose low bit is set so that the completion is not queued
// to the IOCP the handle is associated with: Go's poller would receive a
// packet for an operation it never started. Close's CancelIoEx interrupts
// it. The caller keeps h open (RawConn.Control or Write).
func rawIO(h windows.Handle, write bool, buf []byte) (int, error) {
	ev, err := windows.CreateEvent(nil, 1, 0, nil)
	if err != nil {
		return 0, err
	}
	defer windows.CloseHandle(ev)
	ov := new(windows.Overlapped)
	ov.HEvent = ev | 1
	var n uint32
	if write {
		err = windows.WriteFile(h, buf, &n, ov)
	} else {
		err = windows.ReadFile(h, buf, &n, ov)
	}
	switch err {
	case nil, windows.ERROR_IO_PENDING, windows.ERROR_MORE_DATA:
		// Completed or will: the count is only reliable from the
		// OVERLAPPED (Wine leaves n at 0 for ERROR_MORE_DATA).
		err = windows.GetOverlappedResult(h, ov, &n, true)
	}
	runtime.KeepAlive(buf)
	return int(n), err
}
