package openai

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/deskchat/deskchat/engine/llm"
)

// MaxToolCalls bounds the calls of one answer: a model that asks for more
// is not answering any more, and each call costs a decision, a process and
// a round.
const MaxToolCalls = 128

// wireToolDelta is one piece of a tool call in a chunk's delta (or whole,
// in a completion's message). Dialects differ (see toolAssembler); every
// field may be missing.
type wireToolDelta struct {
	Index    *int    `json:"index"`
	ID       *string `json:"id"`
	Function struct {
		Name *string `json:"name"`
		// Arguments is a string of JSON text; a server that sends the
		// object itself is read too.
		Arguments json.RawMessage `json:"arguments"`
	} `json:"function"`
}

// arguments is the delta's piece of the arguments' text.
func (d wireToolDelta) arguments() (string, error) {
	a := d.Function.Arguments
	if len(a) == 0 || string(a) == "null" {
		return "", nil
	}
	if a[0] != '"' {
		return string(a), nil // an object: its text is the arguments
	}
	var s string
	err := json.Unmarshal(a, &s)
	return s, err
}

// partCall is a call being assembled.
type partCall struct {
	index int
	id    string
	name  string
	args  strings.Builder
}

// toolAssembler puts a stream's tool calls together, as every dialect we
// have recorded sends them (testdata/tools): OpenAI, Azure, DeepSeek and
// OpenRouter send the id and name in a call's first delta and the
// arguments in pieces split anywhere after it (OpenRouter repeats "type"
// on each piece), calls interleaved by index; Groq and Ollama send a call
// whole in one chunk; Gemini sends "" for an id and no index at all. A
// delta without an index starts a new call when it names one (an id or a
// name), else continues the last; a delta whose index was seen with
// another id is a new call too when it names its function (servers that
// number every call 0), a piece of the same call when it does not. Calls
// are handed on in the order of their index, those of one index in the
// order they began.
//
// It is bounded: at most MaxToolCalls calls, and arguments no longer than
// the answer's budget (see add).
type toolAssembler struct {
	calls     []*partCall
	byIndex   map[int]*partCall
	delivered bool // take handed the calls on: no more may come
}

// add takes a chunk's tool call deltas. budget is how many more bytes the
// answer may hold (llm.MaxAnswerBytes less its text, reasoning and the
// arguments so far); add returns the bytes of arguments it took. An error
// is a sentence for the user: the stream is broken and stops.
func (a *toolAssembler) add(provider string, deltas []wireToolDelta, budget int) (int, error) {
	took := 0
	for _, d := range deltas {
		if a.delivered {
			return took, malformed(provider, "sent more of a tool call after it had finished the answer")
		}
		c, err := a.callFor(provider, d)
		if err != nil {
			return took, err
		}
		if d.ID != nil && c.id == "" {
			c.id = *d.ID
		}
		if d.Function.Name != nil && *d.Function.Name != "" {
			switch {
			case c.name == "":
				c.name = *d.Function.Name
			case c.name != *d.Function.Name:
				return took, malformed(provider, fmt.Sprintf("changed the name of a tool call midway (from %q to %q)", clip(c.name, 64), clip(*d.Function.Name, 64)))
			}
		}
		args, err := d.arguments()
		if err != nil {
			return took, malformed(provider, "sent tool call arguments that are not a string")
		}
		if took+len(args) > budget {
			return took, &llm.ProviderError{Kind: llm.KindMalformed, Provider: provider, Err: fmt.Errorf("tool call arguments: answer over %d bytes", llm.MaxAnswerBytes),
				Sentence: fmt.Sprintf("%s sent more than %d MB for one answer (its tool calls' arguments included); deskchat stopped it there.", provider, llm.MaxAnswerBytes>>20)}
		}
		c.args.WriteString(args)
		took += len(args)
	}
	return took, nil
}

// callFor finds or starts the call d is a piece of.
func (a *toolAssembler) callFor(provider string, d wireToolDelta) (*partCall, error) {
	named := (d.ID != nil && *d.ID != "") || (d.Function.Name != nil && *d.Function.Name != "")
	var idx int
	switch {
	case d.Index != nil && *d.Index < 0:
		return nil, malformed(provider, fmt.Sprintf("sent a tool call numbered %d", *d.Index))
	case d.Index != nil:
		idx = *d.Index
		c := a.byIndex[idx]
		if c != nil && !(d.Function.Name != nil && *d.Function.Name != "" && d.ID != nil && *d.ID != "" && c.id != "" && *d.ID != c.id) {
			return c, nil
		}
	case len(a.calls) > 0 && !named:
		return a.calls[len(a.calls)-1], nil
	case len(a.calls) > 0:
		idx = a.calls[len(a.calls)-1].index + 1
	}
	if len(a.calls) >= MaxToolCalls {
		return nil, malformed(provider, fmt.Sprintf("asked for more than %d tool calls in one answer", MaxToolCalls))
	}
	c := &partCall{index: idx}
	if a.byIndex == nil {
		a.byIndex = make(map[int]*partCall)
	}
	a.byIndex[idx] = c
	a.calls = append(a.calls, c)
	return c, nil
}

// take hands on the calls assembled so far, whole and in the order of
// their index, once: nil when there are none or they were taken. A call
// without an id gets a stable one, "call_" and its place (unique in the
// answer), for its result to name.
func (a *toolAssembler) take() []llm.ToolCall {
	if a.delivered || len(a.calls) == 0 {
		return nil
	}
	a.delivered = true
	sort.SliceStable(a.calls, func(i, j int) bool { return a.calls[i].index < a.calls[j].index })
	used := make(map[string]bool, len(a.calls))
	for _, c := range a.calls {
		used[c.id] = true
	}
	out := make([]llm.ToolCall, len(a.calls))
	for i, c := range a.calls {
		id := c.id
		for n := i; id == ""; n += len(a.calls) {
			if cand := "call_" + strconv.Itoa(n); !used[cand] {
				id = cand
				used[id] = true
			}
		}
		out[i] = llm.ToolCall{ID: id, Name: c.name, Arguments: c.args.String()}
	}
	a.calls, a.byIndex = nil, nil
	return out
}

func malformed(provider, what string) *llm.ProviderError {
	return &llm.ProviderError{Kind: llm.KindMalformed, Provider: provider, Err: fmt.Errorf("tool calls: %s", what),
		Sentence: fmt.Sprintf("%s %s; the answer stops here.", provider, what)}
}
