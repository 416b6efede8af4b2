package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	bolt "go.etcd.io/bbolt"
)

// The tree of messages. Every message has a Parent (0: a root); editing,
// regenerating and comparing add siblings instead of deleting, and the
// conversation's Leaf names the active path: the branch shown and sent,
// from Leaf up through each Parent. A child's Seq is always greater than
// its parent's, so every walk here moves one way and ends, whatever a
// damaged record claims.
//
// The message records hold Parent; bucketTree indexes it so that the
// window's paging and the branch operations read 8-byte keys instead of
// decoding messages (a 10,000-message chat is paged by walking its path):
//
//	conv \x00 'p' seq            → parent   (the message's parent)
//	conv \x00 'c' parent child   → nil      (children, in Seq order)
//	conv \x00 'a' parent         → child    (the child last on the active path)
//
// 'a' entries remember which branch was active below each message, so that
// switching back to a message finds the branch the user left there. Parent
// 0 stands for the conversation itself (its roots).
//
// A conversation with messages and Leaf 0 has no tree yet (an import of an
// old file): its active path is every message in Seq order, and its first
// write through a tree operation makes it a tree (makeTree).
var bucketTree = []byte("tree")

const (
	treeParent = 'p'
	treeChild  = 'c'
	treeActive = 'a'
)

// maxTreeWalk bounds every walk over the tree, against a damaged index.
const maxTreeWalk = 1 << 24

func treeKey(convID string, kind byte, seqs ...uint64) []byte {
	k := make([]byte, 0, len(convID)+2+8*len(seqs))
	k = append(append(k, convID...), 0, kind)
	for _, s := range seqs {
		k = binary.BigEndian.AppendUint64(k, s)
	}
	return k
}

func u64(v []byte) (uint64, bool) {
	if len(v) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(v), true
}

// tree is one conversation's tree index in a transaction.
type tree struct {
	b    *bolt.Bucket
	conv string
}

func treeOf(tx *bolt.Tx, convID string) tree { return tree{tx.Bucket(bucketTree), convID} }

// parent returns seq's parent; ok is false when seq is not in the tree.
func (t tree) parent(seq uint64) (uint64, bool) {
	return u64(t.b.Get(treeKey(t.conv, treeParent, seq)))
}

func (t tree) has(seq uint64) bool {
	_, ok := t.parent(seq)
	return ok
}

// setParent records that seq follows parent.
func (t tree) setParent(seq, parent uint64) error {
	if old, ok := t.parent(seq); ok {
		if old == parent {
			return nil
		}
		if err := t.b.Delete(treeKey(t.conv, treeChild, old, seq)); err != nil {
			return err
		}
	}
	if err := t.b.Put(treeKey(t.conv, treeParent, seq), binary.BigEndian.AppendUint64(nil, parent)); err != nil {
		return err
	}
	return t.b.Put(treeKey(t.conv, treeChild, parent, seq), nil)
}

// remove takes seq out of the index (its children keep their entries).
func (t tree) remove(seq uint64) error {
	if p, ok := t.parent(seq); ok {
		if err := t.b.Delete(treeKey(t.conv, treeChild, p, seq)); err != nil {
			return err
		}
		if a, ok := t.active(p); ok && a == seq {
			if err := t.b.Delete(treeKey(t.conv, treeActive, p)); err != nil {
				return err
			}
		}
	}
	if err := t.b.Delete(treeKey(t.conv, treeActive, seq)); err != nil {
		return err
	}
	return t.b.Delete(treeKey(t.conv, treeParent, seq))
}

func (t tree) active(parent uint64) (uint64, bool) {
	return u64(t.b.Get(treeKey(t.conv, treeActive, parent)))
}

// children returns the children of parent that are in the tree, in Seq
// order.
func (t tree) children(parent uint64) []uint64 {
	var out []uint64
	prefix := treeKey(t.conv, treeChild, parent)
	c := t.b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		child, ok := u64(k[len(prefix):])
		if ok && child > parent && t.has(child) {
			out = append(out, child)
		}
	}
	return out
}

// path returns the seqs from a root down to leaf.
func (t tree) path(leaf uint64) []uint64 {
	var out []uint64
	t.up(leaf, func(seq uint64) bool {
		out = append(out, seq)
		return true
	})
	slices.Reverse(out)
	return out
}

