package ui

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
	"github.com/deskchat/deskchat/ui/internal/chat"
)

// progressFrom is the size from which a file's chip shows how much of it
// has been read: smaller files are read before a bar could be seen.
const progressFrom = 1 << 20

// newFiles is what shows and opens the files of the chats' questions.
func (w *window) newFiles() *attachview.Files {
	return &attachview.Files{
		App: w.app, Win: w.win, B: w.b,
		Thumbs: attachview.NewThumbs(w.b, attachview.DefaultThumbs, w.st.Blob),
		Blob:   w.st.Blob,
		Failed: func(what, sentence string) { w.showError(what, &attach.Error{Sentence: sentence}) },
	}
}

// showAttachments puts a question's files above its text. The view keeps
// only what describes them: a question just sent would otherwise hold its
// files' bytes (up to 20 of 50 MB) for as long as it is shown; they are
// read back from the store when opened, and the thumbnails made while they
// were read are in the cache.
func (w *window) showAttachments(v *chat.Message) {
	if len(v.Attachments) == 0 || v.Role != store.RoleUser {
		return
	}
	atts := make([]store.Attachment, len(v.Attachments))
	for i, a := range v.Attachments {
		a.Data, a.Text = nil, ""
		atts[i] = a
	}
	v.ShowAttachments(atts, w.pane.files.Strip(atts), attachview.StripWidth(atts))
}

// pickFile is the paperclip: the desktop's own file chooser, where several
// files can be picked at once (chooser.go); where the desktop has none,
// Fyne's dialog, which picks one file at a time (several at once come by
// dropping them on the window or pasting them).
func (w *window) pickFile() {
	choose := w.compose.choose
	if choose == nil {
		w.pickOneFile()
		return
	}
	folder := ""
	if w.compose.lastDir != nil {
		folder = w.compose.lastDir.Path()
	}
	bridge.Run(w.b, func() ([]string, error) { return choose(folder) }, func(paths []string, err error) {
		if err != nil {
			w.compose.choose = nil // no chooser answers here: Fyne's from now on
			w.pickOneFile()
			return
		}
		if len(paths) > 0 {
			if l, err := storage.ListerForURI(storage.NewFileURI(filepath.Dir(paths[0]))); err == nil {
				w.compose.lastDir = l
			}
		}
		w.attachPaths(paths)
	})
}

// pickOneFile is Fyne's file dialog, opened in the folder of the last
// file picked.
func (w *window) pickOneFile() {
	d := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
		if err != nil || rc == nil {
			return // cancelled
		}
		u := rc.URI()
		_ = rc.Close() // read again, on the bridge
		if dir, err := storage.Parent(u); err == nil {
			if l, err := storage.ListerForURI(dir); err == nil {
				w.compose.lastDir = l
			}
		}
		w.attachPaths([]string{u.Path()})
	}, w.win)
	if w.compose.lastDir != nil {
		d.SetLocation(w.compose.lastDir)
	}
	d.Resize(fyne.NewSize(760, 520))
	w.showDialog(d)
}

// dropped attaches the files dropped on the window (local files only).
func (w *window) dropped(_ fyne.Position, uris []fyne.URI) {
	var paths []string
	for _, u := range uris {
		if u.Scheme() == "file" {
			paths = append(paths, u.Path())
		}
	}
	if len(uris) > 0 && len(paths) == 0 {
		w.compose.tray.Refuse("Only files on this computer can be attached.")
		return
	}
	w.attachPaths(paths)
}

// pasteFiles attaches the files the clipboard names, when all of its text
// is file names (file:// URIs, as file managers copy files, or absolute
// paths). Fyne's clipboard holds text only: an image copied from a browser
// or a screenshot tool cannot be pasted; save it and drop it instead. It
// reports whether it took the paste; if the named files turn out not to
// exist, the text is pasted after all.
func (w *window) pasteFiles() bool {
	clip := w.app.Clipboard()
	paths := attachview.Paths(clip.Content())
	if len(paths) == 0 {
		return false
	}
	bridge.Run(w.b, func() (bool, error) {
		for _, p := range paths {
			if fi, err := os.Stat(p); err != nil || fi.IsDir() {
				return false, nil
			}
		}
		return true, nil
	}, func(files bool, _ error) {
		if files {
			w.attachPaths(paths)
			return
		}
		w.compose.composer.Entry.TypedShortcut(&fyne.ShortcutPaste{Clipboard: clip})
	})
	return true
}

// attachPaths reads files into the tray above the composer, on the
// bridge; each shows as a chip at once, with its progress if it is large.
func (w *window) attachPaths(paths []string) {
	if len(paths) == 0 || !w.compose.tray.Room(len(paths)) {
		return
	}
	for _, p := range paths {
		it := w.compose.tray.Start(filepath.Base(p))
		shown := -1 // the last progress posted, in twentieths
		progress := func(f float64) {
			if step := int(f * 20); step != shown {
				shown = step
				w.b.Post(func() { it.Progress(f) })
			}
		}
		bridge.Run(w.b, func() (read, error) {
			return readFile(p, progress)
		}, func(r read, err error) {
			it.Done(r.a, r.thumb, err)
		})
	}
	w.win.Canvas().Focus(w.compose.composer)
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

// takeAttachments are the files to send with the question; ok is false
// (and the tray says why) while one is still being read.
func (w *window) takeAttachments() (atts []store.Attachment, ok bool) {
	if name := w.compose.tray.Reading(); name != "" {
		w.compose.tray.Refuse(name + " is still being read: send once its chip shows its size.")
		return nil, false
	}
	return w.compose.tray.Attachments(), true
}

// isBlank reports whether a question has nothing to send.
func isBlank(text string, atts []store.Attachment) bool {
	return strings.TrimSpace(text) == "" && len(atts) == 0
}
