//go:build !unix && !windows

package pipeline

import (
	"errors"
	"io/fs"
	"os"
)

func targetOf(name string) (target, string, error) {
	_, err := os.Stat(name)
	switch {
	case err == nil:
		return file, name, nil
	case errors.Is(err, fs.ErrNotExist):
		return missing, name, nil
	}
	return missing, name, err
}

// forChild has nothing to do here: the file is the child's as it is.
func forChild(f *os.File, err error) (*os.File, error) { return f, err }

// needsRelay: a child can use any file as it is here.
func needsRelay(*os.File) bool { return false }
