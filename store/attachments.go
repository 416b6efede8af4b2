package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Attachment is a file that went with a question: an image, a text or
// source file, or a PDF. The message keeps only what describes it; the bytes
// are a blob stored once under their SHA-256, however many messages use
// them, and removed in the transaction that removes the last message
// referring to them.
type Attachment struct {
	Name   string `json:"name"`
	Mime   string `json:"mime"`
	Size   int64  `json:"size"`   // bytes of the file as attached
	SHA256 string `json:"sha256"` // hex; the blob's key
	Width  int    `json:"width,omitempty"`
	Height int    `json:"height,omitempty"` // images, as shown (EXIF orientation applied)
	Tokens int    `json:"tokens,omitempty"` // what the model is estimated to read of it
	Pages  int    `json:"pages,omitempty"`  // PDFs

	// Data and Text travel with a message being stored (AppendMessage,
	// AppendExchange, ReplaceFrom, imports): the store writes them as the
	// blob and its text, once, and never into the message record. Read
	// back, both are empty: Blob and BlobText load them.
	Data []byte `json:"-"`
	// Text is what a model reads of a text file or a PDF (decoded to UTF-8,
	// pages marked), and what search finds; empty for images.
	Text string `json:"-"`
}

// IsImage reports whether the attachment is a picture the model looks at.
func (a Attachment) IsImage() bool { return len(a.Mime) > 6 && a.Mime[:6] == "image/" }

// Blob buckets. bucketBlobs: sha256 hex → the file's bytes; bucketBlobText:
// sha256 hex → its text; bucketBlobRefs: sha256 hex NUL conversation NUL
// seq → nothing, one key per message using the blob; bucketAttached:
// conversation NUL seq NUL sha256 hex → nothing, the same references read
// from the message's side, so that deleting a conversation finds its blobs
// without reading its messages.
var (
	bucketBlobs    = []byte("blobs")
	bucketBlobText = []byte("blob_text")
	bucketBlobRefs = []byte("blob_refs")
	bucketAttached = []byte("attached")
)

// ErrBlobMissing: the message names an attachment whose bytes are not in the
// history (a damaged file recovered without them).
var ErrBlobMissing = fmt.Errorf("attachment not in the history: %w", ErrNotFound)

// SHA256 returns the hex SHA-256 of data, the key its blob is stored under.
func SHA256(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// Blob returns the bytes of the attachment stored under sha.
func (s *Store) Blob(sha string) ([]byte, error) {
	var out []byte
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketBlobs)
		var v []byte
		if b != nil {
			v = b.Get([]byte(sha))
		}
		if v == nil {
			return fmt.Errorf("blob %.12s: %w", sha, ErrBlobMissing)
		}
		out = bytes.Clone(v)
		return nil
	})
	return out, wrap("read attachment", err)
}

// BlobText returns the text stored with the blob sha ("" for images).
func (s *Store) BlobText(sha string) (string, error) {
	var out string
	err := s.view(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketBlobText); b != nil {
			out = string(b.Get([]byte(sha)))
		}
		return nil
	})
	return out, wrap("read attachment", err)
}

// BlobStats counts the stored blobs and their bytes.
func (s *Store) BlobStats() (count int, size int64, err error) {
	err = s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketBlobs)
		if b == nil {
			return nil
		}
		return b.ForEach(func(_, v []byte) error {
			count++
			size += int64(len(v))
			return nil
		})
	})
	return count, size, wrap("count attachments", err)
}

// refAttachments writes m's attachments' blobs that are not stored yet and
// records that m uses them. An attachment that arrives without Data and
// whose blob is missing is still recorded: the message keeps saying what
// was attached, and Blob says it is gone.
func refAttachments(tx *bolt.Tx, m Message) error {
	for _, a := range m.Attachments {
		if a.Data != nil {
			if SHA256(a.Data) != a.SHA256 {
				return fmt.Errorf("attachment %q: its sha256 does not match its bytes", a.Name)
			}
			blobs := tx.Bucket(bucketBlobs)
			if blobs.Get([]byte(a.SHA256)) == nil {
				if err := blobs.Put([]byte(a.SHA256), a.Data); err != nil {
					return err
				}
			}
			if a.Text != "" {
				if err := tx.Bucket(bucketBlobText).Put([]byte(a.SHA256), []byte(a.Text)); err != nil {
					return err
				}
			}
		}
		if err := tx.Bucket(bucketBlobRefs).Put(blobRefKey(a.SHA256, m.ConversationID, m.Seq), nil); err != nil {
			return err
		}
		if err := tx.Bucket(bucketAttached).Put(attachedKey(m.ConversationID, m.Seq, a.SHA256), nil); err != nil {
			return err
		}
	}
	return nil
}

// unrefMessage forgets that message conversationID-seq uses any blob, and
// deletes each blob no other message uses.
func unrefMessage(tx *bolt.Tx, conversationID string, seq uint64) error {
	return unrefPrefix(tx, append([]byte(conversationID+"\x00"), append(seqKey(seq), 0)...))
}

