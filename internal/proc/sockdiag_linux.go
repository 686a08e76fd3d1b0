package proc

import (
	"encoding/binary"
	"errors"
	"os"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// The kernel's sock_diag interface for Unix sockets (linux/unix_diag.h),
// which x/sys does not define: the only way to learn a socket's peer.
const (
	udiagShowName = 0x1
	udiagShowPeer = 0x4
	unixDiagName  = 0
	unixDiagPeer  = 2
)

func unixSockets() (map[uint64]UnixSocket, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	defer unix.Close(fd)
	// struct nlmsghdr, then struct unix_diag_req: family, protocol, pad,
	// states (all), ino (any), show, cookie.
	req := make([]byte, unix.NLMSG_HDRLEN+24)
	ne := binary.NativeEndian
	ne.PutUint32(req[0:], uint32(len(req)))
	ne.PutUint16(req[4:], unix.SOCK_DIAG_BY_FAMILY)
	ne.PutUint16(req[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	b := req[unix.NLMSG_HDRLEN:]
	b[0] = unix.AF_UNIX
	ne.PutUint32(b[4:], 0xffffffff)
	ne.PutUint32(b[12:], udiagShowName|udiagShowPeer)
	if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, os.NewSyscallError("sendto", err)
	}
	socks := map[uint64]UnixSocket{}
	buf := make([]byte, 64<<10)
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			return nil, os.NewSyscallError("recvfrom", err)
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			switch m.Header.Type {
			case unix.NLMSG_DONE:
				return socks, nil
			case unix.NLMSG_ERROR:
				return nil, errors.New("sock_diag: the kernel refused the request")
			}
			// struct unix_diag_msg: family, type, state, pad, ino,
			// cookie[2]; then attributes.
			if len(m.Data) < 16 {
				continue
			}
			s := UnixSocket{Ino: uint64(ne.Uint32(m.Data[4:]))}
			attrs := m.Data[16:]
			for len(attrs) >= unix.SizeofRtAttr {
				l := int(ne.Uint16(attrs[0:]))
				typ := ne.Uint16(attrs[2:])
				if l < unix.SizeofRtAttr || l > len(attrs) {
					break
				}
				v := attrs[unix.SizeofRtAttr:l]
				switch typ {
				case unixDiagName:
					name := string(v)
					if strings.HasPrefix(name, "\x00") {
						name = "@" + strings.TrimRight(name[1:], "\x00")
					} else {
						name = strings.TrimRight(name, "\x00")
					}
					s.Name = name
				case unixDiagPeer:
					if len(v) >= 4 {
						s.Peer = uint64(ne.Uint32(v))
					}
				}
				adv := (l + unix.RTA_ALIGNTO - 1) &^ (unix.RTA_ALIGNTO - 1)
				if adv > len(attrs) {
					break
				}
				attrs = attrs[adv:]
			}
			socks[s.Ino] = s
		}
	}
}
