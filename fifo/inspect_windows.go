package fifo

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// pipeEntry is a name in \\.\pipe\ with its instance counts.
type pipeEntry struct {
	name              string
	instances, maxIns int
}

// fileDirectoryInformation is FILE_DIRECTORY_INFORMATION. In the pipe
// directory, EndOfFile holds a pipe's current instances and AllocationSize
// its maximum (what Sysinternals PipeList shows).
type fileDirectoryInformation struct {
	NextEntryOffset uint32
	FileIndex       uint32
	CreationTime    int64
	LastAccessTime  int64
	LastWriteTime   int64
	ChangeTime      int64
	EndOfFile       int64
	AllocationSize  int64
	FileAttributes  uint32
	FileNameLength  uint32
	FileName        [1]uint16
}

const fileDirectoryInformationClass = 1

// readPipeDir lists \\.\pipe\ with NtQueryDirectoryFile (which, unlike
// os.ReadDir, gives the instance counts); pattern, if not empty, selects
// names as the directory query's file name does (wildcards allowed). It
// opens the directory, never a pipe.
func readPipeDir(pattern string) ([]pipeEntry, error) {
	if err := procNtQueryDirectoryFile.Find(); err != nil {
		return nil, err
	}
	dir, err := windows.CreateFile(windows.StringToUTF16Ptr(pipePrefix),
		windows.FILE_LIST_DIRECTORY|windows.SYNCHRONIZE,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE,
		nil, windows.OPEN_EXISTING, windows.FILE_FLAG_BACKUP_SEMANTICS, 0)
	if err != nil {
		return nil, err
	}
	defer windows.CloseHandle(dir)
	var filter *windows.NTUnicodeString
	if pattern != "" {
		if filter, err = windows.NewNTUnicodeString(pattern); err != nil {
			return nil, err
		}
	}
	buf := make([]byte, 64<<10)
	var ents []pipeEntry
	for restart := true; ; restart = false {
		var iosb windows.IO_STATUS_BLOCK
		r, _, _ := procNtQueryDirectoryFile.Call(uintptr(dir), 0, 0, 0,
			uintptr(unsafe.Pointer(&iosb)), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)),
			fileDirectoryInformationClass, 0, uintptr(unsafe.Pointer(filter)), boolArg(restart))
		switch st := windows.NTStatus(r); st {
		case windows.STATUS_SUCCESS:
		case windows.STATUS_NO_MORE_FILES, windows.STATUS_NO_SUCH_FILE:
			return ents, nil
		default:
			return nil, st.Errno()
		}
		for off := 0; off < int(iosb.Information); {
			e := (*fileDirectoryInformation)(unsafe.Pointer(&buf[off]))
			name := windows.UTF16ToString(unsafe.Slice(&e.FileName[0], e.FileNameLength/2))
			maxIns := int(e.AllocationSize)
			if e.AllocationSize < 0 || e.AllocationSize > windows.PIPE_UNLIMITED_INSTANCES {
				maxIns = windows.PIPE_UNLIMITED_INSTANCES // unlimited (-1)
			}
			ents = append(ents, pipeEntry{name: name, instances: int(e.EndOfFile), maxIns: maxIns})
			if e.NextEntryOffset == 0 {
				break
			}
			off += int(e.NextEntryOffset)
		}
	}
}

func boolArg(b bool) uintptr {
	if b {
		return 1
	}
	return 0
}

// lookupPipe finds the pipe at path in the directory. Names are compared
// without case, as the pipe file system does.
func lookupPipe(path string) (bool, pipeEntry, error) {
	name := path[len(pipePrefix):]
	pattern := name
	if strings.ContainsAny(name, `*?<>"`) {
		pattern = "" // would be read as wildcards
	}
	ents, err := readPipeDir(pattern)
	if err != nil {
		return false, pipeEntry{}, err
	}
	for _, e := range ents {
		if strings.EqualFold(e.name, name) {
			return true, e, nil
		}
	}
	return false, pipeEntry{}, nil
}

// pipeProbe is what a brief client open tells about a pipe.
type pipeProbe struct {
	exists bool
	sddl   string
	owner  *windows.SID
	pid    int
}

// probePipe opens path as a client with no data access, to read its
// security descriptor and server pid. The server sees a client come and
// go, and the open takes an instance for a moment; a pipe whose instances
// are all busy (or that refuses us) exists but tells nothing.
func probePipe(path string) (pipeProbe, error) {
	p16, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return pipeProbe{}, err
	}
	h, err := windows.CreateFile(p16, probeAccess, 0, nil, windows.OPEN_EXISTING,
		windows.SECURITY_SQOS_PRESENT|windows.SECURITY_IDENTIFICATION, 0)
	switch {
	case err == nil:
	case errors.Is(err, fs.ErrNotExist):
		return pipeProbe{}, nil
	case err == windows.ERROR_PIPE_BUSY, errors.Is(err, fs.ErrPermission):
		return pipeProbe{exists: true}, nil
	default:
		return pipeProbe{}, err
	}
	defer windows.CloseHandle(h)
	pr := pipeProbe{exists: true}
	if sd, err := windows.GetSecurityInfo(h, windows.SE_KERNEL_OBJECT,
		windows.OWNER_SECURITY_INFORMATION|windows.GROUP_SECURITY_INFORMATION|windows.DACL_SECURITY_INFORMATION); err == nil {
		pr.sddl = sd.String()
		if owner, _, err := sd.Owner(); err == nil && owner != nil {
			pr.owner, _ = owner.Copy()
		}
	}
	var pid uint32
	if windows.GetNamedPipeServerProcessId(h, &pid) == nil {
		pr.pid = int(pid)
	}
	return pr, nil
}

