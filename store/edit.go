package store

import (
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// ReplaceFrom stores an edited question, question, as a sibling of the
// question seq (the same parent) and the (empty, StateStreaming) answer to
// be streamed to it below it, in one transaction, as AppendExchange does:
// the answer becomes the Leaf and nothing is deleted (the old question and
// what follows it stay, off the active path). update is applied to the
// conversation. A summary that covers seq or a later message is dropped
// (it would bring the old branch's text into later requests). It fails
// with ErrStreaming, changing nothing, while a message from seq on is still
// streaming, and with ErrNotFound when seq is not a user message of the
// conversation. It returns the stored question and answer.
func (s *Store) ReplaceFrom(conversationID string, seq uint64, question, answer Message, update ...func(*Conversation)) (Message, Message, error) {
	now := s.now().UTC()
	var out [2]Message
	err := s.write(func(tx *bolt.Tx) error {
		if question.ConversationID != conversationID || answer.ConversationID != conversationID {
			return fmt.Errorf("replace messages of %s with messages of %s and %s: %w", conversationID, question.ConversationID, answer.ConversationID, ErrNotFound)
		}
		if _, err := s.treeConversation(tx, conversationID); err != nil {
			return err
		}
		m, b, err := getMessage(tx, conversationID, seq)
		if err != nil {
			return err
		}
		if m.Role != RoleUser {
			return fmt.Errorf("message %s is an %s message, not a question: %w", m.ID(), m.Role, ErrNotFound)
		}
		if err := refuseStreaming(b, seq); err != nil {
			return err
		}
		if err := dropSummaryFrom(tx, conversationID, seq); err != nil {
			return err
		}
		t := treeOf(tx, conversationID)
		parent, _ := t.parent(seq)
		if !t.has(parent) {
			parent = 0 // a parent gone missing: the old question was a root
		}
		return s.appendMessages(tx, now, &parent, update, out[:], question, answer)
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
