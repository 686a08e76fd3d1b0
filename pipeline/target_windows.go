package pipeline

import (
	"errors"
	"io/fs"
	"os"
	"strings"

	"github.com/gopipe/gopipe/fifo"
)

// targetOf says what name is. A pipe path (\\.\pipe\x, //./pipe/x) is a
// pipe; otherwise a file wins, so that `> out.txt` means the file as it
// does in any shell; a bare name with no such file is a pipe only if one
// of that name exists.
func targetOf(name string) (target, string, error) {
	p := strings.ToLower(strings.ReplaceAll(name, "/", `\`))
	if strings.HasPrefix(p, `\\.\pipe\`) {
		return pipe, name, nil
	}
	_, err := os.Stat(name)
	switch {
	case err == nil:
		return file, name, nil
	case !errors.Is(err, fs.ErrNotExist):
		return missing, name, err
	}
	if !strings.ContainsAny(name, `\/:`) {
		if info, err := fifo.Inspect(name); err == nil && (info.Kind == fifo.KindNamedPipe || info.Kind == fifo.KindGopipeFIFO) {
			return pipe, name, nil
		}
	}
	return missing, name, nil
}

// forChild has nothing to do here: the file is the child's as it is.
func forChild(f *os.File, err error) (*os.File, error) { return f, err }

// needsRelay tells a FIFO or named pipe from package fifo: an overlapped
// handle (so that we have deadlines), which a program doing synchronous
// I/O on its stdio cannot use. Handed to os/exec as a plain reader or
// writer instead, it is relayed through an anonymous pipe, and Wait waits
// for the relay to finish.
func needsRelay(f *os.File) bool {
	return strings.HasPrefix(strings.ToLower(f.Name()), `\\.\pipe\`)
}
