// Package simulator is the built-in provider: an llm.Adapter that streams
// locally generated markdown (headings, lists, code blocks, tables) at a
// fixed token rate, without network or key, for trying the app, for tests
// and for benchmarks.
package simulator

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/deskchat/deskchat/engine/llm"
)

// Name is the name of the built-in provider that needs no network.
const Name = "Simulator"

// Label is how the Simulator is shown wherever providers are listed.
const Label = "Simulator (built-in, no network)"

// Model is the Simulator's only model.
const Model = "simulated-markdown"

// Simulator is a built-in provider that streams locally generated markdown
// (headings, lists, code blocks, tables) at a fixed token rate, for trying the
// app without a key, for tests and for benchmarks. It makes no network calls.
// The zero value streams about 300 tokens as fast as possible.
type Simulator struct {
	// TokensPerSecond paces the stream; 0 or less sends without waiting.
	TokensPerSecond float64
	// Tokens is the approximate answer length in tokens; 0 means 300.
	Tokens int
}

var _ llm.Adapter = (*Simulator)(nil)

// Name implements llm.Adapter.
func (s *Simulator) Name() string { return Name }

// Stream implements llm.Adapter. The answer depends only on the last user
// message, so the same prompt gives the same answer.
func (s *Simulator) Stream(ctx context.Context, req llm.Request) (llm.Stream, error) {
	prompt := ""
	for i := len(req.Messages) - 1; i >= 0; i-- {
		if req.Messages[i].Role == llm.RoleUser {
			prompt = req.Messages[i].Content
			break
		}
	}
	var interval time.Duration
	if s.TokensPerSecond > 0 {
		interval = time.Duration(float64(time.Second) / s.TokensPerSecond)
	}
	st := &simStream{ctx: ctx, interval: interval, prompt: utf8.RuneCountInString(prompt)/4 + 1}
	if len(req.Tools) > 0 {
		if text, call, ok := toolTurn(req); ok {
			st.toks = Tokenize(text)
			st.calls = call
			return st, nil
		}
	}
	n := s.Tokens
	if n <= 0 {
		n = 300
	}
	st.toks = Tokenize(Markdown(prompt, n))
	return st, nil
}

type simStream struct {
	ctx      context.Context // the request's context: Next waits on it
	toks     []string
	i        int
	interval time.Duration
	timer    *time.Timer
	prompt   int
	calls    []llm.ToolCall // asked for at the end, when not nil
	cur      llm.Chunk
	err      error
}

func (s *simStream) Next() bool {
	if s.err != nil || s.i > len(s.toks) {
		return false
	}
	if s.interval > 0 {
		if s.timer == nil {
			s.timer = time.NewTimer(s.interval)
		} else {
			s.timer.Reset(s.interval)
		}
		select {
		case <-s.timer.C:
		case <-s.ctx.Done():
			s.err = s.ctx.Err()
			return false
		}
	} else if err := s.ctx.Err(); err != nil {
		s.err = err
		return false
	}
	if s.i == len(s.toks) {
		s.cur = llm.Chunk{Finish: "stop", Model: Model, Usage: &llm.Usage{PromptTokens: s.prompt, CompletionTokens: len(s.toks)}}
		if s.calls != nil {
			s.cur.Finish, s.cur.ToolCalls = "tool_calls", s.calls
		}
	} else {
		s.cur = llm.Chunk{Text: s.toks[s.i], Model: Model}
	}
	s.i++
	return true
}

func (s *simStream) Current() llm.Chunk { return s.cur }
func (s *simStream) Err() error         { return s.err }
func (s *simStream) Close() error {
	if s.timer != nil {
		s.timer.Stop()
	}
	return nil
}

// Tokenize splits text into word-sized pieces the way a model streams it:
// each piece is a run of spaces followed by a word, or a single newline.
func Tokenize(text string) []string {
	var toks []string
	start := 0
	inWord := false
	for i, r := range text {
		switch {
		case r == '\n':
			if i > start {
				toks = append(toks, text[start:i])
			}
			toks = append(toks, "\n")
			start, inWord = i+1, false
		case r == ' ' || r == '\t':
			if inWord {
				toks = append(toks, text[start:i])
				start, inWord = i, false
			}
		default:
			inWord = true
		}
	}
	if start < len(text) {
		toks = append(toks, text[start:])
	}
	return toks
}

// Markdown returns about n tokens of varied markdown that answers
// prompt. The same prompt and n always give the same text.
func Markdown(prompt string, n int) string {
	h := fnv.New64a()
	h.Write([]byte(prompt))
	rng := rand.New(rand.NewPCG(h.Sum64(), 42))
	topic := strings.TrimSpace(prompt)
	if topic == "" {
		topic = "your question"
	}
	if r := []rune(topic); len(r) > 60 {
		topic = string(r[:60]) + "…"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "This is the **Simulator**, deskchat's built-in provider: no network, no key. You asked about *%s*.\n\n", topic)
	words := strings.Fields("stream token buffer render block markdown engine store provider latency cache queue window widget history model answer budget message")
	sentence := func() string {
		k := 6 + rng.IntN(10)
		ws := make([]string, k)
		for i := range ws {
			ws[i] = words[rng.IntN(len(words))]
		}
		s := strings.Join(ws, " ")
		return strings.ToUpper(s[:1]) + s[1:] + "."
	}
	section, count := 0, len(Tokenize(b.String()))
	for count < n {
		section++
		start := b.Len()
		switch section % 5 {
		case 1:
			fmt.Fprintf(&b, "## Part %d: overview\n\n%s %s %s\n\n", section, sentence(), sentence(), sentence())
		case 2:
			b.WriteString("Key points:\n\n")
			for i := 0; i < 3+rng.IntN(3); i++ {
				fmt.Fprintf(&b, "- %s\n", sentence())
			}
			b.WriteString("\n")
		case 3:
			fmt.Fprintf(&b, "```go\nfunc part%d(tokens []string) int {\n\tn := 0\n\tfor _, t := range tokens {\n\t\tn += len(t) // %s\n\t}\n\treturn n\n}\n```\n\n", section, words[rng.IntN(len(words))])
		case 4:
			b.WriteString("| step | what | cost |\n|---|---|---|\n")
			for i := 1; i <= 3; i++ {
				fmt.Fprintf(&b, "| %d | %s | %d ms |\n", i, words[rng.IntN(len(words))], 1+rng.IntN(50))
			}
			b.WriteString("\n")
		case 0:
			fmt.Fprintf(&b, "1. %s\n2. %s\n3. %s\n\n> %s\n\n", sentence(), sentence(), sentence(), sentence())
		}
		count += len(Tokenize(b.String()[start:])) // sections end in a newline, so counts add up
	}
	return strings.TrimRight(b.String(), "\n")
}
