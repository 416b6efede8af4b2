package store

import (
	"encoding/json"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// MessagesBefore returns up to limit messages of the conversation's active
// path whose Seq is below before (0: from the path's end), in order, and
// whether earlier ones exist. A long conversation is shown a page at a
// time: the path is walked in the tree's index from its end (no message
// is decoded but those returned).
func (s *Store) MessagesBefore(conversationID string, before uint64, limit int) ([]Message, bool, error) {
	var out []Message
	more := false
	err := s.view(func(tx *bolt.Tx) error {
		c, err := getConversation(tx, conversationID)
		if err != nil {
			return err
		}
		if c.Leaf == 0 { // no tree yet: every message, as a chain
			return s.legacyBefore(tx, conversationID, before, limit, &out, &more)
		}
		// From the leaf up: the messages at or after before are passed
		// over, then limit more are taken, and one to tell whether there
		// are more. A page near the end reads a page's worth of the index.
		var seqs []uint64
		treeOf(tx, conversationID).up(c.Leaf, func(seq uint64) bool {
			if before == 0 || seq < before {
				seqs = append(seqs, seq)
			}
			return len(seqs) <= limit
		})
		if more = len(seqs) > limit; more {
			seqs = seqs[:limit]
		}
		slices.Reverse(seqs)
		out, err = readSeqs(tx, conversationID, seqs)
		return err
	})
	if err != nil {
		return nil, false, wrap("list messages", err)
	}
	return out, more, nil
}

func (s *Store) legacyBefore(tx *bolt.Tx, conversationID string, before uint64, limit int, out *[]Message, more *bool) error {
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
	if *out, *more, err = readRun(k, v, c.Prev, limit); err != nil {
		return err
	}
	slices.Reverse(*out)
	chain(tx.Bucket(bucketMessages).Bucket([]byte(conversationID)), *out)
	return nil
}

// MessagesFrom returns up to limit messages of the conversation's active
// path whose Seq is from or more, in order, and whether later ones exist.
func (s *Store) MessagesFrom(conversationID string, from uint64, limit int) ([]Message, bool, error) {
	var out []Message
	more := false
	err := s.view(func(tx *bolt.Tx) error {
		conv, err := getConversation(tx, conversationID)
		if err != nil {
			return err
		}
		if conv.Leaf == 0 { // no tree yet: every message, as a chain
			c, err := messageCursor(tx, conversationID)
			if err != nil {
				return err
			}
			k, v := c.Seek(seqKey(from))
			if out, more, err = readRun(k, v, c.Next, limit); err == nil {
				chain(tx.Bucket(bucketMessages).Bucket([]byte(conversationID)), out)
			}
			return err
		}
		// From the leaf up to from: what follows from on the path.
		var path []uint64
		treeOf(tx, conversationID).up(conv.Leaf, func(seq uint64) bool {
			if seq < from {
				return false
			}
			path = append(path, seq)
			return true
		})
		slices.Reverse(path)
		end := min(len(path), max(limit, 0))
		more = end < len(path)
		out, err = readSeqs(tx, conversationID, path[:end])
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
