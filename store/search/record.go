package search

import (
	"encoding/binary"
	"hash/fnv"
	"math/bits"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ---------------------------------------------------------------------------
// Doc records, keys

const (
	docKindMessage = 'm'
	docKindTitle   = 't'
	docVersion     = 1
)

type docHead struct {
	kind   byte
	hash   uint64 // of the text, to skip re-indexing it unchanged
	id     uint64
	seq    uint64
	convID string
	length int // tokens in the text
}

const docHeadLen = 18

func u64(v uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], v)
	return k[:]
}

func getU64(b *bolt.Bucket, key []byte) uint64 {
	if v := b.Get(key); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

func encodeDoc(h docHead, toks []tokenCount) []byte {
	n := docHeadLen + 3*binary.MaxVarintLen64 + len(h.convID)
	for _, t := range toks {
		n += 2 + len(t.tok)
	}
	b := make([]byte, docHeadLen, n)
	b[0], b[1] = docVersion, h.kind
	binary.BigEndian.PutUint64(b[2:], h.hash)
	binary.BigEndian.PutUint64(b[10:], h.id)
	b = binary.AppendUvarint(b, h.seq)
	b = binary.AppendUvarint(b, uint64(len(h.convID)))
	b = append(b, h.convID...)
	b = binary.AppendUvarint(b, uint64(h.length))
	for _, t := range toks {
		b = append(b, byte(min(t.tf, 255)))
		b = binary.AppendUvarint(b, uint64(len(t.tok)))
		b = append(b, t.tok...)
	}
	return b
}

// decodeDocHead reads a doc record's header; rest holds its tokens (see
// nextDocToken).
func decodeDocHead(v []byte) (h docHead, rest []byte, ok bool) {
	if len(v) < docHeadLen || v[0] != docVersion {
		return h, nil, false
	}
	h.kind = v[1]
	h.hash = binary.BigEndian.Uint64(v[2:])
	h.id = binary.BigEndian.Uint64(v[10:])
	v = v[docHeadLen:]
	var n int
	if h.seq, n = binary.Uvarint(v); n <= 0 {
		return h, nil, false
	}
	v = v[n:]
	l, n := binary.Uvarint(v)
	if n <= 0 || uint64(len(v)-n) < l {
		return h, nil, false
	}
	h.convID = string(v[n : n+int(l)])
	v = v[n+int(l):]
	length, n := binary.Uvarint(v)
	if n <= 0 {
		return h, nil, false
	}
	h.length = int(length)
	return h, v[n:], true
}

func nextDocToken(rest []byte) (tok []byte, tf byte, next []byte, ok bool) {
	if len(rest) < 2 {
		return nil, 0, nil, false
	}
	tf = rest[0]
	l, n := binary.Uvarint(rest[1:])
	if n <= 0 || uint64(len(rest)-1-n) < l {
		return nil, 0, nil, false
	}
	start := 1 + n
	return rest[start : start+int(l)], tf, rest[start+int(l):], true
}

func refKey(convID string, seq uint64) []byte {
	k := make([]byte, 0, len(convID)+9)
	k = append(k, convID...)
	k = append(k, 0)
	return append(k, u64(seq)...)
}

func textHash(kind byte, text string) uint64 {
	h := fnv.New64a()
	h.Write([]byte{kind})
	h.Write([]byte(text))
	return h.Sum64()
}

// docID makes the id of a doc created at t: its time in ms, then 16 bits of
// a counter, so that id order is creation order. The merge makes ids unique
// (see Merge).
func docID(t time.Time, counter uint64) uint64 {
	ms := t.UnixMilli()
	if ms < 0 {
		ms = 0
	}
	return uint64(min(ms, 1<<47))<<16 | counter&0xffff
}

// lengthClass buckets a text's token count for the postings: log2.
func lengthClass(n int) byte { return byte(min(bits.Len(uint(n)), 15)) }

func postingNorm(tf int, class byte) byte { return byte(min(tf, 15))<<4 | class }
