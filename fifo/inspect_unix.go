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
	if os.IsNotExist(err) {
		if ep := endpointPath(name); ep != name {
			if i, err2 := statInfo(name, ep); err2 == nil {
				return i, nil
			}
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
		Kind:         kind,
		OwnerID:      strconv.Itoa(uid),
		Owner:        userName(uid),
		Mode:         fs.FileMode(st.Mode & 0o777),
		Instances:    -1,
		MaxInstances: -1,
	}
}

func list(dir string) ([]Info, error) {
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []Info
	for _, e := range entries {
		if e.Type()&(fs.ModeNamedPipe|fs.ModeSocket) == 0 {
			continue
		}
		path := filepath.Join(dir, e.Name())
		var st unix.Stat_t
		if unix.Lstat(path, &st) != nil {
			continue // gone meanwhile
		}
		out = append(out, infoOf(e.Name(), path, &st))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