// up calls fn for leaf and each message above it, up to a root, while fn
// returns true: one read of the index per message. A parent that is not in
// the tree (a missing message) makes its child a root; a parent claiming a
// Seq not below its child's (a damaged record) is not followed, so the
// walk ends.
func (t tree) up(leaf uint64, fn func(seq uint64) bool) {
	p, ok := t.parent(leaf)
	if leaf == 0 || !ok {
		return
	}
	for cur := leaf; fn(cur); {
		if p == 0 || p >= cur {
			return
		}
		next, ok := t.parent(p)
		if !ok {
			return
		}
		cur, p = p, next
	}
}

// descend returns the end of the branch through seq: from seq, each
// message's child last on the active path, else its newest child.
func (t tree) descend(seq uint64) uint64 {
	for n := 0; n < maxTreeWalk; n++ {
		next := uint64(0)
		if a, ok := t.active(seq); ok && a > seq {
			if p, ok := t.parent(a); ok && p == seq {
				next = a
			}
		}
		if next == 0 {
			kids := t.children(seq)
			if len(kids) == 0 {
				return seq
			}
			next = kids[len(kids)-1]
		}
		seq = next
	}
	return seq
}

// activate remembers the path to leaf as the active one: each message on
// it names its child on it. From was the leaf before: above it nothing
// changes, so an answer appended below the leaf writes one entry.
func (t tree) activate(from, leaf uint64) error {
	for cur, n := leaf, 0; cur != 0 && n < maxTreeWalk; n++ {
		p, ok := t.parent(cur)
		if !ok {
			return nil
		}
		if p >= cur || (p != 0 && !t.has(p)) {
			p = 0
		}
		if a, ok := t.active(p); !ok || a != cur {
			if err := t.b.Put(treeKey(t.conv, treeActive, p), binary.BigEndian.AppendUint64(nil, cur)); err != nil {
				return err
			}
		}
		if p == from {
			return nil
		}
		cur = p
	}
	return nil
}

// descendants returns seq and every message below it.
func (t tree) descendants(seq uint64) []uint64 {
	out := []uint64{seq}
	for i := 0; i < len(out) && len(out) < maxTreeWalk; i++ {
		out = append(out, t.children(out[i])...)
	}
	return out
}

