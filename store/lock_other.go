//go:build !unix

package store

import (
	"errors"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// lockFile holds the database file the way bbolt does on this system, by
// opening it as a bbolt database (bbolt's own lock); it fails with
// bolterrors.ErrTimeout while another process holds it.
func lockFile(path string, timeout time.Duration) (unlock func(), err error) {
	defer func() {
		if r := recover(); r != nil { // a damaged file: nobody holds it
			unlock, err = func() {}, nil
		}
	}()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout, ReadOnly: true})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, err
	}
	if err != nil { // not a database (damaged): nobody can hold it
		return func() {}, nil
	}
	return func() { db.Close() }, nil
}

// releaseFile lets go of a file bbolt opened and locked when its Open
// failed half-way (a panic on a damaged page).
func releaseFile(f *os.File) { f.Close() }
