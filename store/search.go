package store

// Full-text search over message text and conversation titles.
//
// Text is folded before it is indexed or matched: NFKC (full-width Latin,
// half-width kana and ligatures become their plain forms, decomposed accents
// compose), Unicode case folding (ß and ẞ fold to "ss"), curly quotes to
// straight ones, every run of white space to one space. Latin (and any other
// spaced) script is indexed by word; Chinese, Japanese and Korean runs by
// overlapping bigrams plus an end marker for their last character, so that
// any substring of one or more characters can be looked up. Every candidate
// is checked against the real text before it is returned, and the snippet's
// highlights come from that check.
//
// Layout. Every indexed text (a message's content, a conversation's title)
// is a doc with a 64-bit id made of its creation time (ms) and a counter, so
// that id order is time order: newest-first needs no lookups.
//
//	search_recent    conversation id 0 seq → doc record (id, text hash, distinct tokens
//	                 with counts): docs written since the last merge; seq 0 is the title
//	search_docs      doc id → doc record, for docs in the postings
//	search_refs      conversation id 0 seq → text hash + doc id, for docs in the postings
//	search_postings  token 0 first doc id → block of (id delta, tf·length) postings
//	search_dead      doc id → record of a deleted doc whose postings remain
//	search_meta      docs added when last merged; doc and token counts
//
// A write that changes a text puts one record into search_recent, a small
// bucket: a few pages per commit, never one page per token (measured on a
// 100k-message store: 48 KB written per AppendMessage commit instead of 36,
// +0.07 ms p50; the first design, which also wrote a ref and the record into
// the big trees, wrote 76 KB). A search reads the
// postings and scans search_recent. A goroutine started by Open merges
// search_recent into the other buckets, in its own write transactions, once
// it holds searchMergeThreshold docs, and takes the postings of deleted docs
// out (until then they point to missing docs and are skipped). Each merge is
// one transaction: closing or crashing in the middle of one loses nothing.

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/fnv"
	"math"
	"math/bits"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/text/unicode/norm"
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

// DefaultSearchLimit is the number of results Search returns when
// SearchOptions.Limit is not set.
const DefaultSearchLimit = 50

const (
	searchMergeThreshold = 2048 // recent docs that start a background merge
	searchMergeBatch     = 8192 // most recent docs merged per transaction
	// A merge holds the write lock for tens of milliseconds: it waits for
	// the store's writes to pause this long (streaming answers flush every
	// 150 ms and have promised to lose at most 250 ms in a crash), unless
	// searchMergeForce docs are waiting.
	searchMergeQuiet = time.Second
	searchMergeForce = 16 * searchMergeThreshold
	maxTokenLen      = 40   // bytes; longer words are indexed by their first 40
	maxBlockBytes    = 1000 // encoded postings per block
	snippetRunes     = 160
	maxVerify        = 20000 // candidates checked against their text, at most, per search
	maxRangesPerTerm = 64
)

// searchIndexOff disables indexing: benchmarks set it to measure writes
// without the index. Never set in the program.
var searchIndexOff bool

// searchBuilds counts full index builds (the migration), for tests.
var searchBuilds atomic.Int64

// SearchOrder is the order of search results.
type SearchOrder string

// Search orders.
const (
	ByNewest    SearchOrder = "newest"    // most recent message first (the default)
	ByRelevance SearchOrder = "relevance" // best match first (BM25), newest first among equals
)

// SearchOptions tune Search. The zero value returns up to DefaultSearchLimit
// results, newest first, from every conversation.
type SearchOptions struct {
	Limit          int
	By             SearchOrder
	ConversationID string // only this conversation when set
}

// Range is a byte range [Start, End) of a snippet.
type Range struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// SearchResult is one message, or one conversation title, that matches.
type SearchResult struct {
	ConversationID string `json:"conversation_id"`
	Title          string `json:"title"` // the conversation's title
	// InTitle: the match is the conversation's title; Seq is 0 and MessageID
	// and Role are empty.
	InTitle   bool      `json:"in_title,omitempty"`
	Seq       uint64    `json:"seq"`
	MessageID string    `json:"message_id"`
	Role      Role      `json:"role"`
	CreatedAt time.Time `json:"created_at"`
	// Snippet is about 160 characters of the text around the first match,
	// on one line, with "…" where it was cut; Highlights are the matches in
	// it (byte ranges, never inside a UTF-8 sequence), in order.
	Snippet    string  `json:"snippet"`
	Highlights []Range `json:"highlights"`
	Score      float64 `json:"score,omitempty"` // ByRelevance only
}

// Search returns the messages and conversation titles that contain every
// word of query, newest first unless opts say otherwise. Words match whole
// words, the last one also as a word prefix ("kube" finds "kubernetes")
// unless the query ends with a space; Chinese, Japanese and Korean text
// matches as a substring; "quoted text" must appear as written. Case, width
// and accents' composition do not matter. An empty query has no results.
// It is one read transaction. A query whose words are everywhere but
// together nowhere stops after checking 20,000 candidates against their
// text, and may then miss older matches.
func (s *Store) Search(query string, opts SearchOptions) ([]SearchResult, error) {
	q := parseQuery(query)
	if len(q.terms) == 0 {
		return nil, nil
	}
	if opts.Limit <= 0 {
		opts.Limit = DefaultSearchLimit
	}
	var out []SearchResult
	err := s.view(func(tx *bolt.Tx) (err error) {
		out, err = search(tx, q, opts)
		return err
	})
	if err != nil {
		return nil, &Error{Op: "search", Msg: "The history could not be searched.", Err: err}
	}
	return out, nil
}

