package store

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
)

// recordVersion is written into every stored value so later schema steps can
// tell old records from new ones.
const recordVersion = 1

// Conversation is one chat thread.
type Conversation struct {
	V            int    `json:"v"`
	ID           string `json:"id"`
	Title        string `json:"title"`
	Provider     string `json:"provider,omitempty"`
	Model        string `json:"model,omitempty"`
	SystemPrompt string `json:"system_prompt,omitempty"`
	// TitleEdited: the user named the chat; a generated title never
	// replaces theirs.
	TitleEdited bool `json:"title_edited,omitempty"`
	// CompressionOff sends the whole history, even when it does not fit
	// the model's context window (the provider then says so).
	CompressionOff bool `json:"compression_off,omitempty"`
	// Tools names the MCP servers whose tools this chat's answers may
	// call; none (a new chat): no tools.
	Tools []string `json:"tools,omitempty"`
	// Leaf is the Seq of the last message of the active path: the branch
	// shown and sent, from Leaf up through each Parent; 0 when empty.
	Leaf      uint64    `json:"leaf,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// CreateConversation stores c under a new id and returns it with the id and
// timestamps set.
func (s *Store) CreateConversation(c Conversation) (Conversation, error) {
	now := s.now().UTC()
	c.V = recordVersion
	c.ID = newID()
	c.CreatedAt, c.UpdatedAt = now, now
	err := s.update(func(tx *bolt.Tx) error {
		if _, err := tx.Bucket(bucketMessages).CreateBucket([]byte(c.ID)); err != nil {
			return err
		}
		if err := s.indexTitle(tx, c); err != nil {
			return err
		}
		return putJSON(tx.Bucket(bucketConversations), []byte(c.ID), c)
	})
	if err != nil {
		return Conversation{}, wrap("create conversation", err)
	}
	return c, nil
}

// Conversation returns the conversation with id, or an error wrapping
// ErrNotFound.
func (s *Store) Conversation(id string) (Conversation, error) {
	var c Conversation
	err := s.view(func(tx *bolt.Tx) (err error) {
		c, err = getConversation(tx, id)
		return err
	})
	return c, wrap("get conversation", err)
}

func getConversation(tx *bolt.Tx, id string) (Conversation, error) {
	var c Conversation
	v := tx.Bucket(bucketConversations).Get([]byte(id))
	if v == nil {
		return c, fmt.Errorf("conversation %s: %w", id, ErrNotFound)
	}
	err := json.Unmarshal(v, &c)
	return c, err
}

// Conversations returns all conversations, most recently updated first.
func (s *Store) Conversations() ([]Conversation, error) {
	var out []Conversation
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketConversations).ForEach(func(_, v []byte) error {
			var c Conversation
			if err := json.Unmarshal(v, &c); err != nil {
				return err
			}
			out = append(out, c)
			return nil
		})
	})
	if err != nil {
		return nil, wrap("list conversations", err)
	}
	sortNewestFirst(out)
	return out, nil
}

// sortNewestFirst orders conversations most recently updated first.
func sortNewestFirst(out []Conversation) {
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].UpdatedAt.Equal(out[j].UpdatedAt) {
			return out[i].UpdatedAt.After(out[j].UpdatedAt)
		}
		return out[i].CreatedAt.After(out[j].CreatedAt)
	})
}

// UpdateConversation applies fn to the stored conversation and saves it. The
// id and creation time cannot be changed.
func (s *Store) UpdateConversation(id string, fn func(*Conversation)) (Conversation, error) {
	var c Conversation
	err := s.update(func(tx *bolt.Tx) (err error) {
		c, err = getConversation(tx, id)
		if err != nil {
			return err
		}
		created := c.CreatedAt
		fn(&c)
		c.ID, c.CreatedAt, c.V = id, created, recordVersion
		c.UpdatedAt = s.now().UTC()
		if err := s.indexTitle(tx, c); err != nil {
			return err
		}
		return putJSON(tx.Bucket(bucketConversations), []byte(id), c)
	})
	if err != nil {
		return Conversation{}, wrap("update conversation", err)
	}
	return c, nil
}

// DeleteConversation removes the conversation and all its messages.
func (s *Store) DeleteConversation(id string) error {
	err := s.update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketConversations).Get([]byte(id)) == nil {
			return fmt.Errorf("conversation %s: %w", id, ErrNotFound)
		}
		if err := tx.Bucket(bucketConversations).Delete([]byte(id)); err != nil {
			return err
		}
		if tx.Bucket(bucketMessages).Bucket([]byte(id)) != nil {
			if err := tx.Bucket(bucketMessages).DeleteBucket([]byte(id)); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bucketSummaries).Delete([]byte(id)); err != nil {
			return err
		}
		if err := treeOf(tx, id).drop(); err != nil {
			return err
		}
		if err := unrefConversation(tx, id); err != nil {
			return err
		}
		if err := s.search.RemoveConversation(tx, id); err != nil {
			return err
		}
		return deleteOpenStreams(tx, id)
	})
	s.memo.drop(id)
	return wrap("delete conversation", err)
}