// inspect describes a pipe. For a gopipe FIFO the probe goes to the
// control pipe, which the holder expects; a probe of the data pipe would
// look like a writer.
func inspect(name string) (Info, error) {
	t, err := resolveFIFO("inspect", name)
	if err != nil {
		return Info{}, err
	}
	if t.marker != nil {
		return inspectMarker(t.marker)
	}
	return inspectPipe(name, t.pipe)
}

// inspectMarker describes the FIFO at a path: the gopipe FIFO of its pipe,
// found where files are, its Path the pipe other programs open.
func inspectMarker(m *markerFile) (Info, error) {
	info, err := inspectPipe(m.name, m.pipe)
	if errors.Is(err, fs.ErrNotExist) {
		return info, m.holderGone("inspect")
	}
	if err != nil {
		return info, err
	}
	if info.Kind != KindGopipeFIFO {
		return info, &os.PathError{Op: "inspect", Path: m.name, Err: fmt.Errorf("%w: its pipe %s is not a gopipe FIFO's", ErrNotFIFO, m.pipe)}
	}
	info.Namespace = NamespaceFiles
	return info, nil
}

// inspectPipe describes the pipe at path, called name.
func inspectPipe(name, path string) (Info, error) {
	info := Info{Name: name, Path: path, Namespace: NamespacePipes, Instances: -1, MaxInstances: -1}
	ctlPath := path + ctlSuffix

	var dataFound, ctlFound bool
	if found, e, err := lookupPipe(path); err == nil {
		dataFound = found
		info.Instances, info.MaxInstances = e.instances, e.maxIns
		if !found {
			info.Instances, info.MaxInstances = -1, -1
		}
		ctlFound, _, err = lookupPipe(ctlPath)
		if err != nil {
			return info, &os.PathError{Op: "inspect", Path: path, Err: err}
		}
	} else {
		// The directory cannot be listed (Wine cannot): ask by name,
		// which does not connect either.
		if dataFound, err = pipeExists(path); err == nil {
			ctlFound, err = pipeExists(ctlPath)
		}
		if err != nil {
			return info, &os.PathError{Op: "inspect", Path: path, Err: err}
		}
	}
	probe := path
	switch {
	case dataFound && ctlFound:
		info.Kind = KindGopipeFIFO
		probe = ctlPath
	case dataFound:
		info.Kind = KindNamedPipe
	default:
		return info, &os.PathError{Op: "inspect", Path: path, Err: fs.ErrNotExist}
	}
	pr, err := probePipe(probe)
	if err != nil {
		return info, &os.PathError{Op: "inspect", Path: path, Err: err}
	}
	info.SDDL = pr.sddl
	info.ServerPID = pr.pid
	if pr.owner != nil {
		info.OwnerID = pr.owner.String()
		info.Owner = accountName(pr.owner)
	}
	return info, nil
}

// listMarkers lists the FIFOs at a path in dir: its files that are
// markers with a holder, sorted by name, each with the pipe as its Path. Only files with the System
// attribute that Make gives markers, small enough to be one, are read.
func listMarkers(dir string) ([]Info, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, &os.PathError{Op: "list", Path: dir, Err: unwrapPathErr(err)}
	}
	var out []Info
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil || fi.Size() > markerMax {
			continue
		}
		if a, ok := fi.Sys().(*syscall.Win32FileAttributeData); !ok || a.FileAttributes&windows.FILE_ATTRIBUTE_SYSTEM == 0 {
			continue
		}
		m, err := readMarker("list", filepath.Join(dir, e.Name()), false)
		if err != nil || m == nil {
			continue // not a FIFO: info says why
		}
		if info, err := inspectMarker(m); err == nil {
			info.Name = e.Name() // as Unix names what List finds in dir
			out = append(out, info)
		}
	}
	slices.SortFunc(out, func(a, b Info) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// list lists \\.\pipe\, showing a gopipe FIFO once (its control pipe is
// hidden) as KindGopipeFIFO.
func list(dir string) ([]Info, error) {
	if d := strings.ReplaceAll(dir, "/", `\`); d != "" && !strings.EqualFold(d, pipePrefix) && !strings.EqualFold(d, pipePrefix[:len(pipePrefix)-1]) {
		if hasPipePrefix(d) || strings.HasPrefix(d, `\\.\`) {
			return nil, &os.PathError{Op: "list", Path: dir, Err: fmt.Errorf(`only \\.\pipe\ can be listed of the pipes: %w`, errors.ErrUnsupported)}
		}
		return listMarkers(dir)
	}
	ents, err := readPipeDir("")
	if err != nil {
		return nil, &os.PathError{Op: "list", Path: pipePrefix, Err: err}
	}
	names := make(map[string]bool, len(ents))
	for _, e := range ents {
		names[strings.ToLower(e.name)] = true
	}
	infos := make([]Info, 0, len(ents))
	for _, e := range ents {
		lower := strings.ToLower(e.name)
		if base, ok := strings.CutSuffix(lower, ctlSuffix); ok && names[base] {
			continue
		}
		kind := KindNamedPipe
		if names[lower+ctlSuffix] {
			kind = KindGopipeFIFO
		}
		infos = append(infos, Info{
			Name:         e.name,
			Path:         pipePrefix + e.name,
			Namespace:    NamespacePipes,
			Kind:         kind,
			Instances:    e.instances,
			MaxInstances: e.maxIns,
		})
	}
	slices.SortFunc(infos, func(a, b Info) int { return strings.Compare(a.Name, b.Name) })
	return infos, nil
}
