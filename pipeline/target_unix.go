//go:build unix

package pipeline

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// targetOf says what name is, and the path to open it by: package fifo
// refuses to follow a symbolic link to a FIFO, so the link is resolved
// here, and a FIFO is never opened with os.Open, whose open(2) would wait
// for the other end past any cancellation.
func targetOf(name string) (target, string, error) {
	fi, err := os.Stat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return missing, name, nil
	case err != nil:
		return missing, name, err
	case fi.Mode().Type() != fs.ModeNamedPipe:
		return file, name, nil
	}
	path, err := filepath.EvalSymlinks(name)
	if err != nil {
		return missing, name, err
	}
	return pipe, path, nil
}
