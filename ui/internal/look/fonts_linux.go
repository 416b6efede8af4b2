package look

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// FontDirs are the folders fontconfig reads by default on Linux
// (/etc/fonts/fonts.conf): the XDG data folders' fonts and ~/.fonts.
func FontDirs() []string {
	var dirs []string
	home, _ := os.UserHomeDir()
	data := os.Getenv("XDG_DATA_HOME")
	if data == "" && home != "" {
		data = filepath.Join(home, ".local", "share")
	}
	if data != "" {
		dirs = append(dirs, filepath.Join(data, "fonts"))
	}
	if home != "" {
		dirs = append(dirs, filepath.Join(home, ".fonts"))
	}
	sys := os.Getenv("XDG_DATA_DIRS")
	if sys == "" {
		sys = "/usr/local/share:/usr/share"
	}
	for _, d := range strings.Split(sys, ":") {
		if d != "" {
			dirs = append(dirs, filepath.Join(d, "fonts"))
		}
	}
	dirs = append(dirs, "/usr/share/fonts", "/usr/local/share/fonts")
	out := dirs[:0]
	for _, d := range dirs {
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// LookForCJK: on Linux a CJK font is often missing, so the window looks.
const LookForCJK = true
