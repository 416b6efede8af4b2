package batch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/store"
)

// hashAsker answers each prompt with its hash, so every output row can be
// checked; prompts containing fail are refused. It counts what it is
// asked.
type hashAsker struct {
	mu     sync.Mutex
	asked  map[string]int
	calls  atomic.Int64
	opts   []engine.SendOptions
	block  chan struct{} // when set, every ask waits for it (or ctx)
	inside atomic.Int64
	peak   atomic.Int64
}

func answerOf(prompt string) string {
	h := sha256.Sum256([]byte(prompt))
	return hex.EncodeToString(h[:8])
}

func (a *hashAsker) Complete(ctx context.Context, text string, opts engine.SendOptions) (engine.Completion, error) {
	a.calls.Add(1)
	n := a.inside.Add(1)
	defer a.inside.Add(-1)
	for p := a.peak.Load(); n > p && !a.peak.CompareAndSwap(p, n); p = a.peak.Load() {
	}
	a.mu.Lock()
	if a.asked == nil {
		a.asked = map[string]int{}
	}
	a.asked[text]++
	if len(a.opts) < 4 {
		a.opts = append(a.opts, opts)
	}
	a.mu.Unlock()
	if a.block != nil {
		select {
		case <-a.block:
		case <-ctx.Done():
			return engine.Completion{}, ctx.Err()
		}
	}
	if strings.Contains(text, "fail") {
		return engine.Completion{}, &engine.ProviderError{Sentence: "The provider refused this row (500)."}
	}
	return engine.Completion{Text: answerOf(text), Usage: engine.Usage{PromptTokens: 10, CompletionTokens: 2},
		Cost: 0.001, Provider: "fake", Model: "m"}, nil
}

func openStore(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func mustTemplate(t testing.TB, s string) Template {
	t.Helper()
	tm, err := ParseTemplate(s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// runOnce plans and runs path under name, returning the output.
func runOnce(t testing.TB, ctx context.Context, st *store.Store, a Asker, path, name, tmpl string, conc int) (string, Stats, error) {
	t.Helper()
	tm := mustTemplate(t, tmpl)
	plan, err := MakePlan(ctx, path, tm, "", "gpt-4o-mini", 100, st, name)
	if err != nil {
		return "", Stats{}, err
	}
	var out strings.Builder
	stats, err := Run(ctx, Config{Asker: a, Store: st, Template: tm, Model: "gpt-4o-mini",
		Run: store.BatchRun{Name: name, Input: path, Template: tmpl, Rows: plan.Rows, Concurrency: conc},
		Out: NewWriter(&out, FormatOf(fmt.Sprint(path, ".jsonl")))})
	return out.String(), stats, err
}

type (
	engineOptions    = engine.SendOptions
	engineCompletion = engine.Completion
)
