// Package attach turns files a person adds to a question into
// store.Attachments, and attachments into what a provider reads: images
// (PNG, JPEG, WebP, GIF's first frame) oriented by their EXIF, fitted to the
// provider's limits and re-encoded; text and source files decoded to UTF-8;
// PDFs as their text, pages marked. Everything that is refused is refused
// with one sentence naming the file and what would work. It knows nothing of
// windows or providers' wire formats.
package attach

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"deskchat/internal/format"
	"deskchat/store"
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
		return store.Attachment{}, &Error{Name: name, Sentence: fmt.Sprintf("%s could not be read: %s.", name, why(err)), Err: err}
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

func why(err error) string {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "there is no such file"
	case errors.Is(err, os.ErrPermission):
		return "permission denied"
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
