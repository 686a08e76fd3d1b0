package main

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"strings"

	"github.com/gopipe/gopipe/fifo"
)

// openInputOS opens \\.\pipe\x and //./pipe/x as named pipes. Any other
// name is a file if one exists; if not, it is the pipe \\.\pipe\NAME if
// there is one (a FIFO made by gopipe mkfifo, or any named pipe), so that
// "gopipe cat NAME" reads what "gopipe mkfifo NAME" made; failing both, the
// file's error stands.
func openInputOS(ctx context.Context, name string) (*os.File, error) {
	if isPipeName(name) {
		return fifo.OpenReader(ctx, name)
	}
	f, err := os.Open(name)
	if err == nil || !errors.Is(err, fs.ErrNotExist) || strings.ContainsAny(name, `\/:`) {
		return f, err
	}
	if info, ierr := fifo.Inspect(name); ierr == nil && (info.Kind == fifo.KindNamedPipe || info.Kind == fifo.KindGopipeFIFO) {
		return fifo.OpenReader(ctx, name)
	}
	return nil, err
}

// isPipeName tells whether name is written as a path in the named pipe
// file system, \\.\pipe\ (either slash, any case).
func isPipeName(name string) bool {
	n := strings.ReplaceAll(name, "/", `\`)
	return len(n) > len(`\\.\pipe\`) && strings.EqualFold(n[:len(`\\.\pipe\`)], `\\.\pipe\`)
}
