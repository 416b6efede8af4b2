package composer

import (
	"bytes"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"

	"github.com/deskchat/deskchat/attach"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/attachview"
	"github.com/deskchat/deskchat/ui/internal/bridge"
)

// progressFrom is the size from which a file's chip shows how much of it
// has been read: smaller files are read before a bar could be seen.
const progressFrom = 1 << 20

// pickFile is the paperclip: the desktop's own file chooser, where several
// files can be picked at once (chooser.go); where the desktop has none,
// Fyne's dialog, which picks one file at a time (several at once come by
// dropping them on the window or pasting them).
func (b *Bar) pickFile() {
	choose := b.Choose
	if choose == nil {
		b.pickOneFile()
		return
	}
	folder := ""
	if b.lastDir != nil {
		folder = b.lastDir.Path()
	}
	bridge.Run(b.host.Bridge(), func() ([]string, error) { return choose(folder) }, func(paths []string, err error) {
		if err != nil {
			b.Choose = nil // no chooser answers here: Fyne's from now on
			b.pickOneFile()
			return
		}
		if len(paths) > 0 {
			if l, err := storage.ListerForURI(storage.NewFileURI(filepath.Dir(paths[0]))); err == nil {
				b.lastDir = l
			}
		}
		b.attachPaths(paths)
	})
}

// pickOneFile is Fyne's file dialog, opened in the folder of the last
// file picked.
func (b *Bar) pickOneFile() {
	d := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
		if err != nil || rc == nil {
			return // cancelled
		}
		u := rc.URI()
		_ = rc.Close() // read again, on the bridge
		if dir, err := storage.Parent(u); err == nil {
			if l, err := storage.ListerForURI(dir); err == nil {
				b.lastDir = l
			}
		}
		b.attachPaths([]string{u.Path()})
	}, b.host.Window())
	if b.lastDir != nil {
		d.SetLocation(b.lastDir)
	}
	d.Resize(fyne.NewSize(760, 520))
	b.host.ShowDialog(d)
}

// Dropped attaches the files dropped on the window (local files only).
func (b *Bar) Dropped(_ fyne.Position, uris []fyne.URI) {
	var paths []string
	for _, u := range uris {
		if u.Scheme() == "file" {
			paths = append(paths, u.Path())
		}
	}
	if len(uris) > 0 && len(paths) == 0 {
		b.Tray.Refuse("Only files on this computer can be attached.")
		return
	}
	b.attachPaths(paths)
}

// PasteFiles attaches the files the clipboard names, when all of its text
// is file names (file:// URIs, as file managers copy files, or absolute
// paths). Fyne's clipboard holds text only: an image copied from a browser
// or a screenshot tool cannot be pasted; save it and drop it instead. It
// reports whether it took the paste; if the named files turn out not to
// exist, the text is pasted after all.
func (b *Bar) PasteFiles() bool {
	clip := b.host.Clipboard()
	paths := attachview.Paths(clip.Content())
	if len(paths) == 0 {
		return false
	}
	bridge.Run(b.host.Bridge(), func() (bool, error) {
		for _, p := range paths {
			if fi, err := os.Stat(p); err != nil || fi.IsDir() {
				return false, nil
			}
		}
		return true, nil
	}, func(files bool, _ error) {
		if files {
			b.attachPaths(paths)
			return
		}
		b.Input.Entry.TypedShortcut(&fyne.ShortcutPaste{Clipboard: clip})
	})
	return true
}

// attachPaths reads files into the tray above the composer, on the
// bridge; each shows as a chip at once, with its progress if it is large.
func (b *Bar) attachPaths(paths []string) {
	if len(paths) == 0 || !b.Tray.Room(len(paths)) {
		return
	}
	for _, p := range paths {
		it := b.Tray.Start(filepath.Base(p))
		shown := -1 // the last progress posted, in twentieths
		progress := func(f float64) {
			if step := int(f * 20); step != shown {
				shown = step
				b.host.Bridge().Post(func() { it.Progress(f) })
			}
		}
		bridge.Run(b.host.Bridge(), func() (read, error) {
			return readFile(p, progress)
		}, func(r read, err error) {
			it.Done(r.a, r.thumb, err)
		})
	}
	b.Focus()
}

// read is a file read for the tray: the attachment and, for an image, its
// thumbnail.
type read struct {
	a     store.Attachment
	thumb image.Image
}

// readFile reads the file at path as an attachment, telling progress how
// much of a large one is read, and makes an image's thumbnail. Refusals
// are *attach.Error (one sentence); a reader's panic on a hostile file is
// one too.
func readFile(path string, progress func(float64)) (r read, err error) {
	name := filepath.Base(path)
	defer func() {
		if p := recover(); p != nil {
			r, err = read{}, &attach.Error{Name: name, Sentence: name + " could not be read; it may be damaged."}
		}
	}()
	fi, err := os.Stat(path)
	if err != nil || fi.IsDir() || fi.Size() < progressFrom || fi.Size() > attach.MaxPDFBytes {
		r.a, err = attach.Open(path) // the small, the refused and the missing: its sentences
	} else {
		var data []byte
		if data, err = readAll(path, fi.Size(), progress); err != nil {
			return r, &attach.Error{Name: name, Sentence: fmt.Sprintf("%s could not be read: %v.", name, err), Err: err}
		}
		r.a, err = attach.Read(name, data)
	}
	if err != nil {
		return read{}, err
	}
	if attach.KindOf(r.a) == attach.KindImage {
		r.thumb, _ = attach.Thumbnail(r.a.Data, attachview.ThumbSide) // none: the icon shows
	}
	return r, nil
}

// readAll reads a file of size bytes, telling progress as it goes.
func readAll(path string, size int64, progress func(float64)) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var buf bytes.Buffer
	buf.Grow(int(size) + 1)
	chunk := make([]byte, 256<<10)
	for {
		n, err := f.Read(chunk)
		buf.Write(chunk[:n])
		progress(min(1, float64(buf.Len())/float64(size)))
		if err == io.EOF {
			return buf.Bytes(), nil
		}
		if err != nil {
			return nil, err
		}
		if int64(buf.Len()) > attach.MaxPDFBytes {
			return nil, fmt.Errorf("it grew past %d bytes while being read", attach.MaxPDFBytes)
		}
	}
}

// TakeAttachments are the files to send with the question; ok is false
// (and the tray says why) while one is still being read.
func (b *Bar) TakeAttachments() (atts []store.Attachment, ok bool) {
	if name := b.Tray.Reading(); name != "" {
		b.Tray.Refuse(name + " is still being read: send once its chip shows its size.")
		return nil, false
	}
	return b.Tray.Attachments(), true
}

// IsBlank reports whether a question has nothing to send.
func IsBlank(text string, atts []store.Attachment) bool {
	return strings.TrimSpace(text) == "" && len(atts) == 0
}
