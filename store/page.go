package store

import (
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// MessagesBefore returns up to limit messages of the conversation whose Seq
// is below before (0: from the conversation's end), in order, and whether
// earlier ones exist. A long conversation is shown a page at a time.
func (s *Store) MessagesBefore(conversationID string, before uint64, limit int) ([]Message, bool, error) {
	var out []Message
	more := false
	err := s.view(func(tx *bolt.Tx) error {
		c, err := messageCursor(tx, conversationID)
		if err != nil {
			return err
		}
		var k, v []byte
		if before == 0 {
			k, v = c.Last()
		} else if k, _ = c.Seek(seqKey(before)); k == nil { // only the key: the run starts at the message before it
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
		out, more, err = readRun(k, v, c.Prev, limit)
		return err
	})
	if err != nil {
		return nil, false, wrap("list messages", err)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, more, nil
}

// MessagesFrom returns up to limit messages of the conversation whose Seq
// is from or more, in order, and whether later ones exist.
func (s *Store) MessagesFrom(conversationID string, from uint64, limit int) ([]Message, bool, error) {
	var out []Message
	more := false
	err := s.view(func(tx *bolt.Tx) error {
		c, err := messageCursor(tx, conversationID)
		if err != nil {
			return err
		}
		k, v := c.Seek(seqKey(from))
		out, more, err = readRun(k, v, c.Next, limit)
		return err
	})
	if err != nil {
		return nil, false, wrap("list messages", err)
	}
	return out, more, nil
}

// readRun decodes up to limit messages from k, v on, moving with next; more
// says whether the run went on beyond them.
func readRun(k, v []byte, next func() ([]byte, []byte), limit int) (out []Message, more bool, err error) {
	for ; k != nil && len(out) < limit; k, v = next() {
		var m Message
		if err := json.Unmarshal(v, &m); err != nil {
			return nil, false, err
		}
		out = append(out, m)
	}
	return out, k != nil, nil
}

func messageCursor(tx *bolt.Tx, conversationID string) (*bolt.Cursor, error) {
	b := tx.Bucket(bucketMessages).Bucket([]byte(conversationID))
	if b == nil {
		return nil, fmt.Errorf("conversation %s: %w", conversationID, ErrNotFound)
	}
	return b.Cursor(), nil
}
