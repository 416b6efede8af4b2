package attachview

import (
	"net/url"
	"path/filepath"
	"strings"
)

// maxPastedPaths bounds how many lines of pasted text are read as file
// names: a longer text is text, not a list of files.
const maxPastedPaths = 100

// Paths returns the files pasted or dropped text names when the whole text
// is file names, else nil: one file:// URI (text/uri-list, what file
// managers put on the clipboard when files are copied; GNOME's list starts
// with "copy" or "cut") or one absolute path per line. Whether the files
// exist is for the caller to find out, off the UI goroutine.
func Paths(text string) []string {
	lines := strings.Split(strings.TrimSpace(text), "\n")
	if len(lines) > maxPastedPaths+1 || strings.TrimSpace(text) == "" {
		return nil
	}
	if first := strings.TrimSpace(lines[0]); first == "copy" || first == "cut" {
		lines = lines[1:]
	}
	var paths []string
	for _, l := range lines {
		l = strings.TrimSpace(strings.TrimSuffix(l, "\r"))
		if l == "" || strings.HasPrefix(l, "#") { // uri-list comments
			continue
		}
		p := pathOf(l)
		if p == "" {
			return nil
		}
		paths = append(paths, p)
	}
	return paths
}

// pathOf is the local path a line names, or "".
func pathOf(line string) string {
	if strings.HasPrefix(line, "file://") {
		u, err := url.Parse(line)
		if err != nil || (u.Host != "" && u.Host != "localhost") || u.Path == "" {
			return ""
		}
		return filepath.FromSlash(u.Path)
	}
	if strings.ContainsAny(line, "\x00") || !filepath.IsAbs(line) {
		return ""
	}
	return filepath.Clean(line)
}
