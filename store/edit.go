package store

import (
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// ReplaceFrom replaces the conversation's messages from seq on (the
// question being edited and everything after it) with question and answer,
// in one transaction: the old messages are deleted (and leave the search
// index and the crash-recovery list), the new ones appended with higher
// sequences, as AppendExchange does, update applied to the conversation.
// A summary that covers any of the old messages is dropped with them (it
// would bring their text back into later requests). It fails with
// ErrStreaming, changing nothing, while one of the old messages is still
// streaming, and with ErrNotFound when seq is not a user message of the
// conversation. It returns the stored question and answer.
func (s *Store) ReplaceFrom(conversationID string, seq uint64, question, answer Message, update ...func(*Conversation)) (Message, Message, error) {
	now := s.now().UTC()
	var out [2]Message
	err := s.write(func(tx *bolt.Tx) error {
		if question.ConversationID != conversationID || answer.ConversationID != conversationID {
			return fmt.Errorf("replace messages of %s with messages of %s and %s: %w", conversationID, question.ConversationID, answer.ConversationID, ErrNotFound)
		}
		m, b, err := getMessage(tx, conversationID, seq)
		if err != nil {
			return err
		}
		if m.Role != RoleUser {
			return fmt.Errorf("message %s is an %s message, not a question: %w", m.ID(), m.Role, ErrNotFound)
		}
		// Read every message to delete before changing anything: a
		// streaming one refuses the whole edit.
		var seqs []uint64
		c := b.Cursor()
		for k, v := c.Seek(seqKey(seq)); k != nil; k, v = c.Next() {
			var old Message
			if err := json.Unmarshal(v, &old); err != nil {
				return err
			}
			if old.State == StateStreaming {
				return fmt.Errorf("message %s: %w", old.ID(), ErrStreaming)
			}
			seqs = append(seqs, old.Seq)
		}
		for _, sq := range seqs {
			if err := b.Delete(seqKey(sq)); err != nil {
				return err
			}
			if err := s.search.Remove(tx, conversationID, sq); err != nil {
				return err
			}
			if err := tx.Bucket(bucketOpenStreams).Delete(openStreamKey(conversationID, sq)); err != nil {
				return err
			}
		}
		if err := dropSummaryFrom(tx, conversationID, seq); err != nil {
			return err
		}
		if err := s.appendMessages(tx, now, update, out[:], question, answer); err != nil {
			return err
		}
		// After the new question refers to the attachments it keeps, so
		// that only those no message uses any more are deleted.
		for _, sq := range seqs {
			if err := unrefMessage(tx, conversationID, sq); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Message{}, Message{}, wrap("replace messages", err)
	}
	return out[0], out[1], nil
}

// dropSummaryFrom deletes the conversation's summary when it covers the
// message seq or a later one.
func dropSummaryFrom(tx *bolt.Tx, conversationID string, seq uint64) error {
	sums := tx.Bucket(bucketSummaries)
	v := sums.Get([]byte(conversationID))
	if v == nil {
		return nil
	}
	var sum Summary
	if err := json.Unmarshal(v, &sum); err != nil {
		return err
	}
	if sum.Through < seq {
		return nil
	}
	return sums.Delete([]byte(conversationID))
}
