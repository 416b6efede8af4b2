package search

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ---------------------------------------------------------------------------
// Queries

// term is one thing a result must contain, folded.
type term struct {
	text               string
	startWord, endWord bool // must begin/end at a word boundary
}

// tokenReq is one index lookup a result must satisfy.
type tokenReq struct {
	tok      string
	prefix   bool
	weight   float64   // 1 / the lookups of its term
	list     []posting // merged docs
	recentDF int       // recent docs with the token
	idf      float64
}

// Query is a parsed query: what a result must contain and the index
// lookups that find its candidates.
type Query struct {
	terms []term
	reqs  []*tokenReq
}

// Empty reports whether q has nothing to look for: it finds nothing.
func (q *Query) Empty() bool { return len(q.terms) == 0 }

// Range is a byte range [Start, End) of a snippet.
type Range struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

func isEdgePunct(r rune) bool { return unicode.IsPunct(r) || unicode.IsSpace(r) }

// Parse splits a query into terms (all required) and index lookups. Words
// match whole words, the last one also as a word prefix ("kube" finds
// "kubernetes") unless the query ends with a space; Chinese, Japanese and
// Korean text matches as a substring; "quoted text" must appear as written.
func Parse(s string) *Query {
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
	q := &Query{}
	seen := map[string]*tokenReq{}
	for ci, ch := range chunks {
		text := ch.text
		if !ch.quoted {
			text = strings.TrimFunc(text, isEdgePunct)
		}
		last := open && ci == len(chunks)-1 && !ch.quoted
		var reqs []tokenReq
		for _, p := range queryPieces(text) {
			if p.cjk {
				if utf8.RuneCountInString(p.text) == 1 {
					reqs = append(reqs, tokenReq{tok: p.text, prefix: true})
					continue
				}
				for i := 0; i < len(p.text); {
					_, n := utf8.DecodeRuneInString(p.text[i:])
					_, n2 := utf8.DecodeRuneInString(p.text[i+n:])
					reqs = append(reqs, tokenReq{tok: p.text[i : i+n+n2]})
					if i += n; i+n2 >= len(p.text) {
						break
					}
				}
				continue
			}
			prefix := last && p.end == len(text) && utf8.RuneCountInString(p.text) >= 2
			reqs = append(reqs, tokenReq{tok: truncToken(p.text), prefix: prefix})
		}
		if len(reqs) == 0 {
			continue
		}
		first, _ := utf8.DecodeRuneInString(text)
		lastR, _ := utf8.DecodeLastRuneInString(text)
		q.terms = append(q.terms, term{text: text, startWord: isWordRune(first), endWord: isWordRune(lastR) && !last})
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
func (t term) find(f string, out [][2]int, max int) [][2]int {
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
func (q *Query) match(text string) (ranges []Range, ok bool) {
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
