package transfer

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/deskchat/deskchat/store"
)

// Attachments in exports and imports. The JSON export embeds each file's
// bytes (base64, "data") and the text a model reads of it ("text": a PDF's
// pages, a text file decoded to UTF-8) the first time a conversation uses
// it; later messages of the same conversation that carry the same file name
// its sha256 only, so the same photo in six questions is written once. An
// import checks every embedded file against its sha256 (a file damaged in
// transit is refused with a sentence, not stored as something else) and
// stores it as the same blob, byte for byte. HTML shows images inline as
// data: URLs and links other files as data: downloads; Markdown written to
// a file puts them in an attachments/ folder beside it (see attachdir.go).

// maxAttachmentBytes bounds one attachment an import stores: above every
// cap on what can be attached (50 MB for a PDF), far below what would
// exhaust memory. A variable so that tests can lower it.
var maxAttachmentBytes int64 = 64 << 20

// maxAttachmentName bounds an attachment's name and mime type as imported.
const maxAttachmentName = 255

type fileAttachment struct {
	Name   string `json:"name"`
	Mime   string `json:"mime"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	Width  int    `json:"width,omitempty"`
	Height int    `json:"height,omitempty"`
	Tokens int    `json:"tokens,omitempty"`
	Pages  int    `json:"pages,omitempty"`
	// Data is the file, base64: the first time the conversation uses it.
	Data []byte `json:"data,omitempty"`
	Text string `json:"text,omitempty"`
	// Missing: the history did not hold the file's bytes when it was
	// exported (a damaged file recovered without them).
	Missing bool `json:"missing,omitempty"`
}

func toFileAttachment(a store.Attachment) fileAttachment {
	return fileAttachment{Name: a.Name, Mime: a.Mime, Size: a.Size, SHA256: a.SHA256, Width: a.Width, Height: a.Height,
		Tokens: a.Tokens, Pages: a.Pages}
}

// emptySHA256 is the hash of no bytes: an empty file's data is omitted by
// the export ("data" is omitempty) and restored from it.
var emptySHA256 = store.SHA256(nil)

// attachmentsFrom checks message number i's attachments as read from a
// file and returns them as the store takes them. seen holds the files
// already embedded earlier in the conversation.
func attachmentsFrom(i int, fas []fileAttachment, seen map[string]bool) ([]store.Attachment, error) {
	if len(fas) == 0 {
		return nil, nil
	}
	out := make([]store.Attachment, 0, len(fas))
	for _, fa := range fas {
		name := shorten(oneLine(fa.Name), maxAttachmentName)
		if name == "" {
			name = "attachment"
		}
		if !validSHA256(fa.SHA256) {
			return nil, fmt.Errorf("the attachment %q of message %d has no valid sha256", shorten(name, 60), i+1)
		}
		if fa.Size < 0 || fa.Size > maxAttachmentBytes || int64(len(fa.Data)) > maxAttachmentBytes {
			return nil, fmt.Errorf("the attachment %q of message %d is larger than deskchat imports (%s)", shorten(name, 60), i+1, gigabytes(maxAttachmentBytes))
		}
		a := store.Attachment{Name: name, Mime: shorten(oneLine(fa.Mime), maxAttachmentName), Size: fa.Size, SHA256: fa.SHA256,
			Width: max(fa.Width, 0), Height: max(fa.Height, 0), Tokens: max(fa.Tokens, 0), Pages: max(fa.Pages, 0), Data: fa.Data, Text: fa.Text}
		if a.Data == nil && a.SHA256 == emptySHA256 && !fa.Missing {
			a.Data = []byte{}
		}
		if a.Data != nil {
			if store.SHA256(a.Data) != a.SHA256 || int64(len(a.Data)) != a.Size {
				return nil, fmt.Errorf("the attachment %q of message %d does not match its sha256 (the file is damaged)", shorten(name, 60), i+1)
			}
			if seen[a.SHA256] {
				a.Data, a.Text = nil, "" // stored already, with the conversation's first use of it
			}
			seen[a.SHA256] = true
		} else {
			a.Text = ""
		}
		out = append(out, a)
	}
	return out, nil
}

func validSHA256(s string) bool {
	if len(s) != 64 || strings.ToLower(s) != s {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// blobReader loads attachments' bytes for an export. A blob the history
// does not hold, or holds where the file is damaged, is written without its
// bytes; any other failure to read the history stops the export (err,
// checked after each conversation).
type blobReader struct {
	st  *store.Store
	err error
}

// load returns the bytes and the text of a, or ok false when they are not
// in the history.
func (b *blobReader) load(a store.Attachment) (data []byte, text string, ok bool) {
	if b == nil || b.st == nil || b.err != nil {
		return nil, "", false
	}
	data, err := b.st.Blob(a.SHA256)
	if err == nil {
		text, err = b.st.BlobText(a.SHA256)
	}
	switch {
	case errors.Is(err, store.ErrBlobMissing), store.IsDamaged(err):
		// Written as missing: one damaged file must not cost the export.
		return nil, "", false
	case err != nil:
		b.err = err
		return nil, "", false
	}
	if data == nil {
		data = []byte{}
	}
	return data, text, true
}
