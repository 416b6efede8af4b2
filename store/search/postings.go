package search

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/bits"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// ---------------------------------------------------------------------------
// Postings and the merge

type posting struct {
	id   uint64
	norm byte // tf (high nibble) and length class (low nibble)
}

type postOp struct {
	id   uint64
	norm byte
	del  bool
}

func blockKey(prefix []byte, id uint64) []byte {
	k := make([]byte, 0, len(prefix)+8)
	k = append(k, prefix...)
	return append(k, u64(id)...)
}

func isBlockOf(k, prefix []byte) bool {
	return len(k) == len(prefix)+8 && bytes.HasPrefix(k, prefix)
}

func decodeBlock(key, v []byte, out []posting) []posting {
	id := binary.BigEndian.Uint64(key[len(key)-8:])
	for len(v) > 0 {
		d, n := binary.Uvarint(v)
		if n <= 0 || len(v) < n+1 {
			break
		}
		id += d
		out = append(out, posting{id, v[n]})
		v = v[n+1:]
	}
	return out
}

func encodeBlock(ps []posting) []byte {
	b := make([]byte, 0, len(ps)*4)
	prev := ps[0].id
	for _, p := range ps {
		b = binary.AppendUvarint(b, p.id-prev)
		b = append(b, p.norm)
		prev = p.id
	}
	return b
}

func postingSize(delta uint64) int {
	return (bits.Len64(delta|1)+6)/7 + 1
}

// applyPostings adds and removes postings of one token; ops are sorted by id.
func applyPostings(b *bolt.Bucket, tok string, ops []postOp) error {
	prefix := append([]byte(tok), 0)
	c := b.Cursor()
	var entries []posting
	for len(ops) > 0 {
		// The block for ops[0]: the last one starting at or before it, else
		// the token's first.
		var key, val []byte
		// Seek's value is not needed: the block wanted is the one before.
		k, _ := c.Seek(blockKey(prefix, ops[0].id+1))
		var v []byte
		if k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
		if k != nil && isBlockOf(k, prefix) {
			key, val = k, v
		} else if k, v = c.Seek(prefix); k != nil && isBlockOf(k, prefix) {
			key, val = k, v
		}
		upper := uint64(math.MaxUint64)
		if key != nil {
			key = append([]byte(nil), key...)
			entries = decodeBlock(key, val, entries[:0])
			if nk, _ := c.Next(); nk != nil && isBlockOf(nk, prefix) {
				upper = binary.BigEndian.Uint64(nk[len(nk)-8:])
			}
		} else {
			entries = entries[:0]
		}
		n := 1
		for n < len(ops) && ops[n].id < upper {
			n++
		}
		merged := mergePostings(entries, ops[:n])
		ops = ops[n:]
		if key != nil {
			if err := b.Delete(key); err != nil {
				return err
			}
		}
		for len(merged) > 0 {
			size, i := 0, 0
			for ; i < len(merged); i++ {
				d := uint64(0)
				if i > 0 {
					d = merged[i].id - merged[i-1].id
				}
				if s := postingSize(d); i > 0 && size+s > maxBlockBytes {
					break
				} else {
					size += s
				}
			}
			if err := b.Put(blockKey(prefix, merged[0].id), encodeBlock(merged[:i])); err != nil {
				return err
			}
			merged = merged[i:]
		}
	}
	return nil
}

func mergePostings(entries []posting, ops []postOp) []posting {
	out := make([]posting, 0, len(entries)+len(ops))
	i := 0
	for _, op := range ops {
		for i < len(entries) && entries[i].id < op.id {
			out = append(out, entries[i])
			i++
		}
		if i < len(entries) && entries[i].id == op.id {
			i++ // replaced or removed
		}
		if !op.del {
			out = append(out, posting{op.id, op.norm})
		}
	}
	return append(out, entries[i:]...)
}

// merging gathers the changes of one merge (or of the build): docs entering
// the postings and deleted docs leaving them; finish writes them in key
// order (bbolt splits nodes only at commit: inserting at random places of a
// node that grows in the transaction is quadratic).
type merging struct {
	tx             *bolt.Tx
	adds           []mergeDoc
	ops            map[string]*[]postOp
	nDocs, nTokens int64
}

type mergeDoc struct {
	id       uint64
	key, rec []byte
}

func newMerging(tx *bolt.Tx) *merging {
	meta := tx.Bucket(bucketSearchMeta)
	return &merging{tx: tx, ops: map[string]*[]postOp{}, nDocs: int64(getU64(meta, keySearchDocs)), nTokens: int64(getU64(meta, keySearchTokens))}
}

func (mg *merging) tokens(id uint64, h docHead, rest []byte, del bool) {
	class := lengthClass(h.length)
	for {
		tok, tf, next, ok := nextDocToken(rest)
		if !ok {
			return
		}
		rest = next
		l := mg.ops[string(tok)]
		if l == nil {
			l = new([]postOp)
			mg.ops[string(tok)] = l
		}
		*l = append(*l, postOp{id: id, norm: postingNorm(int(tf), class), del: del})
	}
}

