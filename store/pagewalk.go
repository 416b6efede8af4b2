package store

import (
	"fmt"
	"io"
)

// pageWalker reads a bbolt file's B+trees page by page with ReadAt, for
// check and recover. It is hand-written because bbolt trusts every page it
// meets: it reads through its memory map (a page past the end of a cut file
// faults), follows any page number (a page pointing back at its parent
// loops for ever) and panics on a page of the wrong type. The walker
// instead checks each page before using it (its own number, its type, its
// elements inside it, no page met twice, a bounded depth), records what is
// wrong, and goes on with the rest, so one bad page loses only what it holds.
type pageWalker struct {
	r        io.ReaderAt
	size     int64
	pageSize int
	maxPgid  uint64 // high-water mark of the meta in use
	seen     map[uint64]bool
	problems []pageProblem
	// budget bounds the pages read, so a hostile file cannot make a walk
	// read more than the file holds.
	budget int
}

// pageProblem is one unreadable page and where it was met.
type pageProblem struct {
	page  uint64
	where string // the bucket path, like "messages/3f2a9c0b1d4e"
	what  string
}

func (p pageProblem) String() string {
	return fmt.Sprintf("page %d (%s): %s", p.page, p.where, p.what)
}

// maxDepth bounds a B+tree's depth; real ones are a handful of levels.
const maxDepth = 32

func newPageWalker(r io.ReaderAt, size int64, m meta) *pageWalker {
	return &pageWalker{r: r, size: size, pageSize: int(m.pageSize), maxPgid: m.pgid, seen: map[uint64]bool{},
		budget: int(size/int64(m.pageSize)) + 2}
}

// bucketRef is a bucket's root: a page, or (root 0) a page stored inline
// in its parent's value.
type bucketRef struct {
	root   uint64
	inline []byte
}

// bucketValue parses a leaf value that holds a bucket.
func bucketValue(v []byte) (bucketRef, bool) {
	if len(v) < bucketHeaderLen {
		return bucketRef{}, false
	}
	ref := bucketRef{root: le.Uint64(v)}
	if ref.root == 0 {
		ref.inline = v[bucketHeaderLen:]
	}
	return ref, true
}

// page reads page id with its overflow pages, checked.
func (w *pageWalker) page(id uint64) ([]byte, error) {
	if id < 2 || id >= w.maxPgid {
		return nil, fmt.Errorf("page number out of range (the file has %d pages)", w.maxPgid)
	}
	if w.seen[id] {
		return nil, fmt.Errorf("page met twice (a loop)")
	}
	w.seen[id] = true
	if w.budget--; w.budget < 0 {
		return nil, fmt.Errorf("more pages than the file holds")
	}
	off := int64(id) * int64(w.pageSize)
	if off+int64(w.pageSize) > w.size {
		return nil, fmt.Errorf("beyond the end of the file")
	}
	head := make([]byte, w.pageSize)
	if _, err := w.r.ReadAt(head, off); err != nil {
		return nil, fmt.Errorf("cannot be read: %v", err)
	}
	if got := le.Uint64(head); got != id {
		return nil, fmt.Errorf("holds page %d's header: overwritten", got)
	}
	overflow := uint64(le.Uint32(head[12:]))
	if overflow == 0 {
		return head, nil
	}
	if id+overflow >= w.maxPgid || off+int64(overflow+1)*int64(w.pageSize) > w.size {
		return nil, fmt.Errorf("its %d overflow pages reach beyond the file", overflow)
	}
	for i := uint64(1); i <= overflow; i++ {
		if w.seen[id+i] {
			return nil, fmt.Errorf("overflow page %d met twice", id+i)
		}
		w.seen[id+i] = true
	}
	if w.budget -= int(overflow); w.budget < 0 {
		return nil, fmt.Errorf("more pages than the file holds")
	}
	full := make([]byte, int64(overflow+1)*int64(w.pageSize))
	copy(full, head)
	if _, err := w.r.ReadAt(full[w.pageSize:], off+int64(w.pageSize)); err != nil {
		return nil, fmt.Errorf("cannot be read: %v", err)
	}
	return full, nil
}