// ---------------------------------------------------------------------------
// Folding and tokens

// folded is text made ready for matching. When mapped, starts[i] and
// ends[i] give the bytes of the original text that byte i came from.
type folded struct {
	text         string
	starts, ends []int32
}

type folder struct {
	out          []byte
	starts, ends []int32
	mapped       bool
	space        bool // the last byte written is a (collapsed) space
}

// foldText folds s: NFKC, case folding, white space runs to one space.
func foldText(s string, mapped bool) folded {
	f := folder{out: make([]byte, 0, len(s)+len(s)/16+4), mapped: mapped}
	if mapped {
		f.starts = make([]int32, 0, cap(f.out))
		f.ends = make([]int32, 0, cap(f.out))
	}
	for i := 0; i < len(s); {
		end := i + norm.NFKC.QuickSpanString(s[i:])
		for i < end {
			if c := s[i]; c < utf8.RuneSelf {
				if !mapped {
					i = f.asciiRun(s, i, end)
					continue
				}
				f.ascii(c, i, i+1)
				i++
				continue
			}
			r, n := utf8.DecodeRuneInString(s[i:])
			f.rune(r, i, i+n)
			i += n
		}
		if i >= len(s) {
			break
		}
		n := norm.NFKC.NextBoundaryInString(s[i:], true)
		if n <= 0 {
			n = len(s) - i
		}
		for _, r := range norm.NFKC.String(s[i : i+n]) {
			f.rune(r, i, i+n)
		}
		i += n
	}
	return folded{text: string(f.out), starts: f.starts, ends: f.ends}
}

func (f *folder) put(b []byte, from, to int) {
	f.space = false
	f.out = append(f.out, b...)
	if f.mapped {
		for range b {
			f.starts = append(f.starts, int32(from))
			f.ends = append(f.ends, int32(to))
		}
	}
}

func (f *folder) spaceAt(from, to int) {
	if f.space {
		if f.mapped {
			f.ends[len(f.ends)-1] = int32(to)
		}
		return
	}
	f.put([]byte{' '}, from, to)
	f.space = true
}

func (f *folder) ascii(c byte, from, to int) {
	switch {
	case c <= ' ' || c == 0x7f:
		f.spaceAt(from, to)
		return
	case 'A' <= c && c <= 'Z':
		c += 'a' - 'A'
	}
	f.space = false
	f.out = append(f.out, c)
	if f.mapped {
		f.starts = append(f.starts, int32(from))
		f.ends = append(f.ends, int32(to))
	}
}

// asciiRun folds the ASCII bytes of s from i up to end or the first other
// byte, as ascii does when unmapped, and returns where it stopped.
func (f *folder) asciiRun(s string, i, end int) int {
	out, space := f.out, f.space
	for ; i < end; i++ {
		c := s[i]
		switch {
		case c >= utf8.RuneSelf:
			f.out, f.space = out, space
			return i
		case c <= ' ' || c == 0x7f:
			if !space {
				out = append(out, ' ')
				space = true
			}
			continue
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		out = append(out, c)
		space = false
	}
	f.out, f.space = out, space
	return i
}

func (f *folder) rune(r rune, from, to int) {
	if r < utf8.RuneSelf {
		f.ascii(byte(r), from, to)
		return
	}
	switch {
	case r == 'ß' || r == 'ẞ':
		f.put([]byte("ss"), from, to)
		return
	case r == '\u2018' || r == '\u2019' || r == '\u201B' || r == '\u2032':
		f.ascii('\'', from, to)
		return
	case r == '\u201C' || r == '\u201D' || r == '\u2033':
		f.ascii('"', from, to)
		return
	case r >= 0x3040 && r < 0xA000: // kana and Han: no case
	case unicode.IsSpace(r) || unicode.IsControl(r):
		f.spaceAt(from, to)
		return
	case unicode.Is(unicode.Cf, r): // soft hyphen, zero-width joiners, BOM
		return
	default:
		r = unicode.ToLower(unicode.ToUpper(r))
	}
	var b [utf8.UTFMax]byte
	f.put(b[:utf8.EncodeRune(b[:], r)], from, to)
}

// isCJK reports whether r belongs to a script written without spaces
// between words, indexed by bigrams.
func isCJK(r rune) bool {
	switch {
	case r < 0x3005:
		return false
	case r <= 0x3007, // 々〆〇
		r >= 0x3041 && r <= 0x309F,                                                         // hiragana
		r >= 0x30A1 && r <= 0x30FA, r >= 0x30FC && r <= 0x30FF, r >= 0x31F0 && r <= 0x31FF, // katakana, ー
		r >= 0x3400 && r <= 0x4DBF, r >= 0x4E00 && r <= 0x9FFF, r >= 0xF900 && r <= 0xFAFF, // Han
		r >= 0xAC00 && r <= 0xD7AF,   // Hangul syllables
		r >= 0x20000 && r <= 0x3134F: // Han extensions
		return true
	}
	return false
}

// isWordRune reports whether r is part of a spaced-script word.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || 'A' <= r && r <= 'Z'
	}
	return !isCJK(r) && (unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r))
}

