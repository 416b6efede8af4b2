package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/deskchat/deskchat/internal/redact"
)

// Role says who wrote a message.
type Role string

// Roles.
const (
	RoleSystem    Role = "system"
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
)

// State is the life-cycle state of a message. User and system messages are
// always StateDone.
type State string

// Message states.
const (
	StateStreaming   State = "streaming"   // being written by a live stream
	StateDone        State = "done"        // complete
	StateStopped     State = "stopped"     // the user stopped it; text is partial
	StateFailed      State = "failed"      // the provider failed; text is what arrived
	StateInterrupted State = "interrupted" // the app died while streaming
)

// Message is one message of a conversation. Seq orders messages within their
// conversation; (ConversationID, Seq) identifies it.
type Message struct {
	V              int    `json:"v"`
	ConversationID string `json:"conversation_id"`
	Seq            uint64 `json:"seq"`
	// Parent is the Seq of the message this one follows in the tree of the
	// conversation; 0 for a first message (a conversation may have several:
	// an edited first question is a sibling of the original). Editing,
	// regenerating and comparing add siblings instead of deleting.
	Parent       uint64 `json:"parent,omitempty"`
	Role         Role   `json:"role"`
	Content      string `json:"content"`
	Reasoning    string `json:"reasoning,omitempty"`
	State        State  `json:"state"`
	Provider     string `json:"provider,omitempty"`
	Model        string `json:"model,omitempty"`
	Finish       string `json:"finish,omitempty"`
	Error        string `json:"error,omitempty"`      // the sentence shown for a failed answer
	Pinned       bool   `json:"pinned,omitempty"`     // always sent, never summarised away
	Superseded   bool   `json:"superseded,omitempty"` // legacy (before trees): replaced by a regenerated answer; see Supersede
	PromptTokens int    `json:"prompt_tokens,omitempty"`
	OutputTokens int    `json:"output_tokens,omitempty"`
	// Attachments went with a question (attachments.go). Their bytes are
	// blobs of their own; a message lists what describes them.
	Attachments []Attachment `json:"attachments,omitempty"`
	// Tools are the calls an answer made to MCP tools, in order (see
	// ToolUse): the history sent later rebuilds the assistant's tool calls
	// and the tool results from them.
	Tools     []ToolUse `json:"tools,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ID is the message's identifier as shown to users: "<conversation>-<seq>".
func (m Message) ID() string { return m.ConversationID + "-" + strconv.FormatUint(m.Seq, 10) }

// ParseMessageID splits an identifier made by Message.ID.
func ParseMessageID(id string) (conversationID string, seq uint64, err error) {
	i := strings.LastIndexByte(id, '-')
	if i <= 0 {
		return "", 0, fmt.Errorf("message id %q: %w", id, ErrNotFound)
	}
	seq, err = strconv.ParseUint(id[i+1:], 10, 64)
	if err != nil {
		return "", 0, fmt.Errorf("message id %q: %w", id, ErrNotFound)
	}
	return id[:i], seq, nil
}

var bucketOpenStreams = []byte("open_streams") // key: conversation id + seq, for crash recovery

// AppendMessage stores m as the next message of its conversation, under
// the conversation's Leaf (m.Parent is set so), makes it the Leaf and
// returns it with Seq, Parent and timestamps set. A message with StateStreaming is tracked so
// that a crash leaves it marked StateInterrupted on the next Open.
//
// update, when given, also changes the conversation in the same transaction
// (e.g. its title and model when the first question is asked).
func (s *Store) AppendMessage(m Message, update ...func(*Conversation)) (Message, error) {
	now := s.now().UTC()
	var out [1]Message
	err := s.write(func(tx *bolt.Tx) error { return s.appendMessages(tx, now, nil, update, out[:], m) })
	if err != nil {
		return Message{}, wrap("append message", err)
	}
	return out[0], nil
}

// AppendExchange stores a question and the (empty, StateStreaming) answer
// that will be streamed to it, in one transaction: the answer exists, and
// is recovered as StateInterrupted after a crash, from the moment the
// question is stored. The question follows the conversation's Leaf, the
// answer the question, and the answer becomes the Leaf. update is applied
// as for AppendMessage.
func (s *Store) AppendExchange(question, answer Message, update ...func(*Conversation)) (Message, Message, error) {
	now := s.now().UTC()
	var out [2]Message
	err := s.write(func(tx *bolt.Tx) error { return s.appendMessages(tx, now, nil, update, out[:], question, answer) })
	if err != nil {
		return Message{}, Message{}, wrap("append message", err)
	}
	return out[0], out[1], nil
}

// appendMessages stores ms, in order, as the next messages of their
// conversation (that of the first) in tx, applies update to the
// conversation, and writes the stored messages into out. The first follows
// under (nil: the conversation's Leaf; 0: a new root), the others the
// first (a question's answers), and the last the conversation's new Leaf
// when one message is stored, else the second (a comparison's first
// answer). It may run more than once for one call (see Store.write), so it
// leaves ms alone.
func (s *Store) appendMessages(tx *bolt.Tx, now time.Time, under *uint64, update []func(*Conversation), out []Message, ms ...Message) error {
	convID := ms[0].ConversationID
	c, err := s.treeConversation(tx, convID)
	if err != nil {
		return err
	}
	b := tx.Bucket(bucketMessages).Bucket([]byte(convID))
	if b == nil {
		return fmt.Errorf("messages of %s: %w", convID, ErrNotFound)
	}
	parent := c.Leaf
	if under != nil {
		parent = *under
	}
	if parent != 0 && b.Get(seqKey(parent)) == nil {
		return fmt.Errorf("message %s-%d to follow: %w", convID, parent, ErrNotFound)
	}
	b.FillPercent = 1.0 // append-only keys: pack pages full
	for i, m := range ms {
		m.Parent = parent
		if i > 0 {
			m.Parent = out[0].Seq
		}
		if m.ConversationID != convID {
			return fmt.Errorf("append message: %s and %s in one write: %w", convID, m.ConversationID, ErrNotFound)
		}
		m.V = recordVersion
		m.CreatedAt, m.UpdatedAt = now, now
		if m.State == "" {
			m.State = StateDone
		}
		if m.Seq, err = b.NextSequence(); err != nil {
			return err
		}
		if err := putJSON(b, seqKey(m.Seq), m); err != nil {
			return err
		}
		if err := refAttachments(tx, m); err != nil {
			return err
		}
		if m.State == StateStreaming {
			if err := tx.Bucket(bucketOpenStreams).Put(openStreamKey(m.ConversationID, m.Seq), nil); err != nil {
				return err
			}
		}
		if err := s.indexMessage(tx, m); err != nil {
			return err
		}
		m.Attachments = described(m.Attachments)
		out[i] = m
	}
	leaf := out[min(1, len(ms)-1)].Seq
	if err := treeOf(tx, convID).activate(c.Leaf, leaf); err != nil {
		return err
	}
	c.Leaf = leaf
	for _, u := range update {
		u(&c)
	}
	c.ID, c.UpdatedAt = convID, now
	if err := s.indexTitle(tx, c); err != nil {
		return err
	}
	return putJSON(tx.Bucket(bucketConversations), []byte(c.ID), c)
}

// WriteProblem says why a write failed, as the start of a sentence: a full
// disk and read-only media are named, as the user can act on them.
func WriteProblem(err error) string {
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return "The disk holding the history file is full"
	case errors.Is(err, syscall.EROFS):
		return "The history file is on read-only media"
	}
	return "The history file could not be written"
}

// PutMessage overwrites an existing message (matched by ConversationID and
// Seq), e.g. to flush streamed text or to record its final state.
func (s *Store) PutMessage(m Message) error {
	m.V = recordVersion
	m.UpdatedAt = s.now().UTC()
	err := s.write(func(tx *bolt.Tx) error { return s.putMessage(tx, m) })
	return wrap("put message", err)
}

func (s *Store) putMessage(tx *bolt.Tx, m Message) error {
	b := tx.Bucket(bucketMessages).Bucket([]byte(m.ConversationID))
	if b == nil || b.Get(seqKey(m.Seq)) == nil {
		return fmt.Errorf("message %s: %w", m.ID(), ErrNotFound)
	}
	// Where a message stands in the tree is the tree operations' to
	// change, not a rewrite of its text.
	if p, ok := treeOf(tx, m.ConversationID).parent(m.Seq); ok {
		m.Parent = p
	}
	// The engine scrubs provider text already; this second pass costs
	// nothing on the streaming path (no error) and keeps a key some other
	// writer let through out of the file.
	m.Error = redact.String(m.Error)
	if err := putJSON(b, seqKey(m.Seq), m); err != nil {
		return err
	}
	if err := setRefs(tx, m); err != nil {
		return err
	}
	if err := s.indexMessage(tx, m); err != nil {
		return err
	}
	if m.State != StateStreaming {
		return tx.Bucket(bucketOpenStreams).Delete(openStreamKey(m.ConversationID, m.Seq))
	}
	return nil
}

// FinishAnswer stores an answer's last state (as PutMessage) together with
// its request's usage record, changed counters and cache entry (as
// RecordRequest), in one write: an answer ends with one commit rather than
// three.
func (s *Store) FinishAnswer(m Message, r *UsageRecord, stats Stats, cache *CacheWrite) error {
	m.V = recordVersion
	m.UpdatedAt = s.now().UTC()
	rec := s.usageRecord(r)
	err := s.write(func(tx *bolt.Tx) error {
		if err := s.putMessage(tx, m); err != nil {
			return err
		}
		return recordRequest(tx, rec, stats, cache)
	})
	return wrap("finish answer", err)
}

// Message returns one message.
func (s *Store) Message(conversationID string, seq uint64) (Message, error) {
	var m Message
	err := s.view(func(tx *bolt.Tx) (err error) {
		m, _, err = getMessage(tx, conversationID, seq)
		return err
	})
	return m, wrap("get message", err)
}

// getMessage reads one message and returns it with its conversation's
// message bucket.
func getMessage(tx *bolt.Tx, conversationID string, seq uint64) (Message, *bolt.Bucket, error) {
	var m Message
	b := tx.Bucket(bucketMessages).Bucket([]byte(conversationID))
	var v []byte
	if b != nil {
		v = b.Get(seqKey(seq))
	}
	if v == nil {
		return m, b, fmt.Errorf("message %s-%d: %w", conversationID, seq, ErrNotFound)
	}
	// Two statements: in one, m could be read before Unmarshal fills it
	// (the spec leaves that order open).
	err := json.Unmarshal(v, &m)
	return m, b, err
}

// Messages returns every message of a conversation, each with its Parent,
// in Seq order: all branches. Path returns the active one. (A conversation
// with no tree yet reads as a chain: see chain.)
func (s *Store) Messages(conversationID string) ([]Message, error) {
	var out []Message
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMessages).Bucket([]byte(conversationID))
		if b == nil {
			return fmt.Errorf("conversation %s: %w", conversationID, ErrNotFound)
		}
		out = make([]Message, 0, b.Stats().KeyN)
		if err := b.ForEach(func(_, v []byte) error {
			var m Message
			if err := json.Unmarshal(v, &m); err != nil {
				return err
			}
			out = append(out, m)
			return nil
		}); err != nil {
			return err
		}
		if c, err := getConversation(tx, conversationID); err == nil && c.Leaf == 0 {
			chain(b, out)
		}
		return nil
	})
	if err != nil {
		return nil, wrap("list messages", err)
	}
	return out, nil
}

// DeleteMessage removes one message. Its children follow its parent
// instead; when it was the Leaf, the Leaf moves as DeleteBranch moves it.
func (s *Store) DeleteMessage(conversationID string, seq uint64) error {
	err := s.update(func(tx *bolt.Tx) error {
		c, err := s.treeConversation(tx, conversationID)
		if err != nil {
			return err
		}
		b := tx.Bucket(bucketMessages).Bucket([]byte(conversationID))
		if b == nil || b.Get(seqKey(seq)) == nil {
			return fmt.Errorf("message %s-%d: %w", conversationID, seq, ErrNotFound)
		}
		if err := s.unlink(tx, &c, seq); err != nil {
			return err
		}
		return s.deleteRecord(tx, conversationID, seq)
	})
	return wrap("delete message", err)
}

func openStreamKey(conversationID string, seq uint64) []byte {
	return append([]byte(conversationID+"\x00"), seqKey(seq)...)
}

func deleteOpenStreams(tx *bolt.Tx, conversationID string) error {
	c := tx.Bucket(bucketOpenStreams).Cursor()
	prefix := []byte(conversationID + "\x00")
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

// recoverStreaming marks every message left in StateStreaming by a previous
// process as StateInterrupted. Only the tracked open streams are visited, so
// Open does not scan the history.
func (s *Store) recoverStreaming() error {
	err := s.update(func(tx *bolt.Tx) error {
		open := tx.Bucket(bucketOpenStreams)
		var keys [][]byte
		if err := open.ForEach(func(k, _ []byte) error {
			keys = append(keys, append([]byte(nil), k...))
			return nil
		}); err != nil {
			return err
		}
		for _, k := range keys {
			i := bytes.IndexByte(k, 0)
			if i < 0 || len(k) != i+9 {
				if err := open.Delete(k); err != nil {
					return err
				}
				continue
			}
			b := tx.Bucket(bucketMessages).Bucket(k[:i])
			seq := binary.BigEndian.Uint64(k[i+1:])
			if b != nil {
				if v := b.Get(seqKey(seq)); v != nil {
					var m Message
					if err := json.Unmarshal(v, &m); err != nil {
						return err
					}
					if m.State == StateStreaming {
						m.State = StateInterrupted
						if err := putJSON(b, seqKey(seq), m); err != nil {
							return err
						}
						if err := s.indexMessage(tx, m); err != nil {
							return err
						}
					}
				}
			}
			if err := open.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if IsDamaged(err) {
		return err
	}
	if err != nil {
		return &Error{Op: "recover", Msg: "The history file could not be checked after the last run.", Err: err}
	}
	return nil
}

// SetPinned pins or unpins a message: a pinned message is sent with every
// request, however long the conversation grows.
func (s *Store) SetPinned(conversationID string, seq uint64, pinned bool) (Message, error) {
	var m Message
	err := s.update(func(tx *bolt.Tx) error {
		var b *bolt.Bucket
		var err error
		if m, b, err = getMessage(tx, conversationID, seq); err != nil {
			return err
		}
		m.Pinned = pinned
		return putJSON(b, seqKey(seq), m)
	})
	return m, wrap("pin message", err)
}

// ErrStreaming is returned when an operation needs a conversation's answer
// to have finished.
var ErrStreaming = errors.New("an answer is still streaming")

// Supersede marks every answer after the message afterSeq as superseded, in
// one transaction. Legacy: Superseded is how histories before trees kept a
// replaced answer (the migration 0003_message_tree makes those siblings and
// clears it); deskchat now adds siblings (AppendAnswerTo) and reads "off the
// active path" from the tree. Kept for tests that write old-style records. It fails with ErrStreaming, changing nothing, while one of
// them is still streaming.
func (s *Store) Supersede(conversationID string, afterSeq uint64) error {
	err := s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMessages).Bucket([]byte(conversationID))
		if b == nil {
			return fmt.Errorf("conversation %s: %w", conversationID, ErrNotFound)
		}
		var later []Message
		c := b.Cursor()
		for k, v := c.Seek(seqKey(afterSeq + 1)); k != nil; k, v = c.Next() {
			var m Message
			if err := json.Unmarshal(v, &m); err != nil {
				return err
			}
			if m.State == StateStreaming {
				return ErrStreaming
			}
			if m.Role == RoleAssistant && !m.Superseded {
				later = append(later, m)
			}
		}
		for _, m := range later {
			m.Superseded = true
			if err := putJSON(b, seqKey(m.Seq), m); err != nil {
				return err
			}
		}
		return nil
	})
	return wrap("supersede answers", err)
}