// forEach calls fn for every key of the bucket at ref, in key order, with
// isBucket for nested buckets. Unreadable pages are recorded under where
// and skipped; forEach reports whether the whole bucket was read.
func (w *pageWalker) forEach(ref bucketRef, where string, fn func(k, v []byte, isBucket bool)) bool {
	if ref.root == 0 {
		if len(ref.inline) < pageHeaderSize {
			w.problems = append(w.problems, pageProblem{0, where, "inline bucket too short"})
			return false
		}
		return w.walkPage(0, ref.inline, where, 0, fn)
	}
	return w.walkID(ref.root, where, 0, fn)
}

func (w *pageWalker) walkID(id uint64, where string, depth int, fn func(k, v []byte, isBucket bool)) bool {
	p, err := w.page(id)
	if err != nil {
		w.problems = append(w.problems, pageProblem{id, where, err.Error()})
		return false
	}
	return w.walkPage(id, p, where, depth, fn)
}

// walkPage reads one branch or leaf page (id 0: inline).
func (w *pageWalker) walkPage(id uint64, p []byte, where string, depth int, fn func(k, v []byte, isBucket bool)) bool {
	bad := func(what string) bool {
		w.problems = append(w.problems, pageProblem{id, where, what})
		return false
	}
	if depth > maxDepth {
		return bad("the tree is deeper than any real one")
	}
	flags, count := le.Uint16(p[8:]), int(le.Uint16(p[10:]))
	if pageHeaderSize+count*elementSize > len(p) {
		return bad(fmt.Sprintf("%d elements do not fit in the page", count))
	}
	// slice returns p[off:off+n] when it lies inside the page.
	slice := func(off, n uint64) ([]byte, bool) {
		if off > uint64(len(p)) || n > uint64(len(p))-off {
			return nil, false
		}
		return p[off : off+n], true
	}
	switch flags {
	case flagBranch:
		ok := true
		for i := 0; i < count; i++ {
			e := p[pageHeaderSize+i*elementSize:]
			if !w.walkID(le.Uint64(e[8:]), where, depth+1, fn) {
				ok = false
			}
		}
		return ok
	case flagLeaf:
		ok := true
		for i := 0; i < count; i++ {
			at := uint64(pageHeaderSize + i*elementSize)
			e := p[at:]
			eflags, pos, ksize, vsize := le.Uint32(e), uint64(le.Uint32(e[4:])), uint64(le.Uint32(e[8:])), uint64(le.Uint32(e[12:]))
			kv, in := slice(at+pos, ksize+vsize)
			if !in || eflags&^leafIsBucket != 0 {
				ok = bad(fmt.Sprintf("element %d points outside its page", i))
				continue
			}
			fn(kv[:ksize], kv[ksize:], eflags&leafIsBucket != 0)
		}
		return ok
	}
	return bad(fmt.Sprintf("not a tree page (type %#x)", flags))
}

// checkFreelist checks the freelist page: its type and that the page
// numbers it lists fit in it and in the file.
func (w *pageWalker) checkFreelist(id uint64) {
	if id == noFreelist {
		return
	}
	p, err := w.page(id)
	if err != nil {
		w.problems = append(w.problems, pageProblem{id, "freelist", err.Error()})
		return
	}
	if le.Uint16(p[8:]) != flagFreelist {
		w.problems = append(w.problems, pageProblem{id, "freelist", "not a freelist page"})
		return
	}
	n, start := uint64(le.Uint16(p[10:])), uint64(pageHeaderSize)
	if n == 0xFFFF { // the count is in the first element
		n, start = le.Uint64(p[pageHeaderSize:]), pageHeaderSize+8
	}
	if n > (uint64(len(p))-start)/8 {
		w.problems = append(w.problems, pageProblem{id, "freelist", "lists more pages than it holds"})
		return
	}
	for i := uint64(0); i < n; i++ {
		if f := le.Uint64(p[start+i*8:]); f < 2 || f >= w.maxPgid {
			w.problems = append(w.problems, pageProblem{id, "freelist", fmt.Sprintf("lists page %d, outside the file", f)})
			return
		}
	}
}