// asciiWord[c] is isWordRune(c) for the ASCII bytes.
var asciiWord = func() (t [utf8.RuneSelf]bool) {
	for c := range t {
		t[c] = isWordRune(rune(c))
	}
	return t
}()

// wordEnd returns the end of the word of f that continues at j.
func wordEnd(f string, j int) int {
	for j < len(f) {
		if c := f[j]; c < utf8.RuneSelf {
			if !asciiWord[c] {
				break
			}
			j++
			continue
		}
		r, n := utf8.DecodeRuneInString(f[j:])
		if !isWordRune(r) {
			break
		}
		j += n
	}
	return j
}

func decodeRune(s string) (rune, int) {
	if c := s[0]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(s)
}

func truncToken(t string) string {
	if len(t) <= maxTokenLen {
		return t
	}
	n := maxTokenLen
	for n > 0 && !utf8.RuneStart(t[n]) {
		n--
	}
	return t[:n]
}

// cjkEnd marks the token of the last character of a CJK run.
const cjkEnd = "\x01"

// eachToken calls emit for each token of folded text f: words, and the
// bigrams of CJK runs followed by their last character + cjkEnd.
func eachToken(f string, emit func(string)) {
	for i := 0; i < len(f); {
		if c := f[i]; c < utf8.RuneSelf { // most text: no rune to decode
			if !asciiWord[c] {
				i++
				continue
			}
			j := wordEnd(f, i+1)
			emit(truncToken(f[i:j]))
			i = j
			continue
		}
		r, n := decodeRune(f[i:])
		switch {
		case isCJK(r):
			prev, j := i, i+n
			for j < len(f) {
				r2, n2 := decodeRune(f[j:])
				if !isCJK(r2) {
					break
				}
				emit(f[prev : j+n2])
				prev, j = j, j+n2
			}
			emit(f[prev:j] + cjkEnd)
			i = j
		case isWordRune(r):
			j := wordEnd(f, i+n)
			emit(truncToken(f[i:j]))
			i = j
		default:
			i += n
		}
	}
}

type tokenCount struct {
	tok string
	tf  int
}

// tokenCounter counts the tokens of texts. Indexing runs in the write
// transaction of every finished answer, so counters are pooled: their map
// and slices are allocated once, not per text.
type tokenCounter struct {
	counts map[string]int
	keyed  []keyedToken
	out    []tokenCount
}

// keyedToken is a distinct token with its count and its first eight bytes
// as a number (big-endian, zero-padded): most comparisons of a sort end on
// the number, and (prefix, token) order is the tokens' byte order.
type keyedToken struct {
	prefix uint64
	tok    string
	tf     int
}

func tokenPrefix(t string) uint64 {
	var b [8]byte
	copy(b[:], t)
	return binary.BigEndian.Uint64(b[:])
}

// maxPooledTokens bounds the distinct tokens a counter keeps room for: a
// map grown for a very long text would be slow to clear.
const maxPooledTokens = 4096

var tokenCounters = sync.Pool{New: func() any { return &tokenCounter{counts: map[string]int{}} }}

func getTokenCounter() *tokenCounter { return tokenCounters.Get().(*tokenCounter) }

// free returns tc for reuse; what count returned is then invalid.
func (tc *tokenCounter) free() {
	if cap(tc.out) > maxPooledTokens {
		return
	}
	clear(tc.keyed) // keep no text alive
	clear(tc.out)
	tokenCounters.Put(tc)
}

// count returns the distinct tokens of f, sorted, with their counts, and
// the number of tokens in all. The result is valid until the next count or
// free.
func (tc *tokenCounter) count(f string) ([]tokenCount, int) {
	// Counted in a map, then only the distinct tokens sorted.
	n := 0
	eachToken(f, func(t string) {
		tc.counts[t]++
		n++
	})
	keyed := tc.keyed[:0]
	for t, tf := range tc.counts {
		keyed = append(keyed, keyedToken{tokenPrefix(t), t, tf})
	}
	slices.SortFunc(keyed, func(a, b keyedToken) int {
		if a.prefix != b.prefix {
			return cmp.Compare(a.prefix, b.prefix)
		}
		return strings.Compare(a.tok, b.tok)
	})
	out := tc.out[:0]
	for _, k := range keyed {
		out = append(out, tokenCount{k.tok, k.tf})
	}
	if len(keyed) > maxPooledTokens {
		tc.counts = map[string]int{}
	} else {
		clear(tc.counts)
	}
	tc.keyed, tc.out = keyed, out
	return out, n
}

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
// (see mergeSearch).
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

// ---------------------------------------------------------------------------
// Indexing (in the caller's write transaction)

