package fifo

// Windows FIFOs at a path: Make of a path writes a marker file there (see
// marker.go for its format) and starts a holder for the pipe the file's
// identity names; every open of the path reads the marker, checks it and
// its owner, and opens the pipe. See docs/design.md, "FIFOs at a path".

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// markerEnv, set in the holder of a FIFO at a path beside holderEnv, is
// "IDENTITY PATH": the marker's identity and absolute path, which the holder
// watches.
const markerEnv = "GOPIPE_FIFO_MARKER"

// fileIdentity tells one file from any other: the volume serial number and
// file index, stable across renames on the volume and never shared by two
// files at once. (NTFS's index carries a sequence number, so a new file
// never gets a deleted one's; file systems that reuse inode numbers at
// once, under Wine, may give a new file the old identity. The creation
// time cannot tell them apart there: Wine's changes with every write.)
type fileIdentity struct {
	serial uint32
	index  uint64
}

func (id fileIdentity) String() string {
	return fmt.Sprintf("%08x-%016x", id.serial, id.index)
}

func parseIdentity(s string) (fileIdentity, error) {
	serial, index, ok := strings.Cut(s, "-")
	sv, err1 := strconv.ParseUint(serial, 16, 32)
	iv, err2 := strconv.ParseUint(index, 16, 64)
	if err := errors.Join(err1, err2); !ok || err != nil {
		return fileIdentity{}, fmt.Errorf("bad file identity %q", s)
	}
	return fileIdentity{uint32(sv), iv}, nil
}

// pipe is the pipe that serves the marker of this identity.
func (id fileIdentity) pipe() string { return markerPipeName(id.serial, id.index) }

// identityOf reads the identity of the open file h, refusing anything but
// a regular file on disk.
func identityOf(h windows.Handle) (fileIdentity, error) {
	if t, err := windows.GetFileType(h); err != nil || t != windows.FILE_TYPE_DISK {
		return fileIdentity{}, errNotMarker
	}
	var fi windows.ByHandleFileInformation
	if err := windows.GetFileInformationByHandle(h, &fi); err != nil {
		return fileIdentity{}, err
	}
	if fi.FileAttributes&(windows.FILE_ATTRIBUTE_DIRECTORY|windows.FILE_ATTRIBUTE_DEVICE|windows.FILE_ATTRIBUTE_REPARSE_POINT) != 0 {
		return fileIdentity{}, errNotMarker
	}
	return fileIdentity{
		serial: fi.VolumeSerialNumber,
		index:  uint64(fi.FileIndexHigh)<<32 | uint64(fi.FileIndexLow),
	}, nil
}

// markerFile is a checked marker: its content names the pipe its identity
// gives, and its owner is us (or SYSTEM or the Administrators).
type markerFile struct {
	name  string // as given
	pipe  string
	id    fileIdentity
	owner *windows.SID
}

// openShared opens path with access, sharing everything: looking at a
// marker never stands in the way of a writer or of its deletion. Unless
// follow, a symlink (any reparse point) is opened itself, which identityOf
// refuses.
func openShared(path string, access uint32, follow bool) (windows.Handle, error) {
	var flags uint32
	if !follow {
		flags = windows.FILE_FLAG_OPEN_REPARSE_POINT
	}
	p16, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return windows.InvalidHandle, err
	}
	return windows.CreateFile(p16, access,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE,
		nil, windows.OPEN_EXISTING, flags, 0)
}

// readContent reads what decides whether h is a marker: its first
// markerMax+1 bytes.
func readContent(h windows.Handle) ([]byte, error) {
	buf := make([]byte, markerMax+1)
	n := 0
	for n < len(buf) {
		var got uint32
		err := windows.ReadFile(h, buf[n:], &got, nil)
		if err == windows.ERROR_HANDLE_EOF || err == nil && got == 0 {
			break
		}
		if err != nil {
			return nil, err
		}
		n += int(got)
	}
	return buf[:n], nil
}