// add adds doc record rec (owned by mg from now on) stored under key.
func (mg *merging) add(key, rec []byte) {
	if h, _, ok := decodeDocHead(rec); ok {
		mg.adds = append(mg.adds, mergeDoc{h.id, key, rec})
	}
}

// remove takes the postings of deleted doc id (record rec) out.
func (mg *merging) remove(id uint64, rec []byte) {
	if h, rest, ok := decodeDocHead(rec); ok {
		mg.tokens(id, h, rest, true)
		mg.nDocs--
		mg.nTokens -= int64(h.length)
	}
}

// finish writes the docs, refs, postings and counters; recentLeft tells
// whether search_recent still holds docs. A doc whose id is taken (two docs
// in the same millisecond whose counters are 65,536 apart) gets the next
// free one.
func (mg *merging) finish(recentLeft bool) error {
	docs, dead, refs := mg.tx.Bucket(bucketSearchDocs), mg.tx.Bucket(bucketSearchDead), mg.tx.Bucket(bucketSearchRefs)
	docs.FillPercent = 0.9 // ids mostly grow
	slices.SortFunc(mg.adds, func(a, b mergeDoc) int { return cmpID(a.id, b.id) })
	last := uint64(0)
	for i := range mg.adds {
		d := &mg.adds[i]
		if i > 0 && d.id <= last {
			d.id = last + 1
		}
		for docs.Get(u64(d.id)) != nil || dead.Get(u64(d.id)) != nil {
			d.id++
		}
		last = d.id
		binary.BigEndian.PutUint64(d.rec[10:], d.id)
		if err := docs.Put(u64(d.id), d.rec); err != nil {
			return err
		}
		h, rest, _ := decodeDocHead(d.rec)
		mg.tokens(d.id, h, rest, false)
		mg.nDocs++
		mg.nTokens += int64(h.length)
	}
	slices.SortFunc(mg.adds, func(a, b mergeDoc) int { return bytes.Compare(a.key, b.key) })
	for _, d := range mg.adds {
		h, _, _ := decodeDocHead(d.rec)
		if err := refs.Put(d.key, append(u64(h.hash), u64(d.id)...)); err != nil {
			return err
		}
	}
	toks := make([]string, 0, len(mg.ops))
	for t := range mg.ops {
		toks = append(toks, t)
	}
	slices.Sort(toks)
	post := mg.tx.Bucket(bucketSearchPostings)
	for _, t := range toks {
		l := *mg.ops[t]
		if !slices.IsSortedFunc(l, cmpOp) {
			slices.SortStableFunc(l, cmpOp)
		}
		if err := applyPostings(post, t, l); err != nil {
			return err
		}
	}
	meta := mg.tx.Bucket(bucketSearchMeta)
	merged := getU64(meta, keySearchMerged) + uint64(len(mg.adds))
	if !recentLeft {
		merged = mg.tx.Bucket(bucketSearchRecent).Sequence()
	}
	for _, kv := range []struct {
		k []byte
		v uint64
	}{{keySearchMerged, merged}, {keySearchDocs, uint64(max(mg.nDocs, 0))}, {keySearchTokens, uint64(max(mg.nTokens, 0))}} {
		if err := meta.Put(kv.k, u64(kv.v)); err != nil {
			return err
		}
	}
	return nil
}

// Pending is the number of docs written since the last merge.
func Pending(tx *bolt.Tx) uint64 {
	return tx.Bucket(bucketSearchRecent).Sequence() - getU64(tx.Bucket(bucketSearchMeta), keySearchMerged)
}

// Merge moves up to limit docs of search_recent (all when limit <= 0) into
// the docs, refs and postings, and takes deleted docs' postings out, in tx.
// It reports whether recent docs remain. The background merger calls it;
// so may anyone holding a write transaction.
func Merge(tx *bolt.Tx, limit int) (more bool, err error) {
	recent, dead := tx.Bucket(bucketSearchRecent), tx.Bucket(bucketSearchDead)
	mg := newMerging(tx)
	var recentKeys, deadKeys [][]byte
	c := recent.Cursor()
	for k, v := c.First(); k != nil && (limit <= 0 || len(recentKeys) < limit); k, v = c.Next() {
		key := append([]byte(nil), k...)
		recentKeys = append(recentKeys, key)
		mg.add(key, append([]byte(nil), v...))
	}
	c = dead.Cursor()
	for k, v := c.First(); k != nil && (limit <= 0 || len(deadKeys) < limit); k, v = c.Next() {
		deadKeys = append(deadKeys, append([]byte(nil), k...))
		mg.remove(binary.BigEndian.Uint64(k), v)
	}
	if len(recentKeys) == 0 && len(deadKeys) == 0 {
		return false, nil
	}
	for _, k := range recentKeys {
		if err := recent.Delete(k); err != nil {
			return false, err
		}
	}
	for _, k := range deadKeys {
		if err := dead.Delete(k); err != nil {
			return false, err
		}
	}
	k, _ := recent.Cursor().First()
	return k != nil, mg.finish(k != nil)
}

func cmpOp(a, b postOp) int {
	switch {
	case a.id < b.id:
		return -1
	case a.id > b.id:
		return 1
	}
	return 0
}
