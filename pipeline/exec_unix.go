//go:build unix

package pipeline

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"syscall"
)

// Exec replaces the process with the one stage s, as a shell replaces
// itself with its last command: s gets the process's own stdin, stdout and
// stderr, its process group and its signals, and what follows in the
// program never runs. It returns only if s could not be run, with the
// Status a Run would have given it (127 not found, 126 cannot run). A
// stage with redirections is not for Exec, nor is any stage on Windows,
// which cannot replace a process: Exec then returns at once, with an
// error that is errors.ErrUnsupported and Code 0, and has changed nothing.
func Exec(s Stage) Status {
	if len(s.Args) == 0 || len(s.Redirects) > 0 {
		return Status{Err: fmt.Errorf("pipeline: exec of %q: %w", s.Args, errors.ErrUnsupported)}
	}
	path := s.Path
	if path == "" {
		path = s.Args[0]
		if !strings.Contains(path, "/") {
			// As exec.Command looks it up: in our PATH.
			lp, err := exec.LookPath(path)
			if err != nil {
				return Status{Code: startCode(err), Err: err}
			}
			path = lp
		}
	}
	env := s.Env
	if env == nil {
		env = os.Environ()
	}
	var back string
	if s.Dir != "" {
		wd, err := os.Getwd()
		if err == nil {
			err = os.Chdir(s.Dir)
		}
		if err != nil {
			return Status{Code: 126, Err: err}
		}
		back = wd
	}
	err := syscall.Exec(path, s.Args, env)
	if back != "" {
		os.Chdir(back)
	}
	err = startError(path, s.Dir, &fs.PathError{Op: "exec", Path: path, Err: err})
	return Status{Code: startCode(err), Err: err}
}
