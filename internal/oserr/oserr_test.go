package oserr

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestReason(t *testing.T) {
	dir := t.TempDir()
	_, missing := os.Open(filepath.Join(dir, "missing.txt"))
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o600)
	_, notDir := os.Open(filepath.Join(file, "inside"))
	for _, c := range []struct {
		err  error
		want string
	}{
		{missing, "it does not exist"},
		{notDir, "a file is in the way of a folder"},
		{&fs.PathError{Op: "write", Path: "/x", Err: syscall.ENOSPC}, "the disk is full"},
		{fmt.Errorf("wrapped: %w", syscall.EROFS), "the disk is read-only"},
		{&fs.PathError{Op: "open", Path: "/x", Err: syscall.EACCES}, "permission denied"},
		{syscall.EPIPE, "the output was closed"},
		{&fs.PathError{Op: "read", Path: "/secret/path", Err: syscall.EIO}, syscall.EIO.Error()},
		{errors.New("odd"), "odd"},
	} {
		if got := Reason(c.err); got != c.want {
			t.Errorf("Reason(%v) = %q, want %q", c.err, got, c.want)
		}
	}
	if _, ok := Known(syscall.EIO); ok {
		t.Error("EIO is not one of the known cases")
	}
}
