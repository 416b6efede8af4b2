//go:build linux || darwin

package remote

import (
	"os"
	"syscall"
)

// ownerUID is the user that owns the file fi describes.
func ownerUID(fi os.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return -1, false
	}
	return int(st.Uid), true
}
