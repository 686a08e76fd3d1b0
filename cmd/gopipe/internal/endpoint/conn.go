package endpoint

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"time"

	"github.com/gopipe/gopipe/fifo"
)

// What serve, dial and tap share of their connections.

// dialWaiting dials name, polling for up to wait while it does not exist
// (a server that is starting). A busy server is waited for by Dial itself.
func dialWaiting(ctx context.Context, name string, cfg *fifo.Config, wait time.Duration) (net.Conn, error) {
	if wait > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, wait)
		defer cancel()
	}
	backoff := 10 * time.Millisecond
	for {
		c, err := fifo.Dial(ctx, name, cfg)
		if err == nil || wait == 0 || !errors.Is(err, fs.ErrNotExist) {
			return c, err
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, err
		case <-t.C:
		}
		backoff = min(2*backoff, 200*time.Millisecond)
	}
}

// closeWrite half-closes c where it can.
func closeWrite(c net.Conn) error {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return c.Close()
}
