package fifo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"github.com/gopipe/gopipe/internal/remote"
)

// What OpenFile, Close and Dial do with a remote NAME (ssh://HOST/NAME):
// run gopipe on HOST through ssh (internal/remote).

// remoteFiles maps each file OpenFile opened to a remote NAME to the ssh
// that carries it, for Close.
var remoteFiles sync.Map // *os.File → *remoteFile

type remoteFile struct {
	name  string // the NAME, for messages
	p     *remote.Process
	write bool
}

// remoteOptions are Dial's cfg's ways to reach a remote NAME; OpenFile,
// which has no cfg, takes them all from the environment.
func remoteOptions(cfg *Config) remote.Options {
	return remote.Options{SSH: cfg.SSH, Gopipe: cfg.RemoteGopipe, Shell: cfg.RemoteShell}
}

func openRemote(n remote.Name, flag int) (*os.File, error) {
	var args []string
	write := false
	// The remote half (gopipe __remote) opens NAME as OpenFile would, and
	// gives up when its input ends before a FIFO's other end came: this
	// side gone (a reader's input carries nothing; a writer's, its data).
	switch flag & (os.O_RDONLY | os.O_WRONLY | os.O_RDWR) {
	case os.O_RDONLY:
		args = []string{"__remote", "read", "--", n.Path}
	case os.O_WRONLY:
		write = true
		args = []string{"__remote", "write"}
		if flag&os.O_APPEND != 0 {
			args = append(args, "--append")
		}
		args = append(args, "--", n.Path)
	default:
		return nil, &os.PathError{Op: "open", Path: n.URL, Err: fmt.Errorf("a remote NAME is read or written, not both: %w", errors.ErrUnsupported)}
	}
	f, p, err := remote.Open(n, remote.Options{}, os.Stderr, write, args...)
	if err != nil {
		return nil, err
	}
	remoteFiles.Store(f, &remoteFile{name: n.URL, p: p, write: write})
	return f, nil
}

// remoteLinger is how long Close lets a remote reader's ssh end by itself
// once its input has ended, before it stops it.
const remoteLinger = 5 * time.Second

func closeFile(f *os.File) error {
	v, ok := remoteFiles.LoadAndDelete(f)
	err := f.Close()
	if !ok {
		return err
	}
	rf := v.(*remoteFile)
	// A writer's end of input is its file's close; a reader's is told. The
	// remote side then ends by itself: a moment's grace, then ssh is
	// stopped (a writer's data is then lost, and said to be).
	rf.p.EndInput()
	t := time.NewTimer(remoteLinger)
	defer t.Stop()
	select {
	case <-rf.p.Done():
	case <-t.C:
		if !rf.write {
			rf.p.Kill()
			rf.p.Wait()
			return err // a reader that closed early: nobody wants the rest
		}
	}
	if werr := rf.p.Wait(); werr != nil {
		return &os.PathError{Op: "close", Path: rf.name, Err: werr}
	}
	return err
}

// dialRemote runs gopipe dial on the remote host. The wait for NAME to
// appear (ctx's deadline) is the remote dial's --wait: once ssh runs, the
// connection is up as far as this side can tell.
func dialRemote(ctx context.Context, n remote.Name, cfg *Config) (net.Conn, error) {
	args := []string{"dial"}
	if d, ok := ctx.Deadline(); ok {
		args = append(args, "--wait", time.Until(d).Round(time.Millisecond).String())
	}
	if cfg.MessageMode {
		args = append(args, "--message")
	}
	for _, u := range cfg.TrustServers {
		args = append(args, "--trust", u)
	}
	return remote.Dial(n, remoteOptions(cfg), os.Stderr, append(args, "--", n.Path)...)
}