// indexMessage makes m's content searchable, replacing what was indexed for
// it before; an unchanged text costs one read. A message still streaming is
// left alone: it is indexed once its state is final, and again whenever its
// text changes afterwards. m must be stored (ConversationID, Seq and
// CreatedAt set).
func indexMessage(tx *bolt.Tx, m Message) error {
	if searchIndexOff || m.State == StateStreaming {
		return nil
	}
	return indexDoc(tx, docKindMessage, m.ConversationID, m.Seq, m.CreatedAt, m.Content)
}

// indexTitle makes c's title searchable, replacing its previous title.
func indexTitle(tx *bolt.Tx, c Conversation) error {
	if searchIndexOff {
		return nil
	}
	return indexDoc(tx, docKindTitle, c.ID, 0, c.CreatedAt, c.Title)
}

// unindexMessage removes a message from the index.
func unindexMessage(tx *bolt.Tx, conversationID string, seq uint64) error {
	key := refKey(conversationID, seq)
	if err := tx.Bucket(bucketSearchRecent).Delete(key); err != nil {
		return err
	}
	if v := tx.Bucket(bucketSearchRefs).Get(key); len(v) == 16 {
		return removeMerged(tx, key, binary.BigEndian.Uint64(v[8:]))
	}
	return nil
}

