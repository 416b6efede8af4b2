// Package attach turns files a person adds to a question into
// store.Attachments, and attachments into what a provider reads.
//
// Read (or Open, for a path) takes a file's bytes: images (PNG, JPEG, WebP,
// GIF's first frame) get their size as shown (EXIF orientation applied) and
// a token estimate; text and source files are decoded to UTF-8 (from UTF-8,
// UTF-16 or Windows-1252); PDFs become their text, each page marked
// ("--- page 3 of 12 ---"). ImageURL and Encode make what a provider is
// sent of an image: turned, fitted (Fit) and re-encoded as JPEG, or PNG
// when it uses transparency; Prompt what it reads of a text or a PDF.
// Decode and Thumbnail are for showing images.
//
// Everything refused is refused with an *Error whose Error() is one
// sentence for the user, naming the file and what would work. Sizes are
// bounded before work starts (the caps below, MaxImagePixels) and a PDF's
// reading in time and text, so no file can hang or exhaust the app. The
// functions keep no state: they are safe to call from any goroutine, and
// slow ones (decoding a photo, reading a long PDF) belong off the UI's.
// It knows nothing of windows or providers' wire formats.
package attach

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/deskchat/deskchat/internal/format"
	"github.com/deskchat/deskchat/internal/oserr"
	"github.com/deskchat/deskchat/store"
)

// Kind of an attachment.
type Kind string

// Kinds.
const (
	KindImage Kind = "image"
	KindText  Kind = "text"
	KindPDF   Kind = "pdf"
)

// Caps, in bytes of the file as attached (1 MB = 1,000,000 bytes, as
// internal/format writes sizes), and in files per question.
const (
	MaxImageBytes = 20_000_000
	MaxPDFBytes   = 50_000_000
	MaxTextBytes  = 2_000_000
	MaxFiles      = 20
)

// KindsSentence names what can be attached, for refusals.
const KindsSentence = "Images (PNG, JPEG, WebP, GIF), text and source files, and PDFs can be attached."

// Error is a refused file: Sentence says which and why, for the user.
type Error struct {
	Name     string
	Sentence string
	Err      error // the cause, when there is one
}

func (e *Error) Error() string { return e.Sentence }
func (e *Error) Unwrap() error { return e.Err }

func refuse(name, format string, args ...any) *Error {
	return &Error{Name: name, Sentence: fmt.Sprintf(format, args...)}
}

// KindOf says what a stored attachment is, by its mime type.
func KindOf(a store.Attachment) Kind {
	switch {
	case a.IsImage():
		return KindImage
	case a.Mime == "application/pdf":
		return KindPDF
	}
	return KindText
}

// Open reads the file at path as an attachment. A file over its kind's cap
// is refused before it is read, and so is anything but a plain file (a
// device or a pipe would be read for ever).
func Open(path string) (store.Attachment, error) {
	name := filepath.Base(path)
	unreadable := func(err error) (store.Attachment, error) {
		return store.Attachment{}, &Error{Name: name, Sentence: fmt.Sprintf("%s could not be read: %s.", name, oserr.Reason(err)), Err: err}
	}
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		return unreadable(err)
	case fi.IsDir():
		return store.Attachment{}, refuse(name, "%s is a folder; attach the files in it instead.", name)
	case !fi.Mode().IsRegular():
		return store.Attachment{}, refuse(name, "%s is not a file that can be attached (it is a device, a pipe or a socket).", name)
	case fi.Size() > MaxPDFBytes:
		return store.Attachment{}, tooBig(name, fi.Size())
	}
	f, err := os.Open(path)
	if err != nil {
		return unreadable(err)
	}
	defer f.Close()
	// Read at most one byte over the cap: the file may have grown since.
	data, err := io.ReadAll(io.LimitReader(f, MaxPDFBytes+1))
	if err != nil {
		return unreadable(err)
	}
	if len(data) > MaxPDFBytes {
		return store.Attachment{}, tooBig(name, int64(len(data)))
	}
	return Read(name, data)
}

func tooBig(name string, size int64) *Error {
	return refuse(name, "%s is %s; attachments can be at most %s (PDFs), %s (images) or %s (text).",
		name, format.Size(size), format.Size(MaxPDFBytes), format.Size(MaxImageBytes), format.Size(MaxTextBytes))
}

// CheckCount refuses more than MaxFiles attachments on one question.
func CheckCount(n int) error {
	if n > MaxFiles {
		return &Error{Sentence: fmt.Sprintf("At most %d files can go with one question; this one has %d.", MaxFiles, n)}
	}
	return nil
}
