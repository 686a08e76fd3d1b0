//go:build unix && !linux && !darwin && !freebsd

package fifo

import (
	"errors"
	"fmt"
	"net"
)

const packetNetwork = ""

// peerCred is not implemented here, so a listener refuses every peer: it
// cannot tell who they are.
func peerCred(*net.UnixConn) (Peer, []int, error) {
	return Peer{}, nil, fmt.Errorf("peer credentials: %w on this OS", errors.ErrUnsupported)
}
