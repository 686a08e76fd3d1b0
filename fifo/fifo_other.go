//go:build !unix && !windows

package fifo

import (
	"context"
	"errors"
	"net"
	"os"
)

// The OSes gopipe does not target (plan9, js, wasip1) compile but refuse.

func fifoPath(name string) string     { return name }
func endpointPath(name string) string { return name }

func unsupported(op, name string) error {
	return &os.PathError{Op: op, Path: name, Err: errors.ErrUnsupported}
}

func makeFIFO(name string, _ os.FileMode) error { return unsupported("mkfifo", name) }
func openFIFO(_ context.Context, name string, _ bool) (*os.File, error) {
	return nil, unsupported("open", name)
}
func removeFIFO(name string) error  { return unsupported("remove", name) }
func runHolder() (bool, error)      { return false, nil }
func peerOf(net.Conn) (Peer, error) { return Peer{}, errors.ErrUnsupported }
func listen(name string, _ *Config) (net.Listener, error) {
	return nil, unsupported("listen", name)
}
func dial(_ context.Context, name string, _ *Config) (net.Conn, error) {
	return nil, unsupported("dial", name)
}
func inspect(name string) (Info, error)  { return Info{}, unsupported("inspect", name) }
func lookup(name string) ([]Info, error) { return nil, unsupported("inspect", name) }
func openFile(_ context.Context, name string, _ int, _ os.FileMode) (*os.File, error) {
	return nil, unsupported("open", name)
}

const hasSDDL = false

func list(dir string) ([]Info, error) { return nil, unsupported("list", dir) }