// drop removes the whole conversation from the index.
func (t tree) drop() error {
	prefix := append([]byte(t.conv), 0)
	c := t.b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

// linked returns the parents of msgs (in Seq order) as a tree: the
// Parent each names when one of them is set (a parent that is missing or
// not below its child is 0), else, for a history written before trees, a
// chain in Seq order where an answer marked Superseded (replaced by a
// regenerated answer, or a comparison's alternative) is a sibling of the
// answer that replaced it, under the question before it. leaf is the last
// message not superseded (the last message when all are).
func linked(msgs []Message) (parents []uint64, leaf uint64) {
	parents = make([]uint64, len(msgs))
	if len(msgs) == 0 {
		return parents, 0
	}
	if slices.ContainsFunc(msgs, func(m Message) bool { return m.Parent != 0 }) {
		for i, m := range msgs {
			if _, ok := slices.BinarySearchFunc(msgs[:i], m.Parent, func(x Message, s uint64) int { return cmpU64(x.Seq, s) }); ok {
				parents[i] = m.Parent
			}
		}
		return parents, msgs[len(msgs)-1].Seq
	}
	var tip, question uint64
	for i, m := range msgs {
		if m.Superseded && m.Role == RoleAssistant {
			parents[i] = question
			if question == 0 {
				parents[i] = tip
			}
			continue
		}
		parents[i] = tip
		tip = m.Seq
		if m.Role == RoleUser {
			question = m.Seq
		}
	}
	if tip == 0 {
		tip = msgs[len(msgs)-1].Seq
	}
	return parents, tip
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// pathIn picks the path to leaf out of msgs (every message of a
// conversation, in Seq order). Leaf 0 with messages: a conversation with
// no tree yet, whose path is every message, a chain (msgs' parents are set
// so).
func pathIn(msgs []Message, leaf uint64) []Message {
	if leaf == 0 {
		for i := range msgs {
			msgs[i].Parent = 0
			if i > 0 {
				msgs[i].Parent = msgs[i-1].Seq
			}
		}
		return msgs
	}
	find := func(seq uint64) (int, bool) {
		return slices.BinarySearchFunc(msgs, seq, func(x Message, s uint64) int { return cmpU64(x.Seq, s) })
	}
	i, ok := find(leaf)
	if !ok {
		return nil
	}
	var out []Message
	for ok && len(out) < maxTreeWalk {
		m := msgs[i]
		out = append(out, m)
		if m.Parent == 0 || m.Parent >= m.Seq {
			break
		}
		i, ok = find(m.Parent)
	}
	slices.Reverse(out)
	return out
}

// makeTree makes a conversation with no tree yet (Leaf 0 and messages) a
// tree, in tx: each message's Parent as linked says (Superseded cleared,
// being the tree's to say now), the index, and Leaf. It changes c and
// reports whether it did; the caller stores c. An unreadable message is
// left out of the tree, not fatal: the others are linked.
func (s *Store) makeTree(tx *bolt.Tx, c *Conversation) (bool, error) {
	b := tx.Bucket(bucketMessages).Bucket([]byte(c.ID))
	if c.Leaf != 0 || b == nil {
		return false, nil
	}
	var msgs []Message
	if err := b.ForEach(func(k, v []byte) error {
		var m Message
		if len(k) == 8 && json.Unmarshal(v, &m) == nil && m.Seq == binary.BigEndian.Uint64(k) {
			msgs = append(msgs, m)
		}
		return nil
	}); err != nil {
		return false, err
	}
	if len(msgs) == 0 {
		return false, nil
	}
	sort.Slice(msgs, func(i, j int) bool { return msgs[i].Seq < msgs[j].Seq })
	parents, leaf := linked(msgs)
	t := treeOf(tx, c.ID)
	for i, m := range msgs {
		if m.Parent != parents[i] || m.Superseded {
			m.Parent, m.Superseded = parents[i], false
			if err := putJSON(b, seqKey(m.Seq), m); err != nil {
				return false, err
			}
		}
		if err := t.setParent(m.Seq, m.Parent); err != nil {
			return false, err
		}
	}
	c.Leaf = leaf
	return true, t.activate(0, leaf)
}

// treeConversation reads a conversation for a tree operation, making it a
// tree first when it has none yet (and storing it so).
func (s *Store) treeConversation(tx *bolt.Tx, convID string) (Conversation, error) {
	c, err := getConversation(tx, convID)
	if err != nil {
		return c, err
	}
	made, err := s.makeTree(tx, &c)
	if err != nil || !made {
		return c, err
	}
	return c, putJSON(tx.Bucket(bucketConversations), []byte(c.ID), c)
}

// putConversation stores c as changed by a tree operation. Moving between
// branches writes nothing new in the chat: UpdatedAt (the list's order)
// stays.
func (s *Store) putConversation(tx *bolt.Tx, c Conversation) error {
	c.V = recordVersion
	return putJSON(tx.Bucket(bucketConversations), []byte(c.ID), c)
}

// pathSeqs returns the seqs of the conversation's active path.
func pathSeqs(tx *bolt.Tx, c Conversation) ([]uint64, error) {
	if c.Leaf != 0 {
		return treeOf(tx, c.ID).path(c.Leaf), nil
	}
	b := tx.Bucket(bucketMessages).Bucket([]byte(c.ID))
	if b == nil {
		return nil, fmt.Errorf("conversation %s: %w", c.ID, ErrNotFound)
	}
	var out []uint64
	err := b.ForEach(func(k, _ []byte) error {
		if seq, ok := u64(k); ok {
			out = append(out, seq)
		}
		return nil
	})
	return out, err
}

// chain gives ms, consecutive messages of a conversation with no tree yet
// (Leaf 0), the parents they read with: each follows the message before it
// in Seq order, as they will once the conversation becomes a tree.
func chain(b *bolt.Bucket, ms []Message) {
	for i := range ms {
		if i > 0 {
			ms[i].Parent = ms[i-1].Seq
			continue
		}
		c := b.Cursor()
		ms[0].Parent = 0
		if k, _ := c.Seek(seqKey(ms[0].Seq)); k != nil {
			if k, _ = c.Prev(); k != nil {
				ms[0].Parent, _ = u64(k)
			}
		}
	}
}

// readSeqs decodes the messages seqs of the conversation; one that is
// missing is skipped.
func readSeqs(tx *bolt.Tx, convID string, seqs []uint64) ([]Message, error) {
	b := tx.Bucket(bucketMessages).Bucket([]byte(convID))
	if b == nil {
		return nil, fmt.Errorf("conversation %s: %w", convID, ErrNotFound)
	}
	out := make([]Message, 0, len(seqs))
	for _, seq := range seqs {
		v := b.Get(seqKey(seq))
		if v == nil {
			continue
		}
		var m Message
		if err := json.Unmarshal(v, &m); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// Path returns the conversation's active path, in order: what is shown and
// sent. Messages returns every message.
func (s *Store) Path(conversationID string) ([]Message, error) {
	var out []Message
	err := s.view(func(tx *bolt.Tx) error {
		c, err := getConversation(tx, conversationID)
		if err != nil {
			return err
		}
		seqs, err := pathSeqs(tx, c)
		if err != nil {
			return err
		}
		if out, err = readSeqs(tx, conversationID, seqs); err == nil && c.Leaf == 0 {
			chain(tx.Bucket(bucketMessages).Bucket([]byte(conversationID)), out)
		}
		return err
	})
	if err != nil {
		return nil, wrap("read the active path", err)
	}
	return out, nil
}

// PathTo returns the path from a root down to the message seq, in order,
// whether or not it is the active one.
func (s *Store) PathTo(conversationID string, seq uint64) ([]Message, error) {
	var out []Message
	err := s.view(func(tx *bolt.Tx) error {
		c, err := getConversation(tx, conversationID)
		if err != nil {
			return err
		}
		if _, _, err := getMessage(tx, conversationID, seq); err != nil {
			return err
		}
		var seqs []uint64
		if c.Leaf == 0 { // no tree yet: a chain
			all, err := pathSeqs(tx, c)
			if err != nil {
				return err
			}
			i, _ := slices.BinarySearch(all, seq)
			seqs = all[:i+1]
		} else {
			seqs = treeOf(tx, conversationID).path(seq)
		}
		if out, err = readSeqs(tx, conversationID, seqs); err == nil && c.Leaf == 0 {
			chain(tx.Bucket(bucketMessages).Bucket([]byte(conversationID)), out)
		}
		return err
	})
	if err != nil {
		return nil, wrap("read a path", err)
	}
	return out, nil
}

// Siblings returns the messages that have seq's parent, in Seq order,
// seq included.
func (s *Store) Siblings(conversationID string, seq uint64) ([]uint64, error) {
	var out []uint64
	err := s.view(func(tx *bolt.Tx) error {
		c, err := getConversation(tx, conversationID)
		if err != nil {
			return err
		}
		if _, _, err := getMessage(tx, conversationID, seq); err != nil {
			return err
		}
		t := treeOf(tx, conversationID)
		p, ok := t.parent(seq)
		if c.Leaf == 0 || !ok { // no tree yet: a chain
			out = []uint64{seq}
			return nil
		}
		out = t.children(p)
		if !slices.Contains(out, seq) {
			out = append(out, seq)
			slices.Sort(out)
		}
		return nil
	})
	if err != nil {
		return nil, wrap("read siblings", err)
	}
	return out, nil
}

// SwitchBranch makes the branch through seq the active path: Leaf becomes
// the end reached from seq by following, at each message, the child last
// on the active path (else the newest one). It returns the conversation.
func (s *Store) SwitchBranch(conversationID string, seq uint64) (Conversation, error) {
	// Most switches to a message already on the active path (a search
	// result opened) change nothing: they are answered by a read, not a
	// commit and its fsync.
	var c Conversation
	same := false
	err := s.view(func(tx *bolt.Tx) (err error) {
		if c, err = getConversation(tx, conversationID); err != nil || c.Leaf == 0 {
			return err
		}
		if _, _, err := getMessage(tx, conversationID, seq); err != nil {
			return err
		}
		same = treeOf(tx, conversationID).descend(seq) == c.Leaf
		return nil
	})
	if err != nil {
		return Conversation{}, wrap("switch branch", err)
	}
	if same {
		return c, nil
	}
	err = s.update(func(tx *bolt.Tx) (err error) {
		if c, err = s.treeConversation(tx, conversationID); err != nil {
			return err
		}
		if _, _, err := getMessage(tx, conversationID, seq); err != nil {
			return err
		}
		// The path left is remembered first (an imported tree has no
		// memory yet): a message on it leads back to its leaf.
		t := treeOf(tx, conversationID)
		if err := t.activate(0, c.Leaf); err != nil {
			return err
		}
		leaf := t.descend(seq)
		if err := t.activate(0, leaf); err != nil {
			return err
		}
		c.Leaf = leaf
		return s.putConversation(tx, c)
	})
	if err != nil {
		return Conversation{}, wrap("switch branch", err)
	}
	return c, nil
}
