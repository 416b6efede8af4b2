// Package oserr says in a few words why a file operation failed, for the
// sentences people read ("Cannot write X: the disk is full."): one phrase
// for each well-known case, the same in every package.
package oserr

import (
	"errors"
	"io/fs"
	"syscall"
)

// Known returns the phrase for a well-known failure of the system (a full
// or read-only disk, a permission, a missing file, a file where a folder
// should be, a closed output), and whether err is one.
func Known(err error) (string, bool) {
	switch {
	case errors.Is(err, syscall.ENOSPC):
		return "the disk is full", true
	case errors.Is(err, syscall.EROFS):
		return "the disk is read-only", true
	case errors.Is(err, fs.ErrPermission):
		return "permission denied", true
	case errors.Is(err, syscall.ENOTDIR):
		return "a file is in the way of a folder", true
	case errors.Is(err, syscall.EISDIR):
		return "it is a folder", true
	case errors.Is(err, syscall.EPIPE):
		return "the output was closed", true
	case errors.Is(err, fs.ErrNotExist):
		return "it does not exist", true
	}
	return "", false
}

// Reason is Known's phrase, else the system's own words without the
// operation and path around them (the sentence names the file already).
func Reason(err error) string {
	if s, ok := Known(err); ok {
		return s
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