// readMarker tells whether the file name is a FIFO's marker, following a
// symlink if follow (as OpenFile does, like GNU's tools), else taking a
// symlink for no marker (as OpenReader, OpenWriter and Remove refuse
// symlinks on Unix). It returns
// (nil, nil) for anything else gopipe opens as a file: no file there, a
// directory or device, or a regular file that neither is a marker nor was
// one. A marker we must not use is an error that says why and, where there
// is one, which pipe to use instead: a damaged one, a copy, one that was
// overwritten in place (by cmd's echo x > f, say) while its FIFO still
// runs, one owned by another user.
func readMarker(op, name string, follow bool) (*markerFile, error) {
	stat := os.Lstat
	if follow {
		stat = os.Stat
	}
	if fi, err := stat(name); err != nil || !fi.Mode().IsRegular() {
		return nil, nil // not ours to explain: the file open says what it is
	}
	h, err := openShared(name, windows.GENERIC_READ, follow)
	if err != nil {
		return nil, nil
	}
	defer windows.CloseHandle(h)
	id, err := identityOf(h)
	if err != nil {
		return nil, nil
	}
	content, err := readContent(h)
	if err != nil {
		return nil, nil
	}
	refuse := func(format string, args ...any) error {
		return &os.PathError{Op: op, Path: name, Err: fmt.Errorf("%w: "+format, append([]any{ErrNotFIFO}, args...)...)}
	}
	derived := id.pipe()
	pipe, perr := parseMarker(content)
	switch {
	case errors.Is(perr, errNotMarker):
		if servedFIFO(derived) {
			return nil, refuse("this file was the marker of a FIFO and has been overwritten (a program other than gopipe wrote to it); the FIFO runs on: use the pipe %s, or remove it with gopipe rmfifo %s", derived, derived)
		}
		return nil, nil
	case perr != nil:
		for _, p := range []string{derived, pipe} {
			if p != "" && servedFIFO(p) {
				return nil, refuse("a damaged FIFO marker (%v): use the pipe %s", perr, p)
			}
		}
		return nil, refuse("a damaged FIFO marker (%v), and no FIFO runs for it (its pipe would be %s)", perr, derived)
	case pipe != derived:
		runs := "it no longer runs"
		if servedFIFO(pipe) {
			runs = "use that pipe"
		}
		return nil, refuse("a copy of the marker of the FIFO %s, not a FIFO itself (a marker cannot be copied, or moved to another volume): %s", pipe, runs)
	}
	sd, err := windows.GetSecurityInfo(h, windows.SE_FILE_OBJECT, windows.OWNER_SECURITY_INFORMATION)
	if err != nil {
		return nil, &os.PathError{Op: op, Path: name, Err: fmt.Errorf("reading the FIFO marker's owner: %w", err)}
	}
	owner, err := markerOwner(sd)
	if err != nil {
		return nil, &os.PathError{Op: op, Path: name, Err: err}
	}
	return &markerFile{name: name, pipe: pipe, id: id, owner: owner}, nil
}

// markerOwner is the owner of a marker whose descriptor is sd, if we may
// trust it: the current user, SYSTEM or the Administrators, as for the
// owner of a pipe we dial. Anybody may write a marker naming our pipe, or
// theirs, in a directory we read.
func markerOwner(sd *windows.SECURITY_DESCRIPTOR) (*windows.SID, error) {
	owner, _, err := sd.Owner()
	if err != nil || owner == nil {
		return nil, fmt.Errorf("the FIFO marker has no owner: %w", fs.ErrPermission)
	}
	if owner, err = owner.Copy(); err != nil {
		return nil, err
	}
	if !trustedOwner(owner, nil) {
		return nil, fmt.Errorf("the FIFO marker is owned by %s (%s), not the current user: %w", accountName(owner), owner, fs.ErrPermission)
	}
	return owner, nil
}

// servedFIFO tells whether a holder serves pipe: its control pipe exists.
// It connects to nothing.
func servedFIFO(pipe string) bool {
	found, _ := pipeExists(pipe + ctlSuffix)
	return found
}

// checkServedBy checks that the server of m's pipe, whose owner the
// client's owner check found, is the owner of the marker: a marker names a
// pipe of its owner's, never someone else's.
func (m *markerFile) checkServedBy(owner *windows.SID) error {
	if m == nil || owner == nil || owner.Equals(m.owner) {
		return nil
	}
	return fmt.Errorf("the pipe %s is served by %s (%s), but its marker %s is owned by %s (%s): %w",
		m.pipe, accountName(owner), owner, m.name, accountName(m.owner), m.owner, fs.ErrPermission)
}

// holderGone is the error of opening a marker whose pipe has no holder
// (it was killed, or stopped by rmfifo of its pipe name).
func (m *markerFile) holderGone(op string) error {
	return &os.PathError{Op: op, Path: m.name, Err: fmt.Errorf("the FIFO's holder is gone (no pipe %s); gopipe rmfifo removes the marker: %w", m.pipe, fs.ErrNotExist)}
}

