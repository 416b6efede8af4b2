//go:build !linux || !cgo

package ui

// trimCHeap: only glibc keeps freed memory that needs a hand to go back;
// elsewhere there is nothing to do.
func trimCHeap() {}
