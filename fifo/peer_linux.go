package fifo

import (
	"net"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

// packetNetwork is the socket type of MessageMode: SOCK_SEQPACKET keeps
// message boundaries and, like a Windows message pipe, sees a half-close as
// a zero-length read.
const packetNetwork = "unixpacket"

// peerCred reads the peer's credentials (SO_PEERCRED: as they were at
// connect time, so a peer cannot change them afterwards) and its groups:
// the primary one, then the supplementary ones (SO_PEERGROUPS, Linux 4.13+,
// also as at connect time; without it only the primary group is known).
func peerCred(c *net.UnixConn) (p Peer, groups []int, err error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return p, nil, err
	}
	var cred *unix.Ucred
	cerr := rc.Control(func(fd uintptr) {
		cred, err = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
		if err == nil {
			groups = append([]int{int(cred.Gid)}, peerGroups(int(fd))...)
		}
	})
	if cerr != nil {
		return p, nil, cerr
	}
	if err != nil {
		return p, nil, err
	}
	uid := int(cred.Uid)
	return Peer{PID: int(cred.Pid), UserID: strconv.Itoa(uid), User: userName(uid)}, groups, nil
}

// peerGroups reads SO_PEERGROUPS, which x/sys does not wrap: an array of
// gid_t, sized by a first call that fails with ERANGE.
func peerGroups(fd int) []int {
	buf := make([]uint32, 64)
	for range 2 {
		size := uint32(len(buf) * 4)
		_, _, e := unix.Syscall6(unix.SYS_GETSOCKOPT, uintptr(fd), unix.SOL_SOCKET, unix.SO_PEERGROUPS,
			uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&size)), 0)
		switch e {
		case 0:
			gids := make([]int, 0, size/4)
			for _, g := range buf[:size/4] {
				gids = append(gids, int(g))
			}
			return gids
		case unix.ERANGE:
			buf = make([]uint32, size/4+1)
		default:
			return nil
		}
	}
	return nil
}
