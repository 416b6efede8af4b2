package store

import (
	"encoding/json"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// Snapshot is what answering a conversation needs to read, as one read
// transaction sees it: many small reads would cost a transaction each, and
// with hundreds of requests at once bbolt's transaction bookkeeping, not
// the reading, becomes the cost.
type Snapshot struct {
	Conversation Conversation
	Messages     []Message  // the active path, in order
	all          []Message  // every message, in Seq order
	Summary      *Summary   // nil when the conversation has none
	Providers    []Provider // all of them, any order
	// DefaultProvider is the setting SettingDefaultProvider ("" when unset).
	DefaultProvider string
}

// Provider returns the provider called name, with the error Store.Provider
// gives when there is none.
func (s Snapshot) Provider(name string) (Provider, error) {
	for _, p := range s.Providers {
		if p.Name == name {
			return p, nil
		}
	}
	return Provider{}, &Error{Op: "get provider", Msg: fmt.Sprintf("There is no provider called %q.", name),
		Err: fmt.Errorf("provider %q: %w", name, ErrNotFound)}
}

// PathTo returns the path from a root down to the message seq, in order,
// as the snapshot saw it; nil when seq is not a message of the
// conversation.
func (s Snapshot) PathTo(seq uint64) []Message {
	if s.Conversation.Leaf == 0 { // no tree yet: a chain
		i, ok := slices.BinarySearchFunc(s.all, seq, func(m Message, t uint64) int { return cmpU64(m.Seq, t) })
		if !ok {
			return nil
		}
		return s.all[: i+1 : i+1]
	}
	return pathIn(s.all, seq)
}

// Snapshot reads a conversation, its messages and summary, and the
// providers, in one read transaction. Messages unchanged since the
// conversation's last Snapshot are not decoded again (memo.go).
func (s *Store) Snapshot(conversationID string) (Snapshot, error) {
	var snap Snapshot
	err := s.view(func(tx *bolt.Tx) (err error) {
		if snap.Conversation, err = getConversation(tx, conversationID); err != nil {
			return err
		}
		b := tx.Bucket(bucketMessages).Bucket([]byte(conversationID))
		if b == nil {
			return fmt.Errorf("conversation %s: %w", conversationID, ErrNotFound)
		}
		r := s.memo.reader(conversationID)
		snap.all = make([]Message, 0, cap(r.next))
		if err := b.ForEach(func(k, v []byte) error {
			m, err := r.decode(k, v)
			if err != nil {
				return err
			}
			snap.all = append(snap.all, m)
			return nil
		}); err != nil {
			return err
		}
		r.done(conversationID)
		snap.Messages = pathIn(snap.all, snap.Conversation.Leaf)
		if v := tx.Bucket(bucketSummaries).Get([]byte(conversationID)); v != nil {
			var sum Summary
			if err := json.Unmarshal(v, &sum); err != nil {
				return err
			}
			snap.Summary = &sum
		}
		if err := tx.Bucket(bucketProviders).ForEach(func(_, v []byte) error {
			var p Provider
			if err := json.Unmarshal(v, &p); err != nil {
				return err
			}
			snap.Providers = append(snap.Providers, p)
			return nil
		}); err != nil {
			return err
		}
		snap.DefaultProvider = string(tx.Bucket(bucketSettings).Get([]byte(SettingDefaultProvider)))
		return nil
	})
	if err != nil {
		return Snapshot{}, wrap("read conversation", err)
	}
	return snap, nil
}
