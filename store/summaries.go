package store

import (
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// bucketSummaries holds each conversation's running summary of the turns
// that no longer fit its model's context window.
var bucketSummaries = []byte("summaries") // conversation id → Summary JSON

// Summary is a conversation's summary of its older turns. The messages it
// summarises stay stored; Summary only replaces them in requests.
type Summary struct {
	V              int    `json:"v"`
	ConversationID string `json:"conversation_id"`
	// Through is the sequence of the last message the summary covers: the
	// next update only needs the messages after it.
	Through   uint64    `json:"through"`
	Text      string    `json:"text"`
	Model     string    `json:"model,omitempty"` // the model that wrote it
	Tokens    int       `json:"tokens,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Summary returns the conversation's summary, or an error wrapping
// ErrNotFound when it has none.
func (s *Store) Summary(conversationID string) (Summary, error) {
	var sum Summary
	err := s.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketSummaries).Get([]byte(conversationID))
		if v == nil {
			return fmt.Errorf("summary of %s: %w", conversationID, ErrNotFound)
		}
		return json.Unmarshal(v, &sum)
	})
	return sum, wrap("get summary", err)
}

// PutSummary stores sum as its conversation's summary.
func (s *Store) PutSummary(sum Summary) error {
	sum.V = recordVersion
	sum.UpdatedAt = s.now().UTC()
	err := s.update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketConversations).Get([]byte(sum.ConversationID)) == nil {
			return fmt.Errorf("conversation %s: %w", sum.ConversationID, ErrNotFound)
		}
		return putJSON(tx.Bucket(bucketSummaries), []byte(sum.ConversationID), sum)
	})
	return wrap("put summary", err)
}
