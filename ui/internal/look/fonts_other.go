//go:build !linux

package look

// FontDirs: macOS and Windows ship CJK fonts, which Fyne's own fallback
// finds (in the regular weight); the window neither looks nor warns there.
func FontDirs() []string { return nil }

const LookForCJK = false
