package attach

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/deskchat/deskchat/store"
)

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a, err := Open(write("notes.md", []byte("# Title\n")))
	if err != nil || a.Name != "notes.md" || a.Text != "# Title\n" || a.SHA256 != store.SHA256([]byte("# Title\n")) {
		t.Fatalf("Open: %+v, %v", a, err)
	}
	if a, err := Open(write("p.png", encodePNG(t, quadrants(10, 6)))); err != nil || KindOf(a) != KindImage || a.Width != 10 {
		t.Fatalf("Open png: %+v, %v", a, err)
	}

	big := filepath.Join(dir, "big.pdf")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxPDFBytes + 1); err != nil { // sparse: nothing written
		t.Fatal(err)
	}
	f.Close()
	fifo := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, want string }{
		{filepath.Join(dir, "missing.txt"), "missing.txt could not be read: it does not exist."},
		{dir, "is a folder"},
		{big, "big.pdf is 50.0 MB; attachments can be at most 50.0 MB (PDFs), 20.0 MB (images) or 2.0 MB (text)."},
		{fifo, "pipe is not a file that can be attached"},
	} {
		_, err := Open(c.path)
		var ae *Error
		if !errors.As(err, &ae) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Open(%s): %v; want %q", filepath.Base(c.path), err, c.want)
		}
	}
}

func TestCheckCountAndKinds(t *testing.T) {
	if err := CheckCount(MaxFiles); err != nil {
		t.Error(err)
	}
	if err := CheckCount(MaxFiles + 1); err == nil || err.Error() != "At most 20 files can go with one question; this one has 21." {
		t.Errorf("CheckCount(21) = %v", err)
	}
	for mime, want := range map[string]Kind{
		"image/jpeg": KindImage, "image/webp": KindImage, "application/pdf": KindPDF,
		"text/x-go; charset=utf-8": KindText, "application/json; charset=utf-8": KindText, "text/xml; charset=utf-8": KindText,
	} {
		if k := KindOf(store.Attachment{Mime: mime}); k != want {
			t.Errorf("KindOf(%s) = %s, want %s", mime, k, want)
		}
	}
	var ae *Error
	err := error(&Error{Name: "x", Sentence: "x is bad.", Err: os.ErrNotExist})
	if !errors.As(err, &ae) || !errors.Is(err, os.ErrNotExist) || err.Error() != "x is bad." {
		t.Error("Error does not wrap its cause or say its sentence")
	}
}
