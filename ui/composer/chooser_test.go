package composer

import (
	"os"
	"path/filepath"
	"testing"
)

func TestAPlusInAChosenFileNameIsKept(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a+b")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	plus := filepath.Join(dir, "c++ notes.txt")
	space := filepath.Join(dir, "two words.txt")
	for _, p := range []string{plus, space} {
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// What the portal library hands back: its QueryUnescape made each + a
	// space, in the folder's name too.
	given := filepath.Join(filepath.Dir(dir), "a b", "c   notes.txt")
	if got := plusBack(given); got != plus {
		t.Fatalf("plusBack(%q) = %q, want %q", given, got, plus)
	}
	if got := plusBack(space); got != space {
		t.Errorf("a name with a real space became %q", got)
	}
	if gone := filepath.Join(dir, "no such file.txt"); plusBack(gone) != gone {
		t.Errorf("a path to no file changed to %q", plusBack(gone))
	}
}

func TestNoSessionBusNoDesktopChooser(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir()) // no bus socket in it
	if desktopChooser() != nil {
		t.Fatal("a chooser without a session bus: godbus would launch a bus of its own")
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
	if desktopChooser() == nil {
		t.Fatal("no chooser although a session bus is named")
	}
}