// unrefConversation does unrefMessage for every message of a conversation.
func unrefConversation(tx *bolt.Tx, conversationID string) error {
	return unrefPrefix(tx, []byte(conversationID+"\x00"))
}

func unrefPrefix(tx *bolt.Tx, prefix []byte) error {
	attached := tx.Bucket(bucketAttached)
	var keys [][]byte
	c := attached.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k))
	}
	for _, k := range keys {
		conv, seq, sha, ok := splitAttachedKey(k)
		if err := attached.Delete(k); err != nil {
			return err
		}
		if !ok {
			continue
		}
		if err := tx.Bucket(bucketBlobRefs).Delete(blobRefKey(sha, conv, seq)); err != nil {
			return err
		}
		if err := dropUnused(tx, sha); err != nil {
			return err
		}
	}
	return nil
}

// dropUnused deletes blob sha when no message refers to it any more.
func dropUnused(tx *bolt.Tx, sha string) error {
	prefix := []byte(sha + "\x00")
	if k, _ := tx.Bucket(bucketBlobRefs).Cursor().Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) {
		return nil
	}
	if err := tx.Bucket(bucketBlobs).Delete([]byte(sha)); err != nil {
		return err
	}
	return tx.Bucket(bucketBlobText).Delete([]byte(sha))
}

// pruneBlobs deletes every blob no message refers to: after a recover, whose
// raw copy of the blobs may hold some whose messages were lost.
func pruneBlobs(tx *bolt.Tx) error {
	var unused []string
	refs := tx.Bucket(bucketBlobRefs)
	if err := tx.Bucket(bucketBlobs).ForEach(func(k, _ []byte) error {
		prefix := append(bytes.Clone(k), 0)
		if r, _ := refs.Cursor().Seek(prefix); r == nil || !bytes.HasPrefix(r, prefix) {
			unused = append(unused, string(k))
		}
		return nil
	}); err != nil {
		return err
	}
	for _, sha := range unused {
		if err := dropUnused(tx, sha); err != nil {
			return err
		}
	}
	return nil
}

func blobRefKey(sha, conversationID string, seq uint64) []byte {
	k := make([]byte, 0, len(sha)+len(conversationID)+10)
	k = append(k, sha...)
	k = append(k, 0)
	k = append(k, conversationID...)
	k = append(k, 0)
	return append(k, seqKey(seq)...)
}

func attachedKey(conversationID string, seq uint64, sha string) []byte {
	k := make([]byte, 0, len(sha)+len(conversationID)+10)
	k = append(k, conversationID...)
	k = append(k, 0)
	k = append(k, seqKey(seq)...)
	k = append(k, 0)
	return append(k, sha...)
}

func splitAttachedKey(k []byte) (conversationID string, seq uint64, sha string, ok bool) {
	i := bytes.IndexByte(k, 0)
	if i < 0 || len(k) < i+10 || k[i+9] != 0 {
		return "", 0, "", false
	}
	return string(k[:i]), le64be(k[i+1 : i+9]), string(k[i+10:]), true
}

// attachmentText is what search indexes of a message's attachments: their
// names and the text of text files and PDFs.
func attachmentText(tx *bolt.Tx, m Message) string {
	if len(m.Attachments) == 0 {
		return ""
	}
	var sb bytes.Buffer
	texts := tx.Bucket(bucketBlobText)
	for _, a := range m.Attachments {
		sb.WriteString("\n")
		sb.WriteString(a.Name)
		text := a.Text
		if text == "" && texts != nil {
			text = string(texts.Get([]byte(a.SHA256)))
		}
		if text != "" {
			sb.WriteString("\n")
			sb.WriteString(text)
		}
	}
	return sb.String()
}

// setRefs makes the blob references of a message being overwritten match
// its attachments: new ones are recorded, dropped ones forgotten (and their
// blobs deleted when no other message uses them).
func setRefs(tx *bolt.Tx, m Message) error {
	if err := refAttachments(tx, m); err != nil {
		return err
	}
	keep := make(map[string]bool, len(m.Attachments))
	for _, a := range m.Attachments {
		keep[a.SHA256] = true
	}
	prefix := append([]byte(m.ConversationID+"\x00"), append(seqKey(m.Seq), 0)...)
	var drop []string
	c := tx.Bucket(bucketAttached).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if sha := string(k[len(prefix):]); !keep[sha] {
			drop = append(drop, sha)
		}
	}
	for _, sha := range drop {
		if err := tx.Bucket(bucketAttached).Delete(attachedKey(m.ConversationID, m.Seq, sha)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketBlobRefs).Delete(blobRefKey(sha, m.ConversationID, m.Seq)); err != nil {
			return err
		}
		if err := dropUnused(tx, sha); err != nil {
			return err
		}
	}
	return nil
}

// described returns as without their bytes and text: what a message read
// back from the store holds, so that a stored message does not keep a
// photo alive in memory.
func described(as []Attachment) []Attachment {
	if len(as) == 0 {
		return as
	}
	out := make([]Attachment, len(as))
	for i, a := range as {
		a.Data, a.Text = nil, ""
		out[i] = a
	}
	return out
}
