package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command"
)

// install makes DIR/NAME for every applet name: a hard link to this binary
// (a symlink with -s), as busybox --install does. On Windows the names get
// .exe, and a copy stands in where a hard link is impossible (another
// volume). A name already linked to this binary is left as it is.
func install(e *command.Env, args []string) int {
	symbolic := false
	if len(args) > 0 && args[0] == "-s" {
		symbolic, args = true, args[1:]
	}
	if len(args) != 1 {
		fmt.Fprintln(e.Stderr, "gopipe: usage: gopipe --install [-s] DIR")
		return 2
	}
	dir := args[0]
	self, err := os.Executable()
	if err == nil {
		self, err = filepath.EvalSymlinks(self)
	}
	if err != nil {
		e.Errorf("cannot find this program: %v", err)
		return 1
	}
	selfInfo, err := os.Stat(self)
	if err != nil {
		e.Errorf("%v", err)
		return 1
	}
	status := 0
	for _, c := range commands {
		for _, name := range c.Names() {
			if runtime.GOOS == "windows" {
				name += ".exe"
			}
			dst := filepath.Join(dir, name)
			if fi, err := os.Stat(dst); err == nil && os.SameFile(fi, selfInfo) {
				continue
			}
			if err := link(self, dst, symbolic); err != nil {
				e.Errorf("cannot install %s: %v", command.Quote(dst), command.Strerror(err))
				status = 1
			}
		}
	}
	return status
}

func link(self, dst string, symbolic bool) error {
	if symbolic {
		return os.Symlink(self, dst)
	}
	err := os.Link(self, dst)
	if err == nil || runtime.GOOS != "windows" || errors.Is(err, fs.ErrExist) {
		return err
	}
	return copyFile(self, dst)
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(dst)
		return err
	}
	return out.Close()
}
