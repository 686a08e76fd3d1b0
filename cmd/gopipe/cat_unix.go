//go:build unix

package main

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/gopipe/gopipe/fifo"
)

// openInputOS opens a FIFO with fifo.OpenReader, which waits for a writer
// without holding the program hostage (ctx ends the wait) and checks what it
// opened, and anything else with os.Open. fifo.OpenReader refuses symlinks,
// as a server opening a name it was given should; but a user naming a
// symlink to a FIFO on cat's command line means the FIFO, as with GNU cat,
// so the link is resolved first.
//
// Should the name be replaced by a FIFO between the stat and os.Open, the
// open would block like GNU cat's, killable but not cancellable.
func openInputOS(ctx context.Context, name string) (*os.File, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if fi.Mode().Type() != fs.ModeNamedPipe {
		return os.Open(name)
	}
	target, err := filepath.EvalSymlinks(name)
	if err != nil {
		return nil, err
	}
	return fifo.OpenReader(ctx, target)
}
