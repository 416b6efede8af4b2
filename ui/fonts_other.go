//go:build !linux

package ui

// fontDirs: macOS and Windows ship CJK fonts, which Fyne's own fallback
// finds (in the regular weight); the window neither looks nor warns there.
func fontDirs() []string { return nil }

const lookForCJK = false
