package store

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// AppendReply stores a question asked from an earlier message and the
// (empty, StateStreaming) answer that will be streamed to it, as
// AppendExchange does, except that the question follows the message parent
// (0: it starts a new root) instead of the Leaf: a new branch, nothing
// deleted. The answer becomes the Leaf. It fails with ErrNotFound when
// parent is not a message of the conversation.
func (s *Store) AppendReply(parent uint64, question, answer Message, update ...func(*Conversation)) (Message, Message, error) {
	now := s.now().UTC()
	var out [2]Message
	err := s.write(func(tx *bolt.Tx) error { return s.appendMessages(tx, now, &parent, update, out[:], question, answer) })
	if err != nil {
		return Message{}, Message{}, wrap("append message", err)
	}
	return out[0], out[1], nil
}

// AppendAnswerTo stores answer (empty, StateStreaming, to be streamed) as a
// new answer to the question seq: a sibling of the answers it had, which
// stay, off the active path. The answer becomes the Leaf. It fails with
// ErrStreaming, changing nothing, while a message after the question still
// streams, and with ErrNotFound when seq is not a question of the
// conversation.
func (s *Store) AppendAnswerTo(question uint64, answer Message) (Message, error) {
	now := s.now().UTC()
	var out [1]Message
	err := s.write(func(tx *bolt.Tx) error {
		q, b, err := getMessage(tx, answer.ConversationID, question)
		if err != nil {
			return err
		}
		if q.Role != RoleUser {
			return fmt.Errorf("message %s is an %s message, not a question: %w", q.ID(), q.Role, ErrNotFound)
		}
		if err := refuseStreaming(b, question+1); err != nil {
			return err
		}
		return s.appendMessages(tx, now, &question, nil, out[:], answer)
	})
	if err != nil {
		return Message{}, wrap("append answer", err)
	}
	return out[0], nil
}

// refuseStreaming fails with ErrStreaming when a message from seq on is
// still streaming.
func refuseStreaming(b *bolt.Bucket, from uint64) error {
	c := b.Cursor()
	for k, v := c.Seek(seqKey(from)); k != nil; k, v = c.Next() {
		var m Message
		if err := json.Unmarshal(v, &m); err != nil {
			return err
		}
		if m.State == StateStreaming {
			return fmt.Errorf("message %s: %w", m.ID(), ErrStreaming)
		}
	}
	return nil
}

// leafAfter is where the Leaf goes when the branch it was on is removed
// from below parent: the newest remaining child's branch, else parent.
func (t tree) leafAfter(parent uint64) uint64 {
	if kids := t.children(parent); len(kids) > 0 {
		return t.descend(kids[len(kids)-1])
	}
	return parent
}

// unlink takes the message seq out of the tree in tx, before its record
// is deleted: its children follow its parent instead, and a Leaf on it
// moves (leafAfter). c is changed and stored.
func (s *Store) unlink(tx *bolt.Tx, c *Conversation, seq uint64) error {
	t := treeOf(tx, c.ID)
	parent, _ := t.parent(seq)
	b := tx.Bucket(bucketMessages).Bucket([]byte(c.ID))
	for _, kid := range t.children(seq) {
		m, _, err := getMessage(tx, c.ID, kid)
		if err != nil {
			return err
		}
		m.Parent = parent
		if err := putJSON(b, seqKey(kid), m); err != nil {
			return err
		}
		if err := t.setParent(kid, parent); err != nil {
			return err
		}
	}
	if err := t.remove(seq); err != nil {
		return err
	}
	if c.Leaf == seq {
		c.Leaf = t.leafAfter(parent)
	}
	if err := t.activate(0, c.Leaf); err != nil {
		return err
	}
	return s.putConversation(tx, *c)
}

// DeleteBranch deletes the message seq and every message below it (their
// attachments' references, search entries and crash-recovery entries go
// with them; a summary covering one of them too). When the Leaf was among
// them it moves to a remaining sibling's branch, else to seq's parent. It
// fails with ErrStreaming, changing nothing, while one of them streams.
func (s *Store) DeleteBranch(conversationID string, seq uint64) error {
	err := s.update(func(tx *bolt.Tx) error {
		c, err := s.treeConversation(tx, conversationID)
		if err != nil {
			return err
		}
		if _, _, err := getMessage(tx, conversationID, seq); err != nil {
			return err
		}
		t := treeOf(tx, conversationID)
		gone := t.descendants(seq)
		if err := s.refuseStreamingIn(tx, conversationID, gone); err != nil {
			return err
		}
		parent, _ := t.parent(seq)
		leafGone := slices.Contains(gone, c.Leaf)
		for _, sq := range gone {
			if err := s.deleteRecord(tx, conversationID, sq); err != nil {
				return err
			}
		}
		if leafGone {
			c.Leaf = t.leafAfter(parent)
			if err := t.activate(0, c.Leaf); err != nil {
				return err
			}
		}
		if err := dropSummaryIn(tx, conversationID, gone); err != nil {
			return err
		}
		return s.putConversation(tx, c)
	})
	return wrap("delete branch", err)
}

