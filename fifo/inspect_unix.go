//go:build unix

package fifo

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"golang.org/x/sys/unix"
)

// inspect looks at name as a FIFO path first and, for a bare name that is
// not there, as an endpoint in the private directory (so "info demo" finds
// what "serve demo" made). It never opens the file.
func inspect(name string) (Info, error) {
	info, err := statInfo(name, fifoPath(name))
	if os.IsNotExist(err) && isBare(name) {
		if i, err2 := endpointInfo(name, endpointPath(name)); err2 == nil {
			return i, nil
		}
	}
	return info, err
}

func statInfo(name, path string) (Info, error) {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		return Info{}, &os.PathError{Op: "inspect", Path: path, Err: err}
	}
	return infoOf(name, path, &st), nil
}

func infoOf(name, path string, st *unix.Stat_t) Info {
	kind := KindOther
	switch uint32(st.Mode) & unix.S_IFMT {
	case unix.S_IFIFO:
		kind = KindFIFO
	case unix.S_IFSOCK:
		kind = KindSocket
	}
	uid := int(st.Uid)
	return Info{
		Name:         name,
		Path:         path,
		Namespace:    NamespaceFiles,
		Kind:         kind,
		OwnerID:      strconv.Itoa(uid),
		Owner:        userName(uid),
		Mode:         fs.FileMode(st.Mode & 0o777),
		Instances:    -1,
		MaxInstances: -1,
	}
}

// list lists dir, or with dir "" both the current directory and the
// private directory of bare endpoint names (when it exists), the files
// first.
func list(dir string) ([]Info, error) {
	if dir != "" {
		return listDir(dir, dir, NamespaceFiles)
	}
	out, err := listDir(".", "", NamespaceFiles)
	if err != nil {
		return nil, err
	}
	private := runtimeDir()
	if _, err := os.Lstat(private); os.IsNotExist(err) {
		return out, nil
	}
	// Not a directory we trust: the files, and why nothing else.
	if err := checkPrivateDir("list", private); err != nil {
		return out, err
	}
	eps, err := listDir(private, private, NamespaceEndpoints)
	return append(out, eps...), err
}

// listDir lists the FIFOs and sockets in dir, sorted by name, with paths
// under prefix (dir itself, or "" for names as they are).
func listDir(dir, prefix string, ns Namespace) ([]Info, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []Info
	for _, e := range entries {
		if e.Type()&(fs.ModeNamedPipe|fs.ModeSocket) == 0 {
			continue
		}
		path := filepath.Join(prefix, e.Name())
		var st unix.Stat_t
		if unix.Lstat(filepath.Join(dir, e.Name()), &st) != nil {
			continue // gone meanwhile
		}
		info := infoOf(e.Name(), path, &st)
		info.Namespace = ns
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
