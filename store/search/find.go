package search

import (
	"bytes"
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

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

func (b bm25) score(r *tokenReq, norm byte) float64 {
	const k1, bl = 1.2, 0.75
	tf := float64(norm >> 4)
	l := 1.0
	if c := norm & 15; c > 0 {
		l = float64(uint64(1)<<(c-1)) * 1.5
	}
	return r.weight * r.idf * tf * (k1 + 1) / (tf + k1*(1-bl+bl*l/b.avgLen))
}

// Options tune one search.
type Options struct {
	Limit          int    // most results; DefaultLimit when <= 0
	ByRelevance    bool   // best match first (BM25); else newest first
	ConversationID string // only this conversation when set
}

// DefaultLimit is the number of results a search returns when
// Options.Limit is not set.
const DefaultLimit = 50

// Lookup reads a doc for the check against the query: the text of the
// message seq of a conversation (seq 0: its title) and the item the caller
// wants for it. ok is false when the doc is gone.
type Lookup[T any] func(conversationID string, seq uint64) (text string, item T, ok bool, err error)

// Hit is a doc that matched: the caller's item for it and where it matched.
type Hit[T any] struct {
	Item T
	// Snippet is about 160 characters of the text around the first match,
	// on one line, with "…" where it was cut; Highlights are the matches in
	// it (byte ranges, never inside a UTF-8 sequence), in order.
	Snippet    string
	Highlights []Range
	Score      float64 // ByRelevance only
}

// Find returns the docs that match q, in tx, newest first unless opts say
// otherwise. Every candidate the index gives is read with lookup and
// checked against its text; at most 20,000 are checked.
func Find[T any](tx *bolt.Tx, q *Query, opts Options, lookup Lookup[T]) ([]Hit[T], error) {
	if q.Empty() {
		return nil, nil
	}
	if opts.Limit <= 0 {
		opts.Limit = DefaultLimit
	}
	cands := candidates(tx, q, opts)
	docs := tx.Bucket(bucketSearchDocs)
	var out []Hit[T]
	for i, cd := range cands {
		if len(out) >= opts.Limit || i >= maxVerify {
			break
		}
		if opts.ByRelevance && i == 4*opts.Limit+64 {
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
		text, item, ok, err := lookup(h.convID, h.seq)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		ranges, ok := q.match(text)
		if !ok {
			continue
		}
		hit := Hit[T]{Item: item}
		hit.Snippet, hit.Highlights = snippet(text, ranges)
		if opts.ByRelevance {
			hit.Score = cd.score
		}
		out = append(out, hit)
	}
	return out, nil
}

// candidates are the docs the index holds for every word of q, scored,
// newest first or (ByRelevance) the best first.
func candidates(tx *bolt.Tx, q *Query, opts Options) []candidate {
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
	if opts.ByRelevance {
		return topByScore(cands, 4*opts.Limit+64)
	}
	slices.Reverse(cands) // newest first
	return cands
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
func scanRecent(tx *bolt.Tx, reqs []*tokenReq) ([]recentMatch, int) {
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
func intersect(reqs []*tokenReq, sc bm25) []candidate {
	if len(reqs) == 0 {
		return nil
	}
	order := slices.Clone(reqs)
	slices.SortFunc(order, func(a, b *tokenReq) int { return len(a.list) - len(b.list) })
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
