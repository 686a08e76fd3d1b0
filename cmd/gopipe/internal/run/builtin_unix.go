//go:build unix

package run

import (
	"os"

	"golang.org/x/sys/unix"
)

// searchable is nil if we may enter the directory dir (search permission),
// as chdir(2) would let a shell.
func searchable(dir string) error {
	if err := unix.Access(dir, unix.X_OK); err != nil {
		return &os.PathError{Op: "chdir", Path: dir, Err: err}
	}
	return nil
}
