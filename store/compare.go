package store

import (
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// AppendAnswers stores a question and the answers several providers or
// models will stream to it (each empty, StateStreaming), in one
// transaction, as AppendExchange does for one answer: every answer exists,
// and is recovered as StateInterrupted after a crash, from the moment the
// question is stored. The question follows the Leaf and the answers are
// siblings below it, with consecutive sequences in the order given; the
// first is the Leaf (the chat's answer until KeepAnswer chooses another).
// update is applied as for AppendMessage. It returns the stored question
// and answers.
func (s *Store) AppendAnswers(question Message, answers []Message, update ...func(*Conversation)) (Message, []Message, error) {
	if len(answers) == 0 {
		return Message{}, nil, wrap("append answers", fmt.Errorf("question %s has no answer to store: %w", question.ID(), ErrNotFound))
	}
	now := s.now().UTC()
	ms := append([]Message{question}, answers...)
	out := make([]Message, len(ms))
	err := s.write(func(tx *bolt.Tx) error { return s.appendMessages(tx, now, nil, update, out, ms...) })
	if err != nil {
		return Message{}, nil, wrap("append answers", err)
	}
	return out[0], out[1:], nil
}

// KeepAnswer makes the answer keep its question's answer in the chat: the
// active path goes through it (as SwitchBranch), so it is sent with later
// requests. The answers others to the same question (its siblings) are
// deleted with discard (with what follows them; they leave the search
// index and the crash-recovery list), else they stay as siblings, off the
// active path. One transaction. Others that no longer exist (a
// comparison's answer stopped before any provider answered is deleted) are
// skipped, as is keep if listed among them. update, when not nil, also
// changes the conversation in the same transaction; it is given the kept
// answer. A summary that covers any of the answers is dropped (it could
// bring an answer that is no longer kept into later requests).
//
// It fails with ErrStreaming, changing nothing, while keep or one of the
// others is still streaming, and with ErrNotFound when keep does not exist,
// when one of them is not an answer, or when they do not answer the same
// question (they have different parents). It returns the kept answer.
func (s *Store) KeepAnswer(conversationID string, keep uint64, others []uint64, discard bool, update func(c *Conversation, kept Message)) (Message, error) {
	var kept Message
	err := s.write(func(tx *bolt.Tx) error {
		conv, err := s.treeConversation(tx, conversationID)
		if err != nil {
			return err
		}
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
		t := treeOf(tx, conversationID)
		question, _ := t.parent(keep)
		lo := keep
		for _, m := range set {
			if m.Role != RoleAssistant {
				return fmt.Errorf("message %s is a %s message, not an answer: %w", m.ID(), m.Role, ErrNotFound)
			}
			if m.State == StateStreaming {
				return fmt.Errorf("message %s: %w", m.ID(), ErrStreaming)
			}
			if p, _ := t.parent(m.Seq); p != question {
				return fmt.Errorf("answers %d and %d of %s answer different questions: %w", keep, m.Seq, conversationID, ErrNotFound)
			}
			lo = min(lo, m.Seq)
		}
		if discard {
			for _, m := range set[1:] {
				gone := t.descendants(m.Seq)
				if err := s.refuseStreamingIn(tx, conversationID, gone); err != nil {
					return err
				}
				for _, sq := range gone {
					if err := s.deleteRecord(tx, conversationID, sq); err != nil {
						return err
					}
				}
			}
		}
		if k.Superseded {
			k.Superseded = false
			if err := putJSON(b, seqKey(k.Seq), k); err != nil {
				return err
			}
		}
		conv.Leaf = t.descend(keep)
		if err := t.activate(0, conv.Leaf); err != nil {
			return err
		}
		if err := dropSummaryFrom(tx, conversationID, lo); err != nil {
			return err
		}
		if update != nil {
			created := conv.CreatedAt
			update(&conv, k)
			conv.ID, conv.CreatedAt, conv.V = conversationID, created, recordVersion
			if err := s.indexTitle(tx, conv); err != nil {
				return err
			}
		}
		kept = k
		return s.putConversation(tx, conv)
	})
	if err != nil {
		return Message{}, wrap("keep answer", err)
	}
	return kept, nil
}
