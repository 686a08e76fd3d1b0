//go:build darwin || freebsd

package fifo

import (
	"net"
	"strconv"

	"golang.org/x/sys/unix"
)

// No SOCK_SEQPACKET for AF_UNIX here.
const packetNetwork = ""

// peerCred reads the peer's credentials with LOCAL_PEERCRED (getpeereid's
// source), its groups included, and on Darwin its pid with LOCAL_PEERPID.
func peerCred(c *net.UnixConn) (p Peer, groups []int, err error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return p, nil, err
	}
	var cred *unix.Xucred
	pid := 0
	cerr := rc.Control(func(fd uintptr) {
		cred, err = unix.GetsockoptXucred(int(fd), unix.SOL_LOCAL, unix.LOCAL_PEERCRED)
		pid = peerPID(int(fd))
	})
	if cerr != nil {
		return p, nil, cerr
	}
	if err != nil {
		return p, nil, err
	}
	for _, g := range cred.Groups[:min(int(cred.Ngroups), len(cred.Groups))] {
		groups = append(groups, int(g))
	}
	uid := int(cred.Uid)
	return Peer{PID: pid, UserID: strconv.Itoa(uid), User: userName(uid)}, groups, nil
}
