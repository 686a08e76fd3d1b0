package fifo

import (
	"net"
	"strconv"

	"golang.org/x/sys/unix"
)

// packetNetwork is the socket type of MessageMode: SOCK_SEQPACKET keeps
// message boundaries and, like a Windows message pipe, sees a half-close as
// a zero-length read.
const packetNetwork = "unixpacket"

// peerCred reads the peer's credentials (SO_PEERCRED: as they were at
// connect time, so a peer cannot change them afterwards).
func peerCred(c *net.UnixConn) (p Peer, gid int, err error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return p, -1, err
	}
	var cred *unix.Ucred
	cerr := rc.Control(func(fd uintptr) {
		cred, err = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	})
	if cerr != nil {
		return p, -1, cerr
	}
	if err != nil {
		return p, -1, err
	}
	uid := int(cred.Uid)
	return Peer{PID: int(cred.Pid), UserID: strconv.Itoa(uid), User: userName(uid)}, int(cred.Gid), nil
}
