package store

import (
	"encoding/binary"
	"encoding/json"
	"hash/maphash"
	"sync"
	"sync/atomic"
)

// messageMemo keeps the messages Snapshot last decoded, per conversation, so
// that a send in a long chat decodes only the messages written since the
// last one. Every send reads its whole chat (the request is planned from
// it), and decoding each message's JSON again was most of a send's cost in
// a chat of hundreds of messages, a cost that grew with the chat.
//
// A remembered message is used only when its stored bytes have the same
// length and hash as when it was decoded, so every write (streaming
// flushes, edits, pins, deletions, a restored backup) is seen without being
// told. It holds at most memoChats conversations and memoMaxBytes of their
// stored bytes in all; a chat larger than that is decoded each time, as
// before.
type messageMemo struct {
	mu    sync.Mutex
	seed  maphash.Seed
	chats map[string]*memoChat
	tick  uint64
	bytes int
	// decoded counts the messages Snapshot decoded (not remembered), for
	// tests.
	decoded atomic.Int64
}

const (
	memoChats    = 4
	memoMaxBytes = 8 << 20
)

type memoChat struct {
	entries []memoEntry // in seq order
	bytes   int         // their stored bytes
	used    uint64      // the memo's tick when last read
}

type memoEntry struct {
	seq uint64
	n   int    // the stored bytes' length
	sum uint64 // and hash
	msg Message
}

// take returns what is remembered of the conversation (nil: nothing) and
// the hash seed to compare with. The entries are not changed afterwards:
// put replaces them.
func (mm *messageMemo) take(convID string) ([]memoEntry, maphash.Seed) {
	mm.mu.Lock()
	defer mm.mu.Unlock()
	if mm.chats == nil {
		mm.chats = map[string]*memoChat{}
		mm.seed = maphash.MakeSeed()
	}
	if c := mm.chats[convID]; c != nil {
		mm.tick++
		c.used = mm.tick
		return c.entries, mm.seed
	}
	return nil, mm.seed
}

// put remembers a conversation's messages as just read, forgetting the
// least recently read conversations beyond the bounds.
func (mm *messageMemo) put(convID string, entries []memoEntry, bytes int) {
	mm.mu.Lock()
	defer mm.mu.Unlock()
	mm.forget(convID)
	if bytes > memoMaxBytes {
		return
	}
	mm.tick++
	mm.chats[convID] = &memoChat{entries: entries, bytes: bytes, used: mm.tick}
	mm.bytes += bytes
	for len(mm.chats) > memoChats || mm.bytes > memoMaxBytes {
		oldest, at := "", uint64(0)
		for id, c := range mm.chats {
			if oldest == "" || c.used < at {
				oldest, at = id, c.used
			}
		}
		mm.forget(oldest)
	}
}

// drop forgets a conversation (it was deleted).
func (mm *messageMemo) drop(convID string) {
	mm.mu.Lock()
	defer mm.mu.Unlock()
	mm.forget(convID)
}

func (mm *messageMemo) forget(convID string) {
	if c := mm.chats[convID]; c != nil {
		mm.bytes -= c.bytes
		delete(mm.chats, convID)
	}
}

// memoReader decodes one conversation's messages in seq order, reusing what
// the memo remembers of them.
type memoReader struct {
	mm    *messageMemo
	seed  maphash.Seed
	old   []memoEntry
	next  []memoEntry
	bytes int
}

func (mm *messageMemo) reader(convID string) *memoReader {
	old, seed := mm.take(convID)
	return &memoReader{mm: mm, seed: seed, old: old, next: make([]memoEntry, 0, len(old)+2)}
}

// decode returns the message stored under key k as v.
func (r *memoReader) decode(k, v []byte) (Message, error) {
	if len(k) != 8 { // not a message key: decoded, not remembered
		var m Message
		r.mm.decoded.Add(1)
		return m, json.Unmarshal(v, &m)
	}
	seq := binary.BigEndian.Uint64(k)
	sum := maphash.Bytes(r.seed, v)
	for len(r.old) > 0 && r.old[0].seq < seq {
		r.old = r.old[1:]
	}
	e := memoEntry{seq: seq, n: len(v), sum: sum}
	if len(r.old) > 0 && r.old[0].seq == seq && r.old[0].n == len(v) && r.old[0].sum == sum {
		e.msg = r.old[0].msg
	} else {
		r.mm.decoded.Add(1)
		if err := json.Unmarshal(v, &e.msg); err != nil {
			return Message{}, err
		}
	}
	r.next = append(r.next, e)
	r.bytes += len(v)
	return e.msg, nil
}

// done remembers what was read.
func (r *memoReader) done(convID string) { r.mm.put(convID, r.next, r.bytes) }
