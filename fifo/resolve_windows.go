package fifo

import (
	"context"
	"errors"
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
	if path, ok := pipeFor(name); ok {
		return openFIFO(ctx, path, flag&(os.O_WRONLY|os.O_RDWR) != 0)
	}
	return os.OpenFile(name, flag, perm)
}

// lookup finds what name means as a file in the current directory and as
// a pipe (see Lookup).
func lookup(name string) ([]Info, error) {
	var out []Info
	var firstErr error
	if !hasPipePrefix(strings.ReplaceAll(name, "/", `\`)) {
		fi, err := os.Lstat(name)
		if err == nil {
			out = append(out, Info{Name: name, Path: name, Namespace: NamespaceFiles, Kind: KindOther,
				Mode: fi.Mode().Perm(), Instances: -1, MaxInstances: -1})
		} else {
			firstErr = &os.PathError{Op: "inspect", Path: name, Err: unwrapPathErr(err)}
		}
	}
	if hasPipePrefix(fifoPath(name)) {
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