// unindexConversation removes a conversation's title and messages from the
// index.
func unindexConversation(tx *bolt.Tx, conversationID string) error {
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

func indexDoc(tx *bolt.Tx, kind byte, convID string, seq uint64, created time.Time, text string) error {
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
	tc := getTokenCounter()
	defer tc.free()
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
	if m := mergerOf(tx.DB()); m != nil {
		pending := counter - getU64(tx.Bucket(bucketSearchMeta), keySearchMerged)
		if t := uint64(m.threshold.Load()); pending >= t && (pending-t)%256 == 0 || pending == m.force {
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

// buildSearchIndex indexes every conversation title and message: the
// migration for databases written before the index. It writes the docs and
// postings directly (search_recent, written and emptied, would leave its
// pages to bbolt's freelist, which every later commit writes).
func buildSearchIndex(tx *bolt.Tx) error {
	searchBuilds.Add(1)
	mg := newMerging(tx)
	var counter uint64
	tc := getTokenCounter()
	defer tc.free()
	add := func(kind byte, convID string, seq uint64, created time.Time, text string) error {
		toks, n := tc.count(foldText(text, false).text)
		if len(toks) == 0 {
			return nil
		}
		counter++
		h := docHead{kind: kind, hash: textHash(kind, text), id: docID(created, counter), seq: seq, convID: convID, length: n}
		mg.add(refKey(convID, seq), encodeDoc(h, toks))
		return nil
	}
	msgs := tx.Bucket(bucketMessages)
	err := tx.Bucket(bucketConversations).ForEach(func(k, v []byte) error {
		var c Conversation
		if json.Unmarshal(v, &c) != nil {
			return nil // an unreadable record is not searchable; the rest is
		}
		if err := add(docKindTitle, string(k), 0, c.CreatedAt, c.Title); err != nil {
			return err
		}
		b := msgs.Bucket(k)
		if b == nil {
			return nil
		}
		return b.ForEach(func(sk, v []byte) error {
			var m Message
			if json.Unmarshal(v, &m) != nil || len(sk) != 8 || m.State == StateStreaming {
				return nil
			}
			return add(docKindMessage, string(k), binary.BigEndian.Uint64(sk), m.CreatedAt, m.Content)
		})
	})
	if err != nil {
		return err
	}
	return mg.finish(false)
}

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
		k, v := c.Seek(blockKey(prefix, ops[0].id+1))
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

// mergeSearch moves up to limit docs of search_recent (all when limit <= 0)
// into the docs, refs and postings, and takes deleted docs' postings out, in
// tx. It reports whether recent docs remain.
func mergeSearch(tx *bolt.Tx, limit int) (more bool, err error) {
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

// ---------------------------------------------------------------------------
// The background merger

// merger merges a store's recent segment into the postings, in its own
// write transactions, when kicked by a commit that left enough recent docs.
type merger struct {
	threshold atomic.Int64
	batch     int
	quiet     time.Duration // merge once no write happened for this long,
	force     uint64        // or at once when this many docs wait
	lastWrite *atomic.Int64 // the store's last write (UnixNano)
	kickc     chan struct{}
	stop      chan struct{}
	done      chan struct{}
	// For tests: hook runs inside each merge transaction (an error rolls
	// it back); merged is told after each committed merge.
	hook    func(*bolt.Tx) error
	merged  chan<- bool // more pending
	lastErr atomic.Pointer[error]
}

var searchMergers sync.Map // *bolt.DB → *merger

// configureMerger, when set (tests), adjusts each merger before it starts.
var configureMerger func(*merger)

func mergerOf(db *bolt.DB) *merger {
	if v, ok := searchMergers.Load(db); ok {
		return v.(*merger)
	}
	return nil
}

func (m *merger) kick() {
	select {
	case m.kickc <- struct{}{}:
	default:
	}
}

// startSearchMerger starts s's merger; stopSearchMerger stops it.
func (s *Store) startSearchMerger() {
	m := &merger{batch: searchMergeBatch, quiet: searchMergeQuiet, force: searchMergeForce, lastWrite: &s.lastWrite,
		kickc: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	m.threshold.Store(searchMergeThreshold)
	if configureMerger != nil {
		configureMerger(m)
	}
	searchMergers.Store(s.db, m)
	var pending uint64
	_ = s.view(func(tx *bolt.Tx) error {
		pending = tx.Bucket(bucketSearchRecent).Sequence() - getU64(tx.Bucket(bucketSearchMeta), keySearchMerged)
		return nil
	})
	if pending >= uint64(m.threshold.Load()) {
		m.kick()
	}
	go m.run(s.db)
}

func (s *Store) stopSearchMerger() {
	if v, ok := searchMergers.LoadAndDelete(s.db); ok {
		m := v.(*merger)
		close(m.stop)
		<-m.done
	}
}

// waitQuiet waits until the store's writes have paused for m.quiet, or
// m.force docs wait to be merged. It returns false when the merger stops.
func (m *merger) waitQuiet(db *bolt.DB) bool {
	for {
		idle := time.Since(time.Unix(0, m.lastWrite.Load()))
		if idle >= m.quiet {
			return true
		}
		var pending uint64
		_ = runGuarded(func() error {
			return db.View(func(tx *bolt.Tx) error {
				pending = tx.Bucket(bucketSearchRecent).Sequence() - getU64(tx.Bucket(bucketSearchMeta), keySearchMerged)
				return nil
			})
		})
		if pending >= m.force {
			return true
		}
		t := time.NewTimer(m.quiet - idle)
		select {
		case <-m.stop:
			t.Stop()
			return false
		case <-m.kickc: // more docs wait: look again
			t.Stop()
		case <-t.C:
		}
	}
}

func (m *merger) run(db *bolt.DB) {
	defer close(m.done)
	for {
		select {
		case <-m.stop:
			return
		case <-m.kickc:
		}
		if !m.waitQuiet(db) {
			return
		}
		for more := true; more; {
			select {
			case <-m.stop:
				return
			default:
			}
			// Guarded: a damaged page met while merging must not end
			// the process (the merge is retried at the next kick).
			err := runGuarded(func() error {
				return db.Update(func(tx *bolt.Tx) (err error) {
					if more, err = mergeSearch(tx, m.batch); err == nil && m.hook != nil {
						err = m.hook(tx)
					}
					return err
				})
			})
			if err != nil {
				m.lastErr.Store(&err)
				break // the next kick tries again
			}
			if m.merged != nil {
				select {
				case m.merged <- more:
				default:
				}
			}
		}
	}
}

// ---------------------------------------------------------------------------
// Queries

// searchTerm is one thing a result must contain, folded.
type searchTerm struct {
	text               string
	startWord, endWord bool // must begin/end at a word boundary
}

// searchReq is one index lookup a result must satisfy.
type searchReq struct {
	tok      string
	prefix   bool
	weight   float64   // 1 / the lookups of its term
	list     []posting // merged docs
	recentDF int       // recent docs with the token
	idf      float64
}

type searchQuery struct {
	terms []searchTerm
	reqs  []*searchReq
}

func isEdgePunct(r rune) bool { return unicode.IsPunct(r) || unicode.IsSpace(r) }

// parseQuery splits a query into terms (all required) and index lookups.
func parseQuery(s string) *searchQuery {
	f := foldText(s, false).text
	open := f != "" && f[len(f)-1] != ' ' // the last word may be unfinished
	type chunk struct {
		text   string
		quoted bool
	}
	var chunks []chunk
	for f != "" {
		switch f[0] {
		case ' ':
			f = f[1:]
		case '"':
			rest := f[1:]
			j := strings.IndexByte(rest, '"')
			if j < 0 {
				j = len(rest)
			}
			chunks = append(chunks, chunk{strings.TrimSpace(rest[:j]), true})
			f = rest[min(j+1, len(rest)):]
		default:
			j := strings.IndexByte(f, ' ')
			if j < 0 {
				j = len(f)
			}
			chunks = append(chunks, chunk{f[:j], false})
			f = f[j:]
		}
	}
	q := &searchQuery{}
	seen := map[string]*searchReq{}
	for ci, ch := range chunks {
		text := ch.text
		if !ch.quoted {
			text = strings.TrimFunc(text, isEdgePunct)
		}
		last := open && ci == len(chunks)-1 && !ch.quoted
		var reqs []searchReq
		for _, p := range queryPieces(text) {
			if p.cjk {
				if utf8.RuneCountInString(p.text) == 1 {
					reqs = append(reqs, searchReq{tok: p.text, prefix: true})
					continue
				}
				for i := 0; i < len(p.text); {
					_, n := utf8.DecodeRuneInString(p.text[i:])
					_, n2 := utf8.DecodeRuneInString(p.text[i+n:])
					reqs = append(reqs, searchReq{tok: p.text[i : i+n+n2]})
					if i += n; i+n2 >= len(p.text) {
						break
					}
				}
				continue
			}
			prefix := last && p.end == len(text) && utf8.RuneCountInString(p.text) >= 2
			reqs = append(reqs, searchReq{tok: truncToken(p.text), prefix: prefix})
		}
		if len(reqs) == 0 {
			continue
		}
		first, _ := utf8.DecodeRuneInString(text)
		lastR, _ := utf8.DecodeLastRuneInString(text)
		q.terms = append(q.terms, searchTerm{text: text, startWord: isWordRune(first), endWord: isWordRune(lastR) && !last})
		for _, r := range reqs {
			key := r.tok
			if r.prefix {
				key += "\x00*"
			}
			w := 1 / float64(len(reqs))
			if old := seen[key]; old != nil {
				old.weight = max(old.weight, w)
				continue
			}
			r.weight = w
			seen[key] = &r
			q.reqs = append(q.reqs, &r)
		}
	}
	return q
}

type queryPiece struct {
	text string
	cjk  bool
	end  int // offset after the piece in its chunk
}

func queryPieces(text string) []queryPiece {
	var out []queryPiece
	for i := 0; i < len(text); {
		r, n := decodeRune(text[i:])
		cjk := isCJK(r)
		if !cjk && !isWordRune(r) {
			i += n
			continue
		}
		j := i + n
		for j < len(text) {
			r2, n2 := decodeRune(text[j:])
			if cjk && !isCJK(r2) || !cjk && !isWordRune(r2) {
				break
			}
			j += n2
		}
		out = append(out, queryPiece{text[i:j], cjk, j})
		i = j
	}
	return out
}

// find returns where t occurs in folded text f (at most max ranges).
func (t searchTerm) find(f string, out [][2]int, max int) [][2]int {
	found := 0
	for from := 0; from < len(f) && found < max; {
		i := strings.Index(f[from:], t.text)
		if i < 0 {
			break
		}
		a := from + i
		b := a + len(t.text)
		if (!t.startWord || boundaryBefore(f, a)) && (!t.endWord || boundaryAfter(f, b)) {
			out = append(out, [2]int{a, b})
			found++
		}
		_, n := decodeRune(f[a:])
		from = a + n
	}
	return out
}

func boundaryBefore(f string, a int) bool {
	if a == 0 {
		return true
	}
	r, _ := utf8.DecodeLastRuneInString(f[:a])
	return !isWordRune(r)
}

func boundaryAfter(f string, b int) bool {
	if b >= len(f) {
		return true
	}
	r, _ := decodeRune(f[b:])
	return !isWordRune(r)
}

// match checks text against every term and returns the matches as sorted,
// merged byte ranges of text; ok is false when a term is missing.
func (q *searchQuery) match(text string) (ranges []Range, ok bool) {
	f := foldText(text, true)
	var buf [][2]int
	for _, t := range q.terms {
		n := len(buf)
		if buf = t.find(f.text, buf, maxRangesPerTerm); len(buf) == n {
			return nil, false
		}
	}
	for _, r := range buf {
		ranges = append(ranges, Range{int(f.starts[r[0]]), int(f.ends[r[1]-1])})
	}
	slices.SortFunc(ranges, func(a, b Range) int { return a.Start - b.Start })
	merged := ranges[:1]
	for _, r := range ranges[1:] {
		if last := &merged[len(merged)-1]; r.Start <= last.End {
			last.End = max(last.End, r.End)
		} else {
			merged = append(merged, r)
		}
	}
	return merged, true
}

// ---------------------------------------------------------------------------
// Search

type candidate struct {
	id    uint64
	score float64
	head  *docHead // recent docs: already read
}

// bm25 scores the docs of one search.
type bm25 struct{ nDocs, avgLen float64 }

func (b bm25) idf(df int) float64 {
	d := float64(df)
	return math.Log(1 + (max(b.nDocs, d)-d+0.5)/(d+0.5))
}

func (b bm25) score(r *searchReq, norm byte) float64 {
	const k1, bl = 1.2, 0.75
	tf := float64(norm >> 4)
	l := 1.0
	if c := norm & 15; c > 0 {
		l = float64(uint64(1)<<(c-1)) * 1.5
	}
	return r.weight * r.idf * tf * (k1 + 1) / (tf + k1*(1-bl+bl*l/b.avgLen))
}

func search(tx *bolt.Tx, q *searchQuery, opts SearchOptions) ([]SearchResult, error) {
	post := tx.Bucket(bucketSearchPostings)
	for _, r := range q.reqs {
		r.list = readPostings(post, r.tok, r.prefix)
	}
	recent, recentN := scanRecent(tx, q.reqs)

	meta := tx.Bucket(bucketSearchMeta)
	merged := getU64(meta, keySearchDocs)
	sc := bm25{nDocs: float64(merged + uint64(recentN)), avgLen: 50}
	if merged > 0 {
		sc.avgLen = max(1, float64(getU64(meta, keySearchTokens))/float64(merged))
	}
	for _, r := range q.reqs {
		r.idf = sc.idf(len(r.list) + r.recentDF)
	}
	cands := intersect(q.reqs, sc) // merged docs, by id
	rc := make([]candidate, 0, len(recent))
	for _, m := range recent {
		cd := candidate{id: m.head.id, head: m.head}
		for i, r := range q.reqs {
			cd.score += sc.score(r, m.norms[i])
		}
		rc = append(rc, cd)
	}
	slices.SortFunc(rc, func(a, b candidate) int { return cmpID(a.id, b.id) })
	cands = mergeByID(cands, rc)
	if opts.By == ByRelevance {
		cands = topByScore(cands, 4*opts.Limit+64)
	} else {
		slices.Reverse(cands) // newest first
	}

	docs := tx.Bucket(bucketSearchDocs)
	convs := map[string]*Conversation{}
	conv := func(id string) (*Conversation, error) {
		if c, ok := convs[id]; ok {
			return c, nil
		}
		c, err := getConversation(tx, id)
		if errors.Is(err, ErrNotFound) {
			convs[id] = nil
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		convs[id] = &c
		return &c, nil
	}
	var out []SearchResult
	for i, cd := range cands {
		if len(out) >= opts.Limit || i >= maxVerify {
			break
		}
		if opts.By == ByRelevance && i == 4*opts.Limit+64 {
			// Too many did not match their text: order the rest too.
			topByScore(cands[i:], len(cands))
		}
		h := cd.head
		if h == nil {
			hd, _, ok := decodeDocHead(docs.Get(u64(cd.id)))
			if !ok {
				continue // deleted; its postings are not taken out yet
			}
			h = &hd
		}
		if opts.ConversationID != "" && h.convID != opts.ConversationID {
			continue
		}
		c, err := conv(h.convID)
		if err != nil {
			return nil, err
		}
		if c == nil {
			continue
		}
		res := SearchResult{ConversationID: h.convID, Title: c.Title}
		var text string
		if h.kind == docKindTitle {
			res.InTitle, res.CreatedAt, text = true, c.CreatedAt, c.Title
		} else {
			m, _, err := getMessage(tx, h.convID, h.seq)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			res.Seq, res.MessageID, res.Role, res.CreatedAt, text = m.Seq, m.ID(), m.Role, m.CreatedAt, m.Content
		}
		ranges, ok := q.match(text)
		if !ok {
			continue
		}
		res.Snippet, res.Highlights = snippet(text, ranges)
		if opts.By == ByRelevance {
			res.Score = cd.score
		}
		out = append(out, res)
	}
	return out, nil
}

// mergeByID merges two lists of candidates sorted by id.
func mergeByID(a, b []candidate) []candidate {
	if len(b) == 0 {
		return a
	}
	out := make([]candidate, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if a[0].id <= b[0].id {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	return append(append(out, a...), b...)
}

// byScore orders candidates best first, then newest first.
func byScore(a, b candidate) int {
	switch {
	case a.score > b.score:
		return -1
	case a.score < b.score:
		return 1
	}
	return cmpID(b.id, a.id)
}

// topByScore moves the k best candidates, in order, to the front of cands
// and returns cands; the rest stay behind them in no order.
func topByScore(cands []candidate, k int) []candidate {
	if k >= len(cands) {
		slices.SortFunc(cands, byScore)
		return cands
	}
	// Quickselect the k best, then sort them.
	lo, hi := 0, len(cands)-1
	for lo < hi {
		p := cands[(lo+hi)/2]
		i, j := lo, hi
		for i <= j {
			for byScore(cands[i], p) < 0 {
				i++
			}
			for byScore(cands[j], p) > 0 {
				j--
			}
			if i <= j {
				cands[i], cands[j] = cands[j], cands[i]
				i++
				j--
			}
		}
		switch {
		case k-1 <= j:
			hi = j
		case k-1 >= i:
			lo = i
		default:
			lo = hi
		}
	}
	slices.SortFunc(cands[:k], byScore)
	return cands
}

// readPostings returns the postings of tok (of every token starting with
// tok when prefix), sorted by id.
func readPostings(b *bolt.Bucket, tok string, prefix bool) []posting {
	c := b.Cursor()
	var out []posting
	if !prefix {
		p := append([]byte(tok), 0)
		for k, v := c.Seek(p); k != nil && isBlockOf(k, p); k, v = c.Next() {
			out = decodeBlock(k, v, out)
		}
		return out
	}
	p := []byte(tok)
	runs := 0
	for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
		if len(k) < 9 || k[len(k)-9] != 0 {
			continue
		}
		n := len(out)
		out = decodeBlock(k, v, out)
		if n > 0 && len(out) > n && out[n].id <= out[n-1].id {
			runs++ // another token's blocks start over
		}
	}
	if runs > 0 {
		slices.SortFunc(out, func(a, b posting) int {
			switch {
			case a.id < b.id:
				return -1
			case a.id > b.id:
				return 1
			}
			return int(b.norm) - int(a.norm)
		})
		out = slices.CompactFunc(out, func(a, b posting) bool { return a.id == b.id })
	}
	return out
}

type recentMatch struct {
	head  *docHead
	norms []byte // per req
}

// scanRecent returns the docs of search_recent that satisfy every req, with
// their postings' norms, counts the docs having each req's token in
// recentDF, and returns how many docs search_recent holds.
func scanRecent(tx *bolt.Tx, reqs []*searchReq) ([]recentMatch, int) {
	type docTok struct {
		tok []byte
		tf  byte
	}
	var (
		toks  []docTok
		out   []recentMatch
		norms = make([]byte, len(reqs))
		keys  = make([][]byte, len(reqs))
	)
	for i, r := range reqs {
		keys[i] = []byte(r.tok)
	}
	n := 0
	c := tx.Bucket(bucketSearchRecent).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		h, rest, ok := decodeDocHead(v)
		if !ok {
			continue
		}
		n++
		toks = toks[:0]
		for {
			tok, tf, next, ok := nextDocToken(rest)
			if !ok {
				break
			}
			toks = append(toks, docTok{tok, tf})
			rest = next
		}
		class, all := lengthClass(h.length), true
		for i, r := range reqs {
			j, found := slices.BinarySearchFunc(toks, keys[i], func(t docTok, key []byte) int { return bytes.Compare(t.tok, key) })
			tf := 0
			if found {
				tf = int(toks[j].tf)
			}
			if r.prefix {
				for ; j < len(toks) && bytes.HasPrefix(toks[j].tok, keys[i]); j++ {
					tf = max(tf, int(toks[j].tf))
				}
			}
			norms[i] = postingNorm(tf, class)
			if tf > 0 {
				r.recentDF++
			} else {
				all = false
			}
		}
		if all {
			out = append(out, recentMatch{&h, slices.Clone(norms)})
		}
	}
	return out, n
}

func cmpID(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// intersect returns the docs present in every req's postings with their
// scores, sorted by id.
func intersect(reqs []*searchReq, sc bm25) []candidate {
	if len(reqs) == 0 {
		return nil
	}
	order := slices.Clone(reqs)
	slices.SortFunc(order, func(a, b *searchReq) int { return len(a.list) - len(b.list) })
	first := order[0]
	cands := make([]candidate, len(first.list))
	for i, p := range first.list {
		cands[i] = candidate{id: p.id, score: sc.score(first, p.norm)}
	}
	for _, r := range order[1:] {
		if len(cands) == 0 {
			break
		}
		out := cands[:0]
		l := r.list
		for _, cd := range cands {
			j, found := slices.BinarySearchFunc(l, cd.id, func(p posting, id uint64) int { return cmpID(p.id, id) })
			if found {
				cd.score += sc.score(r, l[j].norm)
				out = append(out, cd)
			}
			l = l[j:]
		}
		cands = out
	}
	return cands
}

// snippet cuts about snippetRunes characters of text around the first of
// ranges (sorted byte ranges of text) and returns it on one line with the
// ranges it shows, relative to it.
func snippet(text string, ranges []Range) (string, []Range) {
	first := 0
	if len(ranges) > 0 {
		first = ranges[0].Start
	}
	// Start a few words before the first match, at a word if one is near.
	start := first
	for n := 0; n < snippetRunes/4 && start > 0; n++ {
		_, size := utf8.DecodeLastRuneInString(text[:start])
		start -= size
	}
	if start > 0 {
		if sp := strings.IndexAny(text[start:first], " \n\t"); sp >= 0 && sp < (first-start)/2 {
			start += sp + 1
		}
	}
	end := start
	for n := 0; n < snippetRunes && end < len(text); n++ {
		_, size := utf8.DecodeRuneInString(text[end:])
		end += size
	}
	if len(ranges) > 0 && end < ranges[0].End { // a very long first match: show it whole
		end = ranges[0].End
	}
	if end < len(text) {
		if sp := strings.LastIndexAny(text[start:end], " \n\t"); sp > 0 && start+sp > (start+end)/2 && (len(ranges) == 0 || start+sp >= ranges[0].End) {
			end = start + sp
		}
	}
	// One line: white space and control characters collapse into a space.
	var b strings.Builder
	pos := make([]int, end-start+1)
	if start > 0 {
		b.WriteString("…")
	}
	lead := b.Len()
	space := false
	for i := start; i < end; {
		r, size := utf8.DecodeRuneInString(text[i:])
		for j := 0; j < size; j++ {
			pos[i-start+j] = b.Len()
		}
		switch {
		case unicode.IsSpace(r) || unicode.IsControl(r):
			if !space && b.Len() > lead {
				b.WriteByte(' ')
			}
			space = true
		case r == utf8.RuneError && size == 1:
			b.WriteString("\uFFFD")
			space = false
		default:
			b.WriteString(text[i : i+size])
			space = false
		}
		i += size
	}
	pos[end-start] = b.Len()
	out := b.String()
	trimmed := strings.TrimRight(out, " ")
	if end < len(text) {
		trimmed += "…"
	}
	var hs []Range
	for _, r := range ranges {
		if r.End <= start || r.Start >= end {
			continue
		}
		h := Range{pos[max(r.Start, start)-start], pos[min(r.End, end)-start]}
		h.End = min(h.End, len(strings.TrimRight(out, " ")))
		if h.End > h.Start {
			hs = append(hs, h)
		}
	}
	return trimmed, hs
}
