package search

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// foldPieces make texts with every kind of character folding and
// tokenizing treat apart.
var foldPieces = []string{"a", "B", "z", "Z", "0", "9", " ", "  ", "\t", "\n", "\r", "\x00", "\x7f", "-", "_", ".", "\"", "'",
	"e\u0301", "\u0301", "\u0327", "é", "É", "ß", "ẞ", "\u2018", "\u201C", "\u2032", "ﬁ", "Ａ", "ｶ", "ﾞ", "ｶﾞ", "\u00ad", "\u200d", "\ufeff",
	"中", "文", "日本語", "한", "\u1100", "\u1161", "\u11a8", "가", "々", "ー", "Ω", "Ω", "K", "\u3000", "\u00a0", "İ", "ı", "ǅ", "\xff", "\xe4\xb8",
	"①", "²", "½", "kubernetes", "HTTP", "fooBar", strings.Repeat("x", 45), strings.Repeat("é", 30), "\U0001F600", "\u0958", "\u0915\u093c", "ä\u0308"}

// eachTokenByRune is eachToken without its ASCII shortcuts.
func eachTokenByRune(f string, emit func(string)) {
	for i := 0; i < len(f); {
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
			j := i + n
			for j < len(f) {
				r2, n2 := decodeRune(f[j:])
				if !isWordRune(r2) {
					break
				}
				j += n2
			}
			emit(truncToken(f[i:j]))
			i = j
		default:
			i += n
		}
	}
}

func TestFoldAndTokenShortcutsChangeNothing(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for i := 0; i < 50000; i++ {
		var b strings.Builder
		for n := r.IntN(12); n >= 0; n-- {
			b.WriteString(foldPieces[r.IntN(len(foldPieces))])
		}
		s := b.String()
		// Unmapped folding takes ASCII runs at once; mapped, byte by byte.
		f := foldText(s, false).text
		if want := foldText(s, true).text; f != want {
			t.Fatalf("fold %q: %q, want %q", s, f, want)
		}
		for _, text := range []string{s, f} {
			var got, want []string
			eachToken(text, func(t string) { got = append(got, t) })
			eachTokenByRune(text, func(t string) { want = append(want, t) })
			if !slices.Equal(got, want) {
				t.Fatalf("tokens of %q: %q, want %q", text, got, want)
			}
			slices.Sort(want)
			var counts []tokenCount
			for _, tok := range want {
				if l := len(counts) - 1; l >= 0 && counts[l].tok == tok {
					counts[l].tf++
				} else {
					counts = append(counts, tokenCount{tok, 1})
				}
			}
			ix := New(Config{})
			tc := ix.getTokenCounter()
			if got, n := tc.count(text); !slices.Equal(got, counts) || n != len(want) {
				t.Fatalf("count %q: %v %d, want %v %d", text, got, n, counts, len(want))
			}
			ix.freeTokenCounter(tc)
		}
	}
}
