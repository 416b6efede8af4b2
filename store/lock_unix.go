//go:build unix

package store

import (
	"errors"
	"os"
	"syscall"
	"time"

	bolterrors "go.etcd.io/bbolt/errors"
)

// lockFile takes the exclusive advisory lock bbolt takes on a database
// file (flock), retrying until timeout; it fails with bolterrors.ErrTimeout
// while another process holds it. unlock releases it and closes the file.
func lockFile(path string, timeout time.Duration) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(timeout)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, err
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, bolterrors.ErrTimeout
		}
		<-time.After(50 * time.Millisecond)
	}
}

// releaseFile lets go of a file bbolt opened and locked when its Open
// failed half-way (a panic on a damaged page): unlocking first, as its
// mapping, which nothing can unmap now, keeps the file open and with it
// the lock, and the window could not recover the file it failed to open.
func releaseFile(f *os.File) {
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	f.Close()
}
