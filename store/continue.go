package store

import (
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// ErrNotContinuable is returned when a message cannot be continued: only
// the last message of a conversation's active path (its Leaf), an answer
// that did not finish (interrupted, stopped or failed), can.
var ErrNotContinuable = errors.New("not an unfinished last answer")

// Continuable reports whether m is an answer that did not finish.
func Continuable(m Message) bool {
	if m.Role != RoleAssistant || m.Superseded {
		return false
	}
	switch m.State {
	case StateInterrupted, StateStopped, StateFailed:
		return true
	}
	return false
}

// ReopenAnswer puts an unfinished answer back into StateStreaming, to be
// continued: its text stays, its error and finish reason are cleared, and
// it is tracked again so that a crash leaves it interrupted. It fails with
// ErrNotContinuable, changing nothing, unless the message is its
// conversation's Leaf and Continuable. Continuing appends to the answer
// itself: no sibling is made.
func (s *Store) ReopenAnswer(conversationID string, seq uint64) (Message, error) {
	var m Message
	err := s.write(func(tx *bolt.Tx) error {
		c, err := s.treeConversation(tx, conversationID)
		if err != nil {
			return err
		}
		var b *bolt.Bucket
		if m, b, err = getMessage(tx, conversationID, seq); err != nil {
			return err
		}
		if c.Leaf != seq {
			return fmt.Errorf("message %s is not the last of the active path: %w", m.ID(), ErrNotContinuable)
		}
		if !Continuable(m) {
			return fmt.Errorf("message %s is %s %s: %w", m.ID(), m.State, m.Role, ErrNotContinuable)
		}
		m.State, m.Error, m.Finish = StateStreaming, "", ""
		m.V, m.UpdatedAt = recordVersion, s.now().UTC()
		if err := putJSON(b, seqKey(seq), m); err != nil {
			return err
		}
		return tx.Bucket(bucketOpenStreams).Put(openStreamKey(conversationID, seq), nil)
	})
	if errors.Is(err, ErrNotContinuable) {
		return Message{}, &Error{Op: "reopen answer", Msg: "Only the last answer of a chat can be continued, and only if it did not finish (interrupted, stopped or failed).", Err: err}
	}
	if err != nil {
		return Message{}, wrap("reopen answer", err)
	}
	return m, nil
}
