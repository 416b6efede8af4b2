package transfer

import (
	"cmp"
	"container/heap"
	"slices"
)

// A ChatGPT conversation's "mapping" is a tree of nodes linked by "parent":
// an edited question or a regenerated answer starts a branch. Import keeps
// every branch (see convert): gptOrder puts the nodes in an order where a
// parent comes before its children, oldest first, which becomes the order
// of the imported messages (their Seq).
//
// The file is not trusted: a parent that is not in the mapping (or is the
// node itself) makes a root, and nodes whose parents form a cycle, which no
// root reaches, are entered at their oldest node, which becomes a root. No
// recursion, every node visited once: a deep or looping mapping costs its
// size.

// gptNodeOrder is the mapping's node ids in order, each with the index in
// ids of the parent it was reached from (-1 for a root).
type gptNodeOrder struct {
	ids  []string
	from []int
}

// gptOrder orders g's nodes (see above); siblings, and the roots, go oldest
// first (create_time, then id: the same file gives the same order).
func (g *gptConversation) gptOrder() gptNodeOrder {
	n := len(g.Mapping)
	all := make([]gptQueued, 0, n)
	children := make(map[string][]string, n)
	for id, node := range g.Mapping {
		all = append(all, gptQueued{at: g.nodeTime(id), id: id})
		if p := node.Parent; p != nil && *p != id {
			if _, ok := g.Mapping[*p]; ok {
				children[*p] = append(children[*p], id)
			}
		}
	}
	slices.SortFunc(all, gptQueued.compare)

	o := gptNodeOrder{ids: make([]string, 0, n), from: make([]int, 0, n)}
	index := make(map[string]int, n) // where each node is in o.ids
	q := make(gptQueue, 0, n)
	for _, e := range all {
		if g.isRoot(e.id) {
			e.parent = -1
			heap.Push(&q, e)
		}
	}
	next := 0 // in all: where to look for a node no root reaches (a cycle)
	for len(o.ids) < n {
		if q.Len() == 0 {
			for ; next < len(all); next++ {
				if _, seen := index[all[next].id]; !seen {
					break
				}
			}
			e := all[next]
			e.parent = -1
			heap.Push(&q, e)
		}
		e := heap.Pop(&q).(gptQueued)
		if _, seen := index[e.id]; seen {
			continue
		}
		i := len(o.ids)
		index[e.id] = i
		o.ids, o.from = append(o.ids, e.id), append(o.from, e.parent)
		for _, c := range children[e.id] {
			if _, seen := index[c]; !seen {
				t := g.nodeTime(c)
				if t == 0 { // untimed: beside its parent
					t = e.at
				}
				heap.Push(&q, gptQueued{at: t, id: c, parent: i})
			}
		}
	}
	return o
}

// isRoot reports whether node id has no parent in the mapping.
func (g *gptConversation) isRoot(id string) bool {
	p := g.Mapping[id].Parent
	if p == nil || *p == id {
		return true
	}
	_, ok := g.Mapping[*p]
	return !ok
}

// nodeTime is a node's message's create_time, 0 when it has none.
func (g *gptConversation) nodeTime(id string) float64 {
	if m := g.Mapping[id].Message; m != nil && m.CreateTime != nil {
		return *m.CreateTime
	}
	return 0
}

// gptQueued is a node waiting in gptOrder, reached from the node at index
// parent of the order (-1: a root).
type gptQueued struct {
	at     float64
	id     string
	parent int
}

func (a gptQueued) compare(b gptQueued) int {
	if c := cmp.Compare(a.at, b.at); c != 0 {
		return c
	}
	return cmp.Compare(a.id, b.id)
}

// gptQueue is a min-heap of gptQueued, oldest first.
type gptQueue []gptQueued

func (q gptQueue) Len() int           { return len(q) }
func (q gptQueue) Less(i, j int) bool { return q[i].compare(q[j]) < 0 }
func (q gptQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *gptQueue) Push(x any)        { *q = append(*q, x.(gptQueued)) }
func (q *gptQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}
