package fifo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// hasSDDL: Config.SDDL is a Windows pipe's security descriptor.
const hasSDDL = true

// pipeFor says whether OpenFile takes name as a pipe, and its path: a name
// written as a pipe path always; a bare name (no separator, no drive) when
// no file of that name is in the current directory and the pipe exists.
func pipeFor(name string) (string, bool) {
	p := fifoPath(name)
	if !hasPipePrefix(p) {
		return "", false
	}
	if strings.ContainsAny(name, `\/`) {
		return p, true
	}
	if strings.ContainsRune(name, ':') {
		return "", false
	}
	if _, err := os.Lstat(name); !errors.Is(err, fs.ErrNotExist) {
		return "", false // a file (or something we cannot look at) wins
	}
	found, _ := pipeExists(p)
	return p, found
}

func openFile(ctx context.Context, name string, flag int, perm fs.FileMode) (*os.File, error) {
	write := flag&(os.O_WRONLY|os.O_RDWR) != 0
	if path, ok := pipeFor(name); ok {
		return openFIFO(ctx, path, write)
	}
	// A file may be a FIFO's marker, which means its pipe (and one that
	// is damaged or overwritten is refused, never truncated or read as
	// data).
	if !isPipeName(name) || fileExists(name) {
		m, err := readMarker("open", name, true)
		if err != nil {
			return nil, err
		}
		if m != nil {
			return openTarget(ctx, fifoTarget{pipe: m.pipe, marker: m}, write)
		}
	}
	return os.OpenFile(name, flag, perm)
}

// fifoTarget is what an operation on a FIFO reaches: its pipe and, for a
// FIFO at a path, the marker that named it (whose owner must serve it).
type fifoTarget struct {
	pipe   string
	marker *markerFile
}

// resolveFIFO finds the FIFO name means for op: a pipe name means the
// pipe; any other name must be a FIFO's marker file.
func resolveFIFO(op, name string) (fifoTarget, error) {
	if isPipeName(name) {
		return fifoTarget{pipe: fifoPath(name)}, nil
	}
	m, err := readMarker(op, name, false)
	if err != nil {
		return fifoTarget{}, err
	}
	if m != nil {
		return fifoTarget{pipe: m.pipe, marker: m}, nil
	}
	fi, err := os.Lstat(name)
	if err != nil {
		return fifoTarget{}, &os.PathError{Op: op, Path: name, Err: unwrapPathErr(err)}
	}
	what := "a regular file"
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		what = "a symbolic link"
	case fi.IsDir():
		what = "a directory"
	case !fi.Mode().IsRegular():
		what = "not a regular file"
	}
	return fifoTarget{}, &os.PathError{Op: op, Path: name, Err: fmt.Errorf("%w: it is %s, not the marker file gopipe mkfifo makes at a path", ErrNotFIFO, what)}
}

// lookup finds what name means as a file in the current directory and as
// a pipe (see Lookup).
func lookup(name string) ([]Info, error) {
	var out []Info
	var firstErr error
	if !hasPipePrefix(strings.ReplaceAll(name, "/", `\`)) {
		fi, err := os.Lstat(name)
		var m *markerFile
		if err == nil {
			m, err = readMarker("inspect", name, false)
		}
		switch {
		case m != nil:
			if info, merr := inspectMarker(m); merr == nil {
				out = append(out, info)
			} else {
				firstErr = merr
			}
		case err != nil && fileExists(name):
			firstErr = err // a marker we refuse: say why
		case err == nil:
			out = append(out, Info{Name: name, Path: name, Namespace: NamespaceFiles, Kind: KindOther,
				Mode: fi.Mode().Perm(), Instances: -1, MaxInstances: -1})
		default:
			firstErr = &os.PathError{Op: "inspect", Path: name, Err: unwrapPathErr(err)}
		}
	}
	if isPipeName(name) {
		info, err := inspect(name)
		if err == nil {
			out = append(out, info)
		} else if firstErr == nil || !errors.Is(err, fs.ErrNotExist) {
			firstErr = err
		}
	}
	if len(out) == 0 {
		return nil, firstErr
	}
	return out, nil
}
