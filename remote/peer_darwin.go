package remote

import (
	"net"

	"golang.org/x/sys/unix"
)

// supported: the peer's user can be checked here.
const supported = true

// kernelPeerUID is the uid of the process at the other end of conn, as the
// kernel recorded it when it connected (LOCAL_PEERCRED).
func kernelPeerUID(conn *net.UnixConn) (int, error) {
	raw, err := conn.SyscallConn()
	if err != nil {
		return -1, err
	}
	var cred *unix.Xucred
	var serr error
	if err := raw.Control(func(fd uintptr) {
		cred, serr = unix.GetsockoptXucred(int(fd), unix.SOL_LOCAL, unix.LOCAL_PEERCRED)
	}); err != nil {
		return -1, err
	}
	if serr != nil {
		return -1, serr
	}
	return int(cred.Uid), nil
}
