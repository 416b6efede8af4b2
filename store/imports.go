package store

import (
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// bucketImports remembers where imported conversations came from, so that
// importing the same file twice adds nothing the second time. It is created
// by the first import (CreateBucketIfNotExists), not at Open.
var bucketImports = []byte("imports") // "source:<format>:<id>" → conversation id

// maxIDLen bounds a kept conversation id (ours are 12 hex digits).
const maxIDLen = 64

// Dump is everything stored about one conversation: what an export writes
// and an import reads back.
type Dump struct {
	Conversation Conversation
	Summary      *Summary // nil when the conversation has none
	Messages     []Message
}

// Dump returns the conversation id with its summary and all its messages,
// read in one transaction, or an error wrapping ErrNotFound.
func (s *Store) Dump(id string) (Dump, error) {
	var d Dump
	err := s.view(func(tx *bolt.Tx) (err error) {
		if d.Conversation, err = getConversation(tx, id); err != nil {
			return err
		}
		if v := tx.Bucket(bucketSummaries).Get([]byte(id)); v != nil {
			d.Summary = new(Summary)
			if err := json.Unmarshal(v, d.Summary); err != nil {
				return err
			}
		}
		b := tx.Bucket(bucketMessages).Bucket([]byte(id))
		if b == nil {
			return nil
		}
		d.Messages = make([]Message, 0, b.Stats().KeyN)
		return b.ForEach(func(_, v []byte) error {
			var m Message
			if err := json.Unmarshal(v, &m); err != nil {
				return err
			}
			d.Messages = append(d.Messages, m)
			return nil
		})
	})
	if err != nil {
		return Dump{}, wrap("read conversation", err)
	}
	return d, nil
}

// Import is one conversation for ImportConversations.
type Import struct {
	// Source names the conversation in the file it comes from, as
	// "<format>:<id>" (e.g. "chatgpt:6f1c…"). A conversation whose source was
	// imported before, and still exists, is not imported again. Empty: no
	// such check.
	Source string
	// Dump is what to store. Conversation.ID is kept when set (a deskchat
	// export), else a new id is made. Message sequences are kept when set
	// (they must increase), else messages are numbered from 1. Timestamps,
	// states and every other field are stored as given, except that a
	// message still StateStreaming becomes StateInterrupted: nothing streams
	// into an imported conversation.
	//
	// The tree: each Message.Parent and Conversation.Leaf name a message by
	// its Seq as given, or, for unnumbered messages, by its position counted
	// from 1 (the Seq it gets), so they stay true as stored. A parent that
	// is not an earlier message of the import makes a root; a Leaf that is
	// not one of its messages becomes the last message. Messages that all
	// have Parent 0, with Leaf 0 (an export older than the tree, Claude),
	// are chained in order as linkImport says.
	Dump
}

// ImportResult says what became of one Import.
type ImportResult struct {
	ID      string // the conversation's id in the store
	Existed bool   // it had been imported before (or has the same id): nothing was written
}

// Check reports why im cannot be stored, or nil. Its error reads as the
// reason a conversation was skipped ("message 3 has the unknown role …").
func (im Import) Check() error {
	if id := im.Conversation.ID; id != "" && !validID(id) {
		return fmt.Errorf("its id %q is not a deskchat id (letters, digits, - and _, at most %d)", truncate(id, 80), maxIDLen)
	}
	if len(im.Source) > bolt.MaxKeySize-len("source:") {
		return errors.New("its id in the file is too long")
	}
	numbered := len(im.Messages) > 0 && im.Messages[0].Seq != 0
	var last uint64
	for i, m := range im.Messages {
		switch m.Role {
		case RoleSystem, RoleUser, RoleAssistant:
		default:
			return fmt.Errorf("message %d has the unknown role %q", i+1, truncate(string(m.Role), 40))
		}
		switch m.State {
		case "", StateStreaming, StateDone, StateStopped, StateFailed, StateInterrupted:
		default:
			return fmt.Errorf("message %d has the unknown state %q", i+1, truncate(string(m.State), 40))
		}
		if numbered != (m.Seq != 0) || (numbered && m.Seq <= last) {
			return fmt.Errorf("message %d is out of order (its number %d follows %d)", i+1, m.Seq, last)
		}
		last = m.Seq
	}
	return nil
}

func validID(id string) bool {
	if id == "" || len(id) > maxIDLen {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// ImportConversations stores convs in one transaction and returns what
// became of each, in order. Each is checked (Import.Check) first; one that
// fails makes the whole call fail and store nothing, so callers check
// beforehand and leave the bad ones out. Which of them are here already is
// looked up in a read transaction first: when all are, nothing is written
// (not even an empty commit), so importing a file again leaves the history
// file as it was.
func (s *Store) ImportConversations(convs []Import) ([]ImportResult, error) {
	for i := range convs {
		if err := convs[i].Check(); err != nil {
			return nil, &Error{Op: "import", Msg: "A conversation could not be imported: " + err.Error() + ".", Err: err}
		}
	}
	out := make([]ImportResult, len(convs))
	var todo []int // indexes of the conversations to write
	err := s.view(func(tx *bolt.Tx) error {
		todo = todo[:0]
		for i, im := range convs {
			if id, ok := imported(tx, im); ok {
				out[i] = ImportResult{ID: id, Existed: true}
				continue
			}
			todo = append(todo, i)
		}
		return nil
	})
	if err != nil {
		return nil, wrap("import", err)
	}
	if len(todo) == 0 {
		return out, nil
	}
	err = s.write(func(tx *bolt.Tx) error {
		imports, err := tx.CreateBucketIfNotExists(bucketImports)
		if err != nil {
			return err
		}
		for _, i := range todo { // write may run fn again: each result is set anew
			if out[i], err = s.importConversation(tx, imports, convs[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrap("import", err)
	}
	return out, nil
}

// imported reports whether im is here already, with nothing to record: its
// source was imported before and the conversation still exists, or (no
// source to record) a conversation with its id exists.
func imported(tx *bolt.Tx, im Import) (string, bool) {
	convs := tx.Bucket(bucketConversations)
	if im.Source != "" {
		var id []byte
		if b := tx.Bucket(bucketImports); b != nil {
			id = b.Get([]byte("source:" + im.Source))
		}
		if id != nil && convs.Get(id) != nil {
			return string(id), true
		}
		return "", false
	}
	if id := im.Conversation.ID; id != "" && convs.Get([]byte(id)) != nil {
		return id, true
	}
	return "", false
}

// importConversation stores one checked Import in tx. It only reads im.
func (s *Store) importConversation(tx *bolt.Tx, imports *bolt.Bucket, im Import) (ImportResult, error) {
	convs := tx.Bucket(bucketConversations)
	var source []byte
	if im.Source != "" {
		source = []byte("source:" + im.Source)
		if id := imports.Get(source); id != nil && convs.Get(id) != nil {
			return ImportResult{ID: string(id), Existed: true}, nil
		}
	}
	c := im.Conversation
	if c.ID == "" {
		for c.ID = newID(); convs.Get([]byte(c.ID)) != nil; c.ID = newID() {
		}
	} else if convs.Get([]byte(c.ID)) != nil {
		// The same conversation, e.g. exported from this very store.
		if source != nil {
			if err := imports.Put(source, []byte(c.ID)); err != nil {
				return ImportResult{}, err
			}
		}
		return ImportResult{ID: c.ID, Existed: true}, nil
	}
	id := []byte(c.ID)
	c.V = recordVersion

	all := tx.Bucket(bucketMessages)
	if all.Bucket(id) != nil { // left without its conversation record
		if err := all.DeleteBucket(id); err != nil {
			return ImportResult{}, err
		}
	}
	b, err := all.CreateBucket(id)
	if err != nil {
		return ImportResult{}, err
	}
	b.FillPercent = 1.0 // keys arrive in order

	seqs := make([]uint64, len(im.Messages))
	for i, m := range im.Messages {
		seqs[i] = m.Seq
		if m.Seq == 0 {
			seqs[i] = uint64(i + 1)
		}
	}
	parents, leaf, legacy := linkImport(im.Messages, seqs, c.Leaf)
	c.Leaf = leaf
	if err := putJSON(convs, id, c); err != nil {
		return ImportResult{}, err
	}
	if err := s.indexTitle(tx, c); err != nil {
		return ImportResult{}, err
	}
	var seq uint64
	for i, m := range im.Messages {
		m.V, m.ConversationID = recordVersion, c.ID
		m.Seq, m.Parent = seqs[i], parents[i]
		if legacy {
			m.Superseded = false // the tree says it now: off the active path
		}
		switch m.State {
		case "":
			m.State = StateDone
		case StateStreaming:
			m.State = StateInterrupted
		}
		if err := putJSON(b, seqKey(m.Seq), m); err != nil {
			return ImportResult{}, err
		}
		if err := refAttachments(tx, m); err != nil {
			return ImportResult{}, err
		}
		if err := s.indexMessage(tx, m); err != nil {
			return ImportResult{}, err
		}
		seq = m.Seq
	}
	// Remember the active path, so that switching branches and back finds
	// the branch that was active.
	if c.Leaf != 0 {
		if err := treeOf(tx, c.ID).activate(0, c.Leaf); err != nil {
			return ImportResult{}, err
		}
	}
	if err := b.SetSequence(seq); err != nil { // the next AppendMessage follows on
		return ImportResult{}, err
	}
	if im.Summary != nil {
		sum := *im.Summary
		sum.V, sum.ConversationID = recordVersion, c.ID
		if err := putJSON(tx.Bucket(bucketSummaries), id, sum); err != nil {
			return ImportResult{}, err
		}
	}
	if source != nil {
		if err := imports.Put(source, id); err != nil {
			return ImportResult{}, err
		}
	}
	return ImportResult{ID: c.ID}, nil
}

// linkImport returns the parent of each of ms (whose Seqs, as stored, are
// seqs) and the conversation's leaf, from their Parent fields and leaf as
// given: a parent that is not an earlier message of the import (missing,
// or not smaller than the child's Seq, so that a damaged file cannot make
// a cycle) makes a root, and a leaf that is not one of them becomes the
// last message.
//
// legacy is true when there was no tree to keep (every Parent 0 and leaf
// 0: an export older than the tree, or Claude's list): then each message
// follows the one before, except that an answer marked Superseded (a
// regenerated answer, a comparison's alternative) becomes a sibling of the
// answer that replaced it, under the same question, off the active path,
// as the store's migration of old histories does. Leaf is then the last
// message not superseded.
func linkImport(ms []Message, seqs []uint64, leaf uint64) (parents []uint64, _ uint64, legacy bool) {
	parents = make([]uint64, len(ms))
	if len(ms) == 0 {
		return parents, 0, false
	}
	legacy = leaf == 0
	for _, m := range ms {
		legacy = legacy && m.Parent == 0
	}
	if legacy {
		return parents, importChain(ms, seqs, parents), true
	}
	known := make(map[uint64]bool, len(ms))
	for i, m := range ms {
		if p := m.Parent; p != 0 && p < seqs[i] && known[p] {
			parents[i] = p
		}
		known[seqs[i]] = true
	}
	if !known[leaf] {
		leaf = seqs[len(seqs)-1]
	}
	return parents, leaf, false
}

// importChain sets parents for a list without a tree (see linkImport) and
// returns its leaf.
func importChain(ms []Message, seqs, parents []uint64) uint64 {
	var tip, question uint64 // the last message kept, and the one a run of answers answers
	inAnswers := false
	for i, m := range ms {
		if m.Role != RoleAssistant {
			parents[i], inAnswers = tip, false
			if !m.Superseded {
				tip = seqs[i]
			}
			continue
		}
		if !inAnswers {
			question, inAnswers = tip, true
		}
		if m.Superseded {
			parents[i] = question
			continue
		}
		parents[i], tip = tip, seqs[i]
	}
	if tip == 0 { // nothing but superseded answers
		tip = seqs[len(seqs)-1]
	}
	return tip
}
