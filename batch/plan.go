package batch

import (
	"context"
	"errors"
	"io"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/engine/tokens"
	"github.com/deskchat/deskchat/store"
)

// DefaultMaxTokens is the output limit of a row when neither --max-tokens
// nor the provider's model limits give one.
const DefaultMaxTokens = 1024

// perRowOverhead is what a chat request adds to its messages' tokens
// (roles and separators), as OpenAI documents it for its models.
const perRowOverhead = 7

// Plan is the first pass over an input: every row checked and its prompt
// counted, before anything is sent.
type Plan struct {
	Rows         int // in the input
	Left         int // not answered by an earlier run
	Fields       []string
	PromptTokens int // of the rows left, system prompt included
	OutputTokens int // the output limit times the rows left
	Cost         float64
	PriceKnown   bool
}

// MakePlan reads path once: every row must fill the template, and the rows
// an earlier run of name did not answer are counted and priced for model
// with the user's prices (st's, as the usage ledger prices) and an output
// limit of maxTokens each. st may be nil (nothing answered yet, built-in
// prices).
func MakePlan(ctx context.Context, path string, t Template, system, model string, maxTokens int, st *store.Store, name string) (Plan, error) {
	in, err := Open(path)
	if err != nil {
		return Plan{}, err
	}
	defer in.Close()
	var p Plan
	systemTokens, _ := tokens.Count(model, system)
	var earlier *stored
	if st != nil {
		earlier = &stored{st: st, name: name}
	}
	for {
		if err := ctx.Err(); err != nil {
			return Plan{}, err
		}
		row, err := in.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Plan{}, err
		}
		if p.Rows == 0 {
			p.Fields = row.Names
		}
		p.Rows++
		prompt, err := t.Fill(row)
		if err != nil {
			return Plan{}, err
		}
		if earlier != nil {
			r, ok, err := earlier.at(row.Index)
			if err != nil {
				return Plan{}, err
			}
			if ok && r.State == store.BatchRowDone {
				continue
			}
		}
		n, _ := tokens.Count(model, prompt)
		p.Left++
		p.PromptTokens += n + systemTokens + perRowOverhead
	}
	p.OutputTokens = p.Left * maxTokens
	p.Cost, p.PriceKnown = tokens.Cost(model, engine.Prices(st), p.PromptTokens, p.OutputTokens)
	return p, nil
}
