package remote

import (
	"fmt"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// maxSockName is the longest socket path the kernel takes (sun_path holds
// 108 bytes with the final NUL).
const maxSockName = 107

// sockName is a name for the socket at path that fits the kernel's limit:
// path itself, or for a longer one the same file reached through an open
// descriptor of its folder (/proc/self/fd/N/deskchat.sock), valid until
// release. The name is resolved when the socket binds or connects.
func sockName(path string) (name string, release func(), err error) {
	if len(path) <= maxSockName {
		return path, func() {}, nil
	}
	fd, err := unix.Open(filepath.Dir(path), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", nil, fmt.Errorf("remote: open %s: %w", filepath.Dir(path), err)
	}
	return fmt.Sprintf("/proc/self/fd/%d/%s", fd, filepath.Base(path)), func() { unix.Close(fd) }, nil
}
