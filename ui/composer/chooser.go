package composer

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/rymdport/portal/filechooser"
)

// Chooser asks the person for files to attach, starting in folder, and
// returns their paths: none when they cancel, an error when there is no
// chooser to ask.
type Chooser func(folder string) ([]string, error)

// desktopChooser is the desktop's file chooser through the XDG desktop
// portal (D-Bus), which GNOME, KDE and most desktops run: unlike Fyne's
// dialog it picks several files at once, and it is the dialog people know.
// It is nil where there is no session bus to ask: godbus would otherwise
// launch a bus of its own (dbus-launch) that outlives the window. Where a
// bus runs without a portal, the first call fails and the paperclip falls
// back to Fyne's dialog.
func desktopChooser() Chooser {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		if dir := os.Getenv("XDG_RUNTIME_DIR"); dir == "" || !exists(filepath.Join(dir, "bus")) {
			return nil
		}
	}
	return portalChooser
}

func portalChooser(folder string) ([]string, error) {
	uris, err := filechooser.OpenFile("", "Attach files", &filechooser.OpenFileOptions{
		Multiple: true, AcceptLabel: "Attach", CurrentFolder: folder,
	})
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, u := range uris {
		if p, ok := strings.CutPrefix(u, "file://"); ok {
			paths = append(paths, plusBack(p))
		}
	}
	return paths, nil
}

// plusBack undoes the portal library's unescaping of the chooser's URIs
// with url.QueryUnescape, which reads "c++ notes.txt" as "c   notes.txt":
// when the path given does not exist, each part of it is looked up among
// its folder's entries with their pluses read as spaces.
func plusBack(p string) string {
	if !strings.Contains(p, " ") || exists(p) {
		return p
	}
	dir, base := filepath.Dir(p), filepath.Base(p)
	if dir != p {
		dir = plusBack(dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return p
	}
	for _, e := range entries {
		if strings.ReplaceAll(e.Name(), "+", " ") == base {
			return filepath.Join(dir, e.Name())
		}
	}
	return filepath.Join(dir, base)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
