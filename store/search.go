package store

// Store's side of full-text search: the engine is package store/search; the
// Store owns its Index (s.search) and feeds it the texts it writes.

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"time"

	"github.com/deskchat/deskchat/store/search"

	bolt "go.etcd.io/bbolt"
)

// DefaultSearchLimit is the number of results Search returns when
// SearchOptions.Limit is not set.
const DefaultSearchLimit = search.DefaultLimit

// SearchOrder is the order of search results.
type SearchOrder string

// Search orders.
const (
	ByNewest    SearchOrder = "newest"    // most recent message first (the default)
	ByRelevance SearchOrder = "relevance" // best match first (BM25), newest first among equals
)

// SearchOptions tune Search. The zero value returns up to DefaultSearchLimit
// results, newest first, from every conversation.
type SearchOptions struct {
	Limit          int
	By             SearchOrder
	ConversationID string // only this conversation when set
}

// Range is a byte range [Start, End) of a snippet.
type Range = search.Range

// SearchResult is one message, or one conversation title, that matches.
type SearchResult struct {
	ConversationID string `json:"conversation_id"`
	Title          string `json:"title"` // the conversation's title
	// InTitle: the match is the conversation's title; Seq is 0 and MessageID
	// and Role are empty.
	InTitle   bool      `json:"in_title,omitempty"`
	Seq       uint64    `json:"seq"`
	MessageID string    `json:"message_id"`
	Role      Role      `json:"role"`
	CreatedAt time.Time `json:"created_at"`
	// Snippet is about 160 characters of the text around the first match,
	// on one line, with "…" where it was cut; Highlights are the matches in
	// it (byte ranges, never inside a UTF-8 sequence), in order.
	Snippet    string  `json:"snippet"`
	Highlights []Range `json:"highlights"`
	Score      float64 `json:"score,omitempty"` // ByRelevance only
}

// Search returns the messages and conversation titles that contain every
// word of query, newest first unless opts say otherwise. Words match whole
// words, the last one also as a word prefix ("kube" finds "kubernetes")
// unless the query ends with a space; Chinese, Japanese and Korean text
// matches as a substring; "quoted text" must appear as written. Case, width
// and accents' composition do not matter. An empty query has no results.
// It is one read transaction. A query whose words are everywhere but
// together nowhere stops after checking 20,000 candidates against their
// text, and may then miss older matches.
func (s *Store) Search(query string, opts SearchOptions) ([]SearchResult, error) {
	q := search.Parse(query)
	if q.Empty() {
		return nil, nil
	}
	so := search.Options{Limit: opts.Limit, ByRelevance: opts.By == ByRelevance, ConversationID: opts.ConversationID}
	var out []SearchResult
	err := s.view(func(tx *bolt.Tx) error {
		hits, err := search.Find(tx, q, so, searchLookup(tx))
		for _, h := range hits {
			r := h.Item
			r.Snippet, r.Highlights, r.Score = h.Snippet, h.Highlights, h.Score
			out = append(out, r)
		}
		return err
	})
	if err != nil {
		return nil, &Error{Op: "search", Msg: "The history could not be searched.", Err: err}
	}
	return out, nil
}

// searchLookup reads the docs a search checks, in tx: a result without
// its snippet. A conversation is read once per search.
func searchLookup(tx *bolt.Tx) search.Lookup[SearchResult] {
	convs := map[string]*Conversation{}
	conv := func(id string) (*Conversation, error) {
		if c, ok := convs[id]; ok {
			return c, nil
		}
		c, err := getConversation(tx, id)
		if errors.Is(err, ErrNotFound) {
			convs[id] = nil
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		convs[id] = &c
		return &c, nil
	}
	return func(convID string, seq uint64) (string, SearchResult, bool, error) {
		c, err := conv(convID)
		if err != nil || c == nil {
			return "", SearchResult{}, false, err
		}
		res := SearchResult{ConversationID: convID, Title: c.Title}
		if seq == 0 {
			res.InTitle, res.CreatedAt = true, c.CreatedAt
			return c.Title, res, true, nil
		}
		m, _, err := getMessage(tx, convID, seq)
		if errors.Is(err, ErrNotFound) {
			return "", res, false, nil
		}
		if err != nil {
			return "", res, false, err
		}
		res.Seq, res.MessageID, res.Role, res.CreatedAt = m.Seq, m.ID(), m.Role, m.CreatedAt
		return m.Content + attachmentText(tx, m), res, true, nil
	}
}

// indexMessage makes m's content searchable, replacing what was indexed for
// it before. A message still streaming is left alone: it is indexed once
// its state is final, and again whenever its text changes afterwards. m
// must be stored (ConversationID, Seq and CreatedAt set).
//
// It also files m in the tree's index (tree.go) under its Parent: every
// writer of a message record calls it, imports included.
func (s *Store) indexMessage(tx *bolt.Tx, m Message) error {
	if err := treeOf(tx, m.ConversationID).setParent(m.Seq, m.Parent); err != nil {
		return err
	}
	if m.State == StateStreaming {
		return nil
	}
	return s.search.Put(tx, search.Doc{ConversationID: m.ConversationID, Seq: m.Seq, Created: m.CreatedAt, Text: m.Content + attachmentText(tx, m)})
}

// indexTitle makes c's title searchable, replacing its previous title.
func (s *Store) indexTitle(tx *bolt.Tx, c Conversation) error {
	return s.search.Put(tx, search.Doc{ConversationID: c.ID, Created: c.CreatedAt, Text: c.Title})
}

// buildSearchIndex indexes every conversation title and message that is
// not streaming: the migration for databases written before the index.
func (s *Store) buildSearchIndex(tx *bolt.Tx) error {
	return s.search.Build(tx, func(add func(search.Doc)) error {
		msgs := tx.Bucket(bucketMessages)
		return tx.Bucket(bucketConversations).ForEach(func(k, v []byte) error {
			var c Conversation
			if json.Unmarshal(v, &c) != nil {
				return nil // an unreadable record is not searchable; the rest is
			}
			add(search.Doc{ConversationID: string(k), Created: c.CreatedAt, Text: c.Title})
			b := msgs.Bucket(k)
			if b == nil {
				return nil
			}
			return b.ForEach(func(sk, v []byte) error {
				var m Message
				if json.Unmarshal(v, &m) != nil || len(sk) != 8 || m.State == StateStreaming {
					return nil
				}
				add(search.Doc{ConversationID: string(k), Seq: binary.BigEndian.Uint64(sk), Created: m.CreatedAt, Text: m.Content + attachmentText(tx, m)})
				return nil
			})
		})
	})
}
