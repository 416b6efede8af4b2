package search

import (
	"cmp"
	"encoding/binary"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

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

func (ix *Index) getTokenCounter() *tokenCounter { return ix.counters.Get().(*tokenCounter) }

// freeTokenCounter returns tc for reuse; what count returned is then
// invalid.
func (ix *Index) freeTokenCounter(tc *tokenCounter) {
	if cap(tc.out) > maxPooledTokens {
		return
	}
	clear(tc.keyed) // keep no text alive
	clear(tc.out)
	ix.counters.Put(tc)
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
