package store

import (
	"slices"

	bolt "go.etcd.io/bbolt"
)

// Branch is where a message stands among its siblings (the messages with
// its parent): the Index-th, from 1, of Count. The window shows it as
// ‹ Index/Count ›.
type Branch struct{ Index, Count int }

// Branches returns, for those of seqs (messages of one conversation) that
// have siblings, where each stands among them; messages without siblings,
// and seqs that are not messages, are left out. One read, whatever the
// number of seqs: the window asks it for every page it shows.
func (s *Store) Branches(conversationID string, seqs []uint64) (map[uint64]Branch, error) {
	out := map[uint64]Branch{}
	err := s.view(func(tx *bolt.Tx) error {
		c, err := getConversation(tx, conversationID)
		if err != nil || c.Leaf == 0 || tx.Bucket(bucketTree) == nil {
			return err // no tree yet: a chain, no siblings
		}
		t := treeOf(tx, conversationID)
		kids := map[uint64][]uint64{} // parent → children, read once per parent
		for _, seq := range seqs {
			p, ok := t.parent(seq)
			if !ok {
				continue
			}
			sib, read := kids[p]
			if !read {
				sib = t.children(p)
				kids[p] = sib
			}
			if i := slices.Index(sib, seq); i >= 0 && len(sib) > 1 {
				out[seq] = Branch{Index: i + 1, Count: len(sib)}
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrap("read branches", err)
	}
	return out, nil
}
