// Package tokens counts tokens the way OpenAI's models do, and knows the
// context window, the longest answer and the price of the models it has
// heard of.
//
// Counting uses github.com/pkoukk/tiktoken-go with the BPE tables embedded by
// github.com/pkoukk/tiktoken-go-loader: nothing is downloaded. Each encoding
// is built once per process, on first use (building o200k_base takes a
// fraction of a second and some 30 MB, so a process that never counts never
// pays for it).
//
// Which encoding a model uses:
//   - o200k_base: gpt-4o, gpt-4.1, gpt-4.5, gpt-5, chatgpt-4o and the
//     o-series (o1, o3, o4, ...);
//   - cl100k_base: older OpenAI chat and embedding models (gpt-4, gpt-4-turbo,
//     gpt-3.5-turbo, text-embedding-*);
//   - every other model (Llama, Qwen, DeepSeek, Claude, Gemini, ...): an
//     estimate, the o200k_base count plus 10%, rounded up. Their tokenizers
//     are not public in a form we can embed; on English prose and code they
//     produce within about ±15% of o200k_base, and erring high keeps requests
//     inside the context window. Counts of this kind are flagged Estimated.
package tokens

import (
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	tiktoken "github.com/pkoukk/tiktoken-go"
	loader "github.com/pkoukk/tiktoken-go-loader"
)

// Encoding names.
const (
	O200k  = "o200k_base"
	CL100k = "cl100k_base"
)

// PerMessage is what the chat format adds around each message: OpenAI
// documents 3 tokens per message plus 3 to prime the answer.
const (
	PerMessage = 3
	PerRequest = 3
)

func init() { tiktoken.SetBpeLoader(loader.NewOfflineLoader()) }

type encoder struct {
	once sync.Once
	enc  *tiktoken.Tiktoken
	err  error
}

var encoders = map[string]*encoder{O200k: {}, CL100k: {}}

func get(name string) (*tiktoken.Tiktoken, error) {
	e := encoders[name]
	e.once.Do(func() { e.enc, e.err = tiktoken.GetEncoding(name) })
	return e.enc, e.err
}

// Preload builds o200k_base now (about 0.3 s of CPU) instead of on the
// first count: every model but the older OpenAI ones counts with it.
// Engine.New calls it on a goroutine so that the first request does not
// wait. cl100k_base (11 MB more, and 140,000 more objects for every garbage
// collection to visit) is built only when an older model is counted.
func Preload() { get(O200k) }

// o200kPrefixes and cl100kPrefixes map model names (after any "vendor/"
// prefix, as OpenRouter writes them) to their encoding.
var (
	o200kPrefixes  = []string{"gpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "chatgpt-4o", "o1", "o3", "o4", "gpt-oss"}
	cl100kPrefixes = []string{"gpt-4", "gpt-3.5", "text-embedding-"}
)

// EncodingFor returns the encoding model uses, and false when the model is
// not an OpenAI one and counts are an estimate.
func EncodingFor(model string) (string, bool) {
	m := normalize(model)
	for _, p := range o200kPrefixes {
		if strings.HasPrefix(m, p) {
			return O200k, true
		}
	}
	for _, p := range cl100kPrefixes {
		if strings.HasPrefix(m, p) {
			return CL100k, true
		}
	}
	return O200k, false
}

// Count returns the number of tokens of text for model; estimated says the
// model's own tokenizer is unknown and the count is the documented estimate.
func Count(model, text string) (n int, estimated bool) {
	name, exact := EncodingFor(model)
	n = countWith(name, text)
	if !exact {
		n += (n + 9) / 10
	}
	return n, !exact
}

// maxRun is the longest run of non-space bytes counted exactly. BPE is
// quadratic in the length of one such run; runs this long are not prose
// (base64, minified code, a provider gone wrong) and are estimated at four
// bytes a token.
const maxRun = 1024

// pieceSize bounds the text handed to the tokenizer at once; pieces end at
// white space, where the tokenizer's own pre-split would cut anyway.
const pieceSize = 16 << 10

func countWith(name, text string) int {
	if text == "" {
		return 0
	}
	enc, err := get(name)
	if err != nil {
		// The tables are embedded, so this cannot happen short of a broken
		// build; fall back to the usual four characters per token.
		return (len(text) + 3) / 4
	}
	n := 0
	var pieces []string
	for len(text) > 0 {
		// Estimate a leading over-long run, then cut a piece before the
		// next one (or at white space near pieceSize).
		if r := runLen(text); r > maxRun {
			n += (r + 3) / 4
			text = text[r:]
			continue
		}
		end := pieceEnd(text)
		pieces = append(pieces, text[:end])
		text = text[end:]
	}
	return n + countPieces(enc, pieces)
}

// countPieces encodes the pieces, a long text's on every core: an encoding
// is safe for concurrent use, and a pasted document need not wait for one.
func countPieces(enc *tiktoken.Tiktoken, pieces []string) int {
	workers := min(runtime.GOMAXPROCS(0), len(pieces))
	if workers <= 1 {
		n := 0
		for _, p := range pieces {
			n += len(enc.EncodeOrdinary(p))
		}
		return n
	}
	var next, total atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < len(pieces); i = int(next.Add(1)) - 1 {
				total.Add(int64(len(enc.EncodeOrdinary(pieces[i]))))
			}
		}()
	}
	wg.Wait()
	return int(total.Load())
}

// runLen is the length of text's leading run of non-space bytes.
func runLen(s string) int {
	i := 0
	for i < len(s) && !isSpace(s[i]) {
		i++
	}
	return i
}

// pieceEnd returns where the next exactly counted piece of s ends: before
// an over-long run, else at the last white space before pieceSize, else at
// the end.
func pieceEnd(s string) int {
	run := 0
	lastSpace := -1
	for i := 0; i < len(s); i++ {
		if isSpace(s[i]) {
			if run > maxRun {
				return i - run
			}
			run = 0
			lastSpace = i
			if i >= pieceSize {
				return i
			}
			continue
		}
		run++
	}
	if run > maxRun {
		return len(s) - run
	}
	if len(s) > pieceSize && lastSpace > 0 {
		return lastSpace
	}
	return len(s)
}

func isSpace(b byte) bool { return b == ' ' || b == '\n' || b == '\t' || b == '\r' }
