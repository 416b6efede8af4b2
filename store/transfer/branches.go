package transfer

import "github.com/deskchat/deskchat/store"

// Markdown and HTML show a conversation's active path: the messages from
// its Leaf up through each Parent, in order. With AllBranches the other
// branches follow it, each after a heading "Branch from message N" (N the
// Seq of the message it continues). JSON always holds every message.
//
// The path is computed here from the fields themselves (Message.Parent,
// Conversation.Leaf), not asked of the store, and trusts neither: a parent
// that is missing, or not smaller than its child's Seq, ends the walk (the
// message is a root), so a damaged record cannot loop.

// shown is the messages of one conversation an export writes, in order.
type shown struct {
	msgs []store.Message
	// branches start at msgs[branch.at]; they follow the active path
	// (msgs[:branches[0].at]) in the order they are written.
	branches []branch
	hidden   int // messages on other branches, left out
}

// branch is where the export of a branch off the active path starts.
type branch struct {
	at   int    // its first message's index in shown.msgs
	from uint64 // the Seq of the message it continues; 0: a first message
}

// legacy reports whether ms carry no tree: every Parent 0 and no leaf (a
// history not migrated yet). Then every message is shown in order.
func legacy(ms []store.Message, leaf uint64) bool {
	if leaf != 0 {
		return false
	}
	for _, m := range ms {
		if m.Parent != 0 {
			return false
		}
	}
	return true
}

// activePath returns the messages of ms (in Seq order) from the root to
// leaf. A leaf that is not among them is taken as the last message; with
// no tree at all (legacy), it is every message.
func activePath(ms []store.Message, leaf uint64) []store.Message {
	if len(ms) == 0 || legacy(ms, leaf) {
		return ms
	}
	at := make(map[uint64]int, len(ms))
	for i, m := range ms {
		at[m.Seq] = i
	}
	i, ok := at[leaf]
	if !ok {
		i = len(ms) - 1
	}
	var rev []int
	for {
		rev = append(rev, i)
		m := ms[i]
		p, ok := at[m.Parent]
		if m.Parent == 0 || !ok || m.Parent >= m.Seq {
			break
		}
		i = p
	}
	path := make([]store.Message, len(rev))
	for j, i := range rev {
		path[len(rev)-1-j] = ms[i]
	}
	return path
}

// toShow is what an export of d writes: its active path, then, with all,
// every other branch. Each message appears once. A branch follows one
// child at each step (the oldest not yet written); a later sibling starts
// a branch of its own, after the branch it leaves.
func toShow(ms []store.Message, leaf uint64, all bool) shown {
	path := activePath(ms, leaf)
	s := shown{msgs: path, hidden: len(ms) - len(path)}
	if !all || s.hidden == 0 {
		return s
	}
	s.msgs = append(make([]store.Message, 0, len(ms)), path...)
	written := make(map[uint64]bool, len(ms))
	for _, m := range path {
		written[m.Seq] = true
	}
	seqs := make(map[uint64]bool, len(ms))
	children := make(map[uint64][]int, len(ms)) // by parent, in Seq order
	for i, m := range ms {
		if m.Parent != 0 && m.Parent < m.Seq && seqs[m.Parent] {
			children[m.Parent] = append(children[m.Parent], i)
		}
		seqs[m.Seq] = true
	}
	// In Seq order, the first message not yet written starts a branch:
	// its parent (smaller) was written before it.
	for _, m := range ms {
		if written[m.Seq] {
			continue
		}
		from := m.Parent
		if !seqs[from] || from >= m.Seq {
			from = 0
		}
		s.branches = append(s.branches, branch{at: len(s.msgs), from: from})
		for next, ok := m, true; ok; {
			s.msgs = append(s.msgs, next)
			written[next.Seq] = true
			ok = false
			for _, c := range children[next.Seq] {
				if !written[ms[c].Seq] {
					next, ok = ms[c], true
					break
				}
			}
		}
	}
	s.hidden = 0
	return s
}
