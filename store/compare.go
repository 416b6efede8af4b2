package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// AppendAnswers stores a question and the answers several providers or
// models will stream to it (each empty, StateStreaming), in one
// transaction, as AppendExchange does for one answer: every answer exists,
// and is recovered as StateInterrupted after a crash, from the moment the
// question is stored. The answers get consecutive sequences after the
// question, in the order given; their Superseded flags are stored as given
// (a comparison keeps one answer and marks the others as alternatives).
// update is applied as for AppendMessage. It returns the stored question
// and answers.
func (s *Store) AppendAnswers(question Message, answers []Message, update ...func(*Conversation)) (Message, []Message, error) {
	if len(answers) == 0 {
		return Message{}, nil, wrap("append answers", fmt.Errorf("question %s has no answer to store: %w", question.ID(), ErrNotFound))
	}
	now := s.now().UTC()
	ms := append([]Message{question}, answers...)
	out := make([]Message, len(ms))
	err := s.write(func(tx *bolt.Tx) error { return s.appendMessages(tx, now, update, out, ms...) })
	if err != nil {
		return Message{}, nil, wrap("append answers", err)
	}
	return out[0], out[1:], nil
}

// KeepAnswer makes the answer keep the one its question has in the chat
// (no longer superseded: it is sent with later requests) and the answers
// others to the same question alternatives: with discard they are deleted
// (and leave the search index and the crash-recovery list), else they are
// marked superseded (kept, not sent). One transaction. Others that no
// longer exist (a comparison's answer stopped before any provider answered
// is deleted) are skipped, as is keep if listed among them. update, when
// not nil, also changes the conversation in the same transaction; it is
// given the kept answer. A summary that covers any of the answers is
// dropped (it could bring an answer that is no longer kept into later
// requests).
//
// It fails with ErrStreaming, changing nothing, while keep or one of the
// others is still streaming, and with ErrNotFound when keep does not exist,
// when one of them is not an answer, or when they do not answer the same
// question (a question lies between them). It returns the kept answer.
func (s *Store) KeepAnswer(conversationID string, keep uint64, others []uint64, discard bool, update func(c *Conversation, kept Message)) (Message, error) {
	var kept Message
	err := s.write(func(tx *bolt.Tx) error {
		k, b, err := getMessage(tx, conversationID, keep)
		if err != nil {
			return err
		}
		// Read everything before changing anything: a refusal changes
		// nothing.
		set := []Message{k}
		for _, seq := range others {
			if seq == keep || slices.ContainsFunc(set, func(m Message) bool { return m.Seq == seq }) {
				continue
			}
			m, _, err := getMessage(tx, conversationID, seq)
			if err != nil {
				continue // deleted already: nothing to keep apart
			}
			set = append(set, m)
		}
		lo, hi := keep, keep
		for _, m := range set {
			if m.Role != RoleAssistant {
				return fmt.Errorf("message %s is a %s message, not an answer: %w", m.ID(), m.Role, ErrNotFound)
			}
			if m.State == StateStreaming {
				return fmt.Errorf("message %s: %w", m.ID(), ErrStreaming)
			}
			lo, hi = min(lo, m.Seq), max(hi, m.Seq)
		}
		c := b.Cursor()
		for key, v := c.Seek(seqKey(lo)); key != nil && bytes.Compare(key, seqKey(hi)) <= 0; key, v = c.Next() {
			var m Message
			if err := json.Unmarshal(v, &m); err != nil {
				return err
			}
			if m.Role == RoleUser {
				return fmt.Errorf("answers %d to %d of %s answer different questions: %w", lo, hi, conversationID, ErrNotFound)
			}
		}

		k.Superseded = false
		if err := putJSON(b, seqKey(k.Seq), k); err != nil {
			return err
		}
		for _, m := range set[1:] {
			if discard {
				if err := b.Delete(seqKey(m.Seq)); err != nil {
					return err
				}
				if err := unrefMessage(tx, conversationID, m.Seq); err != nil {
					return err
				}
				if err := s.search.Remove(tx, conversationID, m.Seq); err != nil {
					return err
				}
				if err := tx.Bucket(bucketOpenStreams).Delete(openStreamKey(conversationID, m.Seq)); err != nil {
					return err
				}
				continue
			}
			m.Superseded = true
			if err := putJSON(b, seqKey(m.Seq), m); err != nil {
				return err
			}
		}
		if err := dropSummaryFrom(tx, conversationID, lo); err != nil {
			return err
		}
		if update != nil {
			conv, err := getConversation(tx, conversationID)
			if err != nil {
				return err
			}
			created := conv.CreatedAt
			update(&conv, k)
			conv.ID, conv.CreatedAt, conv.V = conversationID, created, recordVersion
			if err := s.indexTitle(tx, conv); err != nil {
				return err
			}
			if err := putJSON(tx.Bucket(bucketConversations), []byte(conversationID), conv); err != nil {
				return err
			}
		}
		kept = k
		return nil
	})
	if err != nil {
		return Message{}, wrap("keep answer", err)
	}
	return kept, nil
}