// createMarker creates the marker file at path (absolute) exclusively,
// with the protected DACL pipes get (the current user and SYSTEM alone)
// and the System attribute (as Cygwin marks its special files), and
// writes it. The file is left open, shared for reading only, until Make
// knows whether the holder started: close removes it unless keep.
func createMarker(path string) (m *createdMarker, err error) {
	sddl, err := pipeSDDL(nil)
	if err != nil {
		return nil, err
	}
	sa, err := securityAttributes(sddl)
	if err != nil {
		return nil, err
	}
	p16, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return nil, err
	}
	h, err := windows.CreateFile(p16, windows.GENERIC_READ|windows.GENERIC_WRITE|windows.DELETE,
		windows.FILE_SHARE_READ, sa, windows.CREATE_NEW, windows.FILE_ATTRIBUTE_SYSTEM, 0)
	if err != nil {
		return nil, err
	}
	m = &createdMarker{h: h}
	defer func() {
		if err != nil {
			m.close()
		}
	}()
	if m.id, err = identityOf(h); err != nil {
		return m, err
	}
	content := formatMarker(m.id.pipe())
	var n uint32
	if err := windows.WriteFile(h, content, &n, nil); err != nil {
		return m, err
	}
	if int(n) != len(content) {
		return m, io.ErrShortWrite
	}
	return m, nil
}

// createdMarker is a marker Make has just created, still open.
type createdMarker struct {
	h    windows.Handle
	id   fileIdentity
	keep bool
}

func (m *createdMarker) close() {
	if !m.keep {
		deleteOpen(m.h)
	}
	windows.CloseHandle(m.h)
}

// deleteOpen marks the file open as h for deletion, once its handles
// close.
func deleteOpen(h windows.Handle) error {
	del := uint32(1) // FILE_DISPOSITION_INFO.DeleteFile
	return windows.SetFileInformationByHandle(h, windows.FileDispositionInfo, (*byte)(unsafe.Pointer(&del)), uint32(unsafe.Sizeof(del)))
}

// markerIs tells whether path is still the file of identity id: a file
// removed or replaced (renamed over, deleted and made anew) is not.
// Unknown when the file cannot be looked at for another reason.
func markerIs(path string, id fileIdentity) (is bool, known bool) {
	h, err := openShared(path, windows.FILE_READ_ATTRIBUTES, false)
	if err != nil {
		// Deleted (or being deleted: a file whose deletion waits for its
		// handles to close refuses opens with access denied).
		gone := errors.Is(err, fs.ErrNotExist) || err == windows.ERROR_ACCESS_DENIED
		return false, gone
	}
	defer windows.CloseHandle(h)
	got, err := identityOf(h)
	if errors.Is(err, errNotMarker) {
		return false, true
	}
	if err != nil {
		return false, false
	}
	return got == id, true
}

// deleteMarker removes the marker at path if it still is the file of
// identity id and still the marker of pipe: a marker that was overwritten
// holds what somebody wrote, and is left alone. A file already gone is no
// error.
func deleteMarker(path string, id fileIdentity, pipe string) error {
	h, err := openShared(path, windows.GENERIC_READ|windows.DELETE, false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer windows.CloseHandle(h)
	got, err := identityOf(h)
	if err != nil || got != id {
		return nil // replaced: not ours any more
	}
	content, err := readContent(h)
	if err != nil {
		return err
	}
	if p, err := parseMarker(content); err != nil || p != pipe {
		return nil
	}
	return deleteOpen(h)
}

// markerPoll is how often a holder looks at its marker. Polling, rather
// than a change notification, keeps no handle open on the marker or its
// directory, which would stand in the way of deleting them.
const markerPoll = 200 * time.Millisecond

// watchedMarker is the marker a holder serves, as markerEnv tells it.
type watchedMarker struct {
	path string
	id   fileIdentity
}

func parseWatchedMarker(pipe, spec string) (*watchedMarker, error) {
	bad := func(err error) error {
		return &os.PathError{Op: "mkfifo", Path: pipe, Err: fmt.Errorf("%s: %w: %w", markerEnv, err, fs.ErrInvalid)}
	}
	ids, path, ok := strings.Cut(spec, " ")
	if !ok || !filepath.IsAbs(path) {
		return nil, bad(fmt.Errorf("want IDENTITY ABSOLUTE-PATH, not %q", spec))
	}
	id, err := parseIdentity(ids)
	if err != nil {
		return nil, bad(err)
	}
	if id.pipe() != pipe {
		return nil, bad(fmt.Errorf("identity %s names %s, not this pipe", ids, id.pipe()))
	}
	return &watchedMarker{path: path, id: id}, nil
}

// watch closes gone once the marker is removed or replaced, looking every
// markerPoll until stop is closed. While it cannot tell (the volume went
// away, say) the FIFO lives on: a new file at the path has another
// identity, and so another pipe, whatever the holder does.
func (w *watchedMarker) watch(stop <-chan struct{}, gone chan<- struct{}) {
	t := time.NewTicker(markerPoll)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		if is, known := markerIs(w.path, w.id); known && !is {
			close(gone)
			return
		}
	}
}
