package search

import (
	"bytes"
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

var (
	bucketSearchDocs     = []byte("search_docs")
	bucketSearchRefs     = []byte("search_refs")
	bucketSearchRecent   = []byte("search_recent")
	bucketSearchPostings = []byte("search_postings")
	bucketSearchDead     = []byte("search_dead")
	bucketSearchMeta     = []byte("search_meta")

	keySearchMerged = []byte("merged") // search_recent's sequence as of the last merge
	keySearchDocs   = []byte("docs")   // docs in the postings
	keySearchTokens = []byte("tokens") // their tokens in all, for the average length
)

const (
	// MergeThreshold is how many recent docs start a background merge
	// unless Config says otherwise.
	MergeThreshold = 2048
	mergeBatch     = 8192 // most recent docs merged per transaction
	// A merge holds the write lock for tens of milliseconds: it waits for
	// the store's writes to pause this long (streaming answers flush every
	// 150 ms and have promised to lose at most 250 ms in a crash), unless
	// mergeForce docs are waiting.
	mergeQuiet       = time.Second
	mergeForce       = 16 * MergeThreshold
	maxTokenLen      = 40   // bytes; longer words are indexed by their first 40
	maxBlockBytes    = 1000 // encoded postings per block
	snippetRunes     = 160
	maxVerify        = 20000 // candidates checked against their text, at most, per search
	maxRangesPerTerm = 64
)

// Buckets returns the names of the buckets the index keeps, for the store
// to create them.
func Buckets() [][]byte {
	return [][]byte{bucketSearchDocs, bucketSearchRefs, bucketSearchRecent, bucketSearchPostings, bucketSearchDead, bucketSearchMeta}
}

// Config tunes an Index. The zero value is what the program uses; the
// fields are for tests and benchmarks.
type Config struct {
	Threshold int64         // recent docs that start a merge (0: 2048)
	Batch     int           // most docs merged per transaction (0: 8192)
	Quiet     time.Duration // merge once writes paused this long (0: 1s)
	Force     uint64        // or at once when this many docs wait (0: 32,768)
	// Hook runs inside each merge transaction (an error rolls it back);
	// stop is closed once Stop was called.
	Hook func(tx *bolt.Tx, stop <-chan struct{}) error
	// Merged is told after each committed merge whether more is pending.
	Merged chan<- bool
}

// Index is one store's search index: the state that goes with its
// buckets (its background merger, pooled buffers). The store owns it; its
// methods that take a transaction run in the caller's.
type Index struct {
	cfg      Config
	off      atomic.Bool // SetOff: index nothing
	builds   atomic.Int64
	counters sync.Pool              // *tokenCounter
	merger   atomic.Pointer[merger] // running between Start and Stop
}

// New returns an index tuned by cfg.
func New(cfg Config) *Index {
	if cfg.Threshold <= 0 {
		cfg.Threshold = MergeThreshold
	}
	if cfg.Batch <= 0 {
		cfg.Batch = mergeBatch
	}
	if cfg.Quiet <= 0 {
		cfg.Quiet = mergeQuiet
	}
	if cfg.Force == 0 {
		cfg.Force = mergeForce
	}
	ix := &Index{cfg: cfg}
	ix.counters.New = func() any { return &tokenCounter{counts: map[string]int{}} }
	return ix
}

// SetOff stops (or resumes) indexing: benchmarks measure writes without
// the index. Never set in the program.
func (ix *Index) SetOff(off bool) { ix.off.Store(off) }

// Builds counts the full builds (Build) this index ran, for tests.
func (ix *Index) Builds() int64 { return ix.builds.Load() }

// ---------------------------------------------------------------------------
// Indexing (in the caller's write transaction)

// Doc is one text to index: a message's content, or with Seq 0 a
// conversation's title.
type Doc struct {
	ConversationID string
	Seq            uint64 // the message's; 0 for the title
	Created        time.Time
	Text           string
}

func (d Doc) kind() byte {
	if d.Seq == 0 {
		return docKindTitle
	}
	return docKindMessage
}

// Put makes d searchable, replacing what was indexed for it before; an
// unchanged text costs one read. The caller leaves out messages still
// streaming: they are put once their state is final, and again whenever
// their text changes afterwards.
func (ix *Index) Put(tx *bolt.Tx, d Doc) error {
	if ix.off.Load() {
		return nil
	}
	return ix.indexDoc(tx, d.kind(), d.ConversationID, d.Seq, d.Created, d.Text)
}

// Remove takes a message (or with seq 0 a title) out of the index.
func (ix *Index) Remove(tx *bolt.Tx, conversationID string, seq uint64) error {
	key := refKey(conversationID, seq)
	if err := tx.Bucket(bucketSearchRecent).Delete(key); err != nil {
		return err
	}
	if v := tx.Bucket(bucketSearchRefs).Get(key); len(v) == 16 {
		return removeMerged(tx, key, binary.BigEndian.Uint64(v[8:]))
	}
	return nil
}

// RemoveConversation takes a conversation's title and messages out of the
// index.
func (ix *Index) RemoveConversation(tx *bolt.Tx, conversationID string) error {
	prefix := append([]byte(conversationID), 0)
	c := tx.Bucket(bucketSearchRecent).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	c = tx.Bucket(bucketSearchRefs).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Seek(prefix) {
		key := append([]byte(nil), k...)
		id := uint64(0)
		if len(v) == 16 {
			id = binary.BigEndian.Uint64(v[8:])
		}
		if err := removeMerged(tx, key, id); err != nil {
			return err
		}
	}
	return nil
}

func (ix *Index) indexDoc(tx *bolt.Tx, kind byte, convID string, seq uint64, created time.Time, text string) error {
	recent := tx.Bucket(bucketSearchRecent)
	key := refKey(convID, seq)
	h := textHash(kind, text)
	if v := recent.Get(key); v != nil {
		if old, _, ok := decodeDocHead(v); ok && old.hash == h {
			return nil
		}
		if err := recent.Delete(key); err != nil {
			return err
		}
	} else if v := tx.Bucket(bucketSearchRefs).Get(key); len(v) == 16 {
		if binary.BigEndian.Uint64(v) == h {
			return nil
		}
		if err := removeMerged(tx, key, binary.BigEndian.Uint64(v[8:])); err != nil {
			return err
		}
	}
	tc := ix.getTokenCounter()
	defer ix.freeTokenCounter(tc)
	toks, n := tc.count(foldText(text, false).text)
	if len(toks) == 0 {
		return nil
	}
	counter, err := recent.NextSequence()
	if err != nil {
		return err
	}
	rec := encodeDoc(docHead{kind: kind, hash: h, id: docID(created, counter), seq: seq, convID: convID, length: n}, toks)
	if err := recent.Put(key, rec); err != nil {
		return err
	}
	if m := ix.merger.Load(); m != nil {
		pending := counter - getU64(tx.Bucket(bucketSearchMeta), keySearchMerged)
		if t := uint64(ix.cfg.Threshold); pending >= t && (pending-t)%256 == 0 || pending == ix.cfg.Force {
			tx.OnCommit(m.kick)
		}
	}
	return nil
}

// removeMerged removes a merged doc: its ref and record. Its postings are
// left to the merger (they point to nothing meanwhile).
func removeMerged(tx *bolt.Tx, key []byte, id uint64) error {
	docs := tx.Bucket(bucketSearchDocs)
	if v := docs.Get(u64(id)); v != nil {
		if err := tx.Bucket(bucketSearchDead).Put(u64(id), append([]byte(nil), v...)); err != nil {
			return err
		}
		if err := docs.Delete(u64(id)); err != nil {
			return err
		}
	}
	return tx.Bucket(bucketSearchRefs).Delete(key)
}

// Build indexes every doc each gives to its add: the migration for
// databases written before the index. It writes the docs and postings
// directly (search_recent, written and emptied, would leave its pages to
// bbolt's freelist, which every later commit writes).
func (ix *Index) Build(tx *bolt.Tx, each func(add func(Doc)) error) error {
	ix.builds.Add(1)
	mg := newMerging(tx)
	var counter uint64
	tc := ix.getTokenCounter()
	defer ix.freeTokenCounter(tc)
	err := each(func(d Doc) {
		toks, n := tc.count(foldText(d.Text, false).text)
		if len(toks) == 0 {
			return
		}
		counter++
		kind := d.kind()
		h := docHead{kind: kind, hash: textHash(kind, d.Text), id: docID(d.Created, counter), seq: d.Seq, convID: d.ConversationID, length: n}
		mg.add(refKey(d.ConversationID, d.Seq), encodeDoc(h, toks))
	})
	if err != nil {
		return err
	}
	return mg.finish(false)
}