func (s *Store) refuseStreamingIn(tx *bolt.Tx, conversationID string, seqs []uint64) error {
	for _, sq := range seqs {
		m, _, err := getMessage(tx, conversationID, sq)
		if err != nil {
			continue // unreadable: deleted all the same
		}
		if m.State == StateStreaming {
			return fmt.Errorf("message %s: %w", m.ID(), ErrStreaming)
		}
	}
	return nil
}

// deleteRecord deletes one message with everything that refers to it:
// its tree entries, attachments' references, search entry and
// crash-recovery entry.
func (s *Store) deleteRecord(tx *bolt.Tx, conversationID string, seq uint64) error {
	if err := treeOf(tx, conversationID).remove(seq); err != nil {
		return err
	}
	if err := tx.Bucket(bucketMessages).Bucket([]byte(conversationID)).Delete(seqKey(seq)); err != nil {
		return err
	}
	if err := unrefMessage(tx, conversationID, seq); err != nil {
		return err
	}
	if err := s.search.Remove(tx, conversationID, seq); err != nil {
		return err
	}
	return tx.Bucket(bucketOpenStreams).Delete(openStreamKey(conversationID, seq))
}

// dropSummaryIn deletes the conversation's summary when the last message
// it covers is one of seqs (its text would bring theirs back).
func dropSummaryIn(tx *bolt.Tx, conversationID string, seqs []uint64) error {
	sums := tx.Bucket(bucketSummaries)
	v := sums.Get([]byte(conversationID))
	if v == nil {
		return nil
	}
	var sum Summary
	if err := json.Unmarshal(v, &sum); err != nil {
		return err
	}
	if !slices.Contains(seqs, sum.Through) {
		return nil
	}
	return sums.Delete([]byte(conversationID))
}

// ForkSuffix ends the title of a conversation made by Fork.
const ForkSuffix = " (fork)"

// Fork makes a new conversation holding copies of the path from a root
// down to the message seq (numbered from 1; attachments' blobs and tool
// uses kept), titled as the conversation with ForkSuffix, with its
// provider, model, system prompt and tools; its Leaf is the copy of seq.
// It returns the new conversation.
func (s *Store) Fork(conversationID string, seq uint64) (Conversation, error) {
	now := s.now().UTC()
	var fork Conversation
	err := s.update(func(tx *bolt.Tx) error {
		c, err := s.treeConversation(tx, conversationID)
		if err != nil {
			return err
		}
		if _, _, err := getMessage(tx, conversationID, seq); err != nil {
			return err
		}
		path, err := readSeqs(tx, conversationID, treeOf(tx, conversationID).path(seq))
		if err != nil {
			return err
		}
		fork = Conversation{V: recordVersion, Title: strings.TrimSpace(c.Title + ForkSuffix), TitleEdited: true,
			Provider: c.Provider, Model: c.Model, SystemPrompt: c.SystemPrompt, CompressionOff: c.CompressionOff,
			Tools: slices.Clone(c.Tools), CreatedAt: now, UpdatedAt: now}
		convs := tx.Bucket(bucketConversations)
		for fork.ID = newID(); convs.Get([]byte(fork.ID)) != nil; fork.ID = newID() {
		}
		b, err := tx.Bucket(bucketMessages).CreateBucket([]byte(fork.ID))
		if err != nil {
			return err
		}
		b.FillPercent = 1.0
		for i, m := range path {
			m.V, m.ConversationID, m.Seq, m.Parent, m.Superseded = recordVersion, fork.ID, uint64(i+1), uint64(i), false
			if m.State == StateStreaming { // nothing streams into the copy
				m.State = StateInterrupted
			}
			if err := putJSON(b, seqKey(m.Seq), m); err != nil {
				return err
			}
			if err := refAttachments(tx, m); err != nil {
				return err
			}
			if err := s.indexMessage(tx, m); err != nil {
				return err
			}
		}
		if err := b.SetSequence(uint64(len(path))); err != nil {
			return err
		}
		fork.Leaf = uint64(len(path))
		if err := treeOf(tx, fork.ID).activate(0, fork.Leaf); err != nil {
			return err
		}
		if err := s.indexTitle(tx, fork); err != nil {
			return err
		}
		return putJSON(convs, []byte(fork.ID), fork)
	})
	if err != nil {
		return Conversation{}, wrap("fork conversation", err)
	}
	return fork, nil
}
