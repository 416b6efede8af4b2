package engine

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"time"

	"github.com/deskchat/deskchat/engine/llm"
	"github.com/deskchat/deskchat/store"
)

// Completion is the answer to one request made outside any conversation
// (Complete: a batch run's row): nothing is stored but the ledger line and
// the response cache entry.
type Completion struct {
	Text            string
	Usage           Usage
	Cost            float64 // in dollars, 0 when the model's price is unknown or the cache answered
	Cached          bool    // the response cache answered; nothing was sent
	Provider, Model string  // who answered (after a fallback: the fallback)
	Took            time.Duration
}

// completing is what Complete learns from the paths it shares with a chat's
// request besides their events. followed is written before the events'
// channel closes; billed too, except when Complete's caller stopped while
// identical requests still read the upstream it led (see answering.leave):
// its line is written when that upstream ends, hence the atomic.
type completing struct {
	label    string                            // the ledger line's label (SendOptions.Label)
	billed   atomic.Pointer[store.UsageRecord] // the request's ledger line, once written
	followed bool                              // an identical request in flight answered it
}

// Complete answers text as one request outside any conversation: opts.System
// is the system prompt; opts.Provider and Model, or opts.Endpoint, choose who
// answers (else the default provider, as for a new chat); MaxTokens,
// Temperature, NoCache, IdleTimeout apply. With opts.Batch it waits in the
// batch lane, after every chat's and background request; at most the
// provider's MaxQueued wait there (more fail: the queue is full), so a
// run's concurrency above MaxConcurrent+MaxQueued gains nothing. It goes
// the way a chat's request goes: the response cache (a hit sends nothing:
// Cached, cost 0), an identical request in flight shared, the provider's
// queue, its rate limits and the pause learned from 429s, retries before
// the first token, the circuit breaker, the fallback chain, and one line in
// the usage ledger, labelled opts.Label, of no conversation. No
// conversation or message is stored. Attachments and tools are not offered.
//
// Errors are *ProviderError with a sentence to show, which never holds the
// key; nothing is stored for a request that failed but its ledger line
// (outcome failed). When ctx ends first, the error is ctx's (its line's
// outcome is stopped) and the Completion holds what had arrived.
func (e *Engine) Complete(ctx context.Context, text string, opts SendOptions) (Completion, error) {
	if err := ctx.Err(); err != nil {
		// A connection kept alive could take the request before the
		// transport sees the context is done: nothing goes out.
		return Completion{}, err
	}
	if strings.TrimSpace(text) == "" {
		return Completion{}, &ProviderError{Kind: llm.KindConfig, Sentence: "There is no question to ask: the prompt is empty."}
	}
	plan, err := e.planOutside(opts)
	if err != nil {
		var pe *ProviderError
		if !errors.As(err, &pe) { // the store's: an unknown provider, a store that cannot be read
			pe = &ProviderError{Kind: llm.KindConfig, Provider: opts.Provider, Sentence: UserMessage(err), Err: err}
		}
		return Completion{}, pe
	}
	// The question and its answer belong to no conversation: the paths a
	// chat's request takes store nothing for them (see putAnswer).
	question := store.Message{Role: store.RoleUser, Content: text, State: store.StateDone}
	answer := store.Message{Role: store.RoleAssistant, Provider: plan[0].cfg.Name, Model: plan[0].model, State: store.StateStreaming}
	opts.Attachments, opts.Tools, opts.Approve = nil, nil, nil
	j := e.newJob(store.Conversation{}, plan, stored(question, answer), []store.Message{question}, nil, opts)
	c := &completing{label: opts.Label}
	j.c = c
	start := e.now()
	events := e.startJob(ctx, j)

	var (
		out    Completion
		b      strings.Builder
		usage  *Usage
		final  Event
		served bool
	)
	for ev := range events {
		switch ev := ev.(type) {
		case Cached:
			out.Cached = true
		case Started:
			out.Provider, out.Model, served = ev.Provider, ev.Model, true
		case Delta:
			b.WriteString(ev.Text)
		case UsageEvent:
			u := ev.Usage
			usage = &u
		case Done, Stopped, Failed:
			final = ev
		}
	}
	out.Text, out.Took = b.String(), e.now().Sub(start)
	if usage != nil {
		out.Usage = *usage
	}
	if c.followed {
		// An identical request in flight answered it and nothing was sent
		// for it: its line is a cached one, as a hit's.
		out.Cached = served
		prov, model := out.Provider, out.Model
		if !served {
			prov, model = plan[0].cfg.Name, plan[0].model
		}
		e.bill(j, e.usageRecord("", prov, model, usage, 0, out.Text, served, false, 0, out.Took, outcomeOf(final)), nil)
	}
	if r := c.billed.Load(); r != nil && served {
		out.Usage = Usage{PromptTokens: r.PromptTokens, CompletionTokens: r.CompletionTokens}
		if r.Cost != nil {
			out.Cost = *r.Cost
		}
	}
	return out, completionError(ctx, final)
}

// completionError is the error Complete returns for a request that ended
// with final (nil when it was answered).
func completionError(ctx context.Context, final Event) error {
	switch ev := final.(type) {
	case Done:
		return nil
	case Failed:
		var pe *ProviderError
		if errors.As(ev.Err, &pe) {
			c := *pe
			c.Sentence = ev.Sentence // after a fallback: both failures
			return &c
		}
		return &ProviderError{Kind: llm.KindConnection, Sentence: ev.Sentence, Err: ev.Err}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return context.Canceled
}

// planOutside plans who answers a request of no conversation: opts'
// provider or endpoint, else the default provider, then the fallback chain.
func (e *Engine) planOutside(opts SendOptions) ([]candidate, error) {
	var snap store.Snapshot
	var err error
	if snap.Providers, err = e.st.Providers(); err != nil {
		return nil, err
	}
	if snap.DefaultProvider, err = e.st.Setting(store.SettingDefaultProvider); err != nil {
		return nil, err
	}
	prov, cfg, model, err := e.resolve(snap, opts)
	if err != nil {
		return nil, err
	}
	return append([]candidate{{cfg: cfg, prov: prov, model: model}}, e.fallbacks(snap, cfg)...), nil
}

// putAnswer writes ans, unless it belongs to no conversation (Complete's):
// nothing is stored for it then.
func (e *Engine) putAnswer(ans store.Message) error {
	if ans.ConversationID == "" {
		return nil
	}
	return e.st.PutMessage(ans)
}

// bill writes j's ledger line, with the answer to cache if any (one
// commit); Complete's line is labelled and told to it.
func (e *Engine) bill(j job, rec store.UsageRecord, cache *store.CacheWrite) {
	if j.c != nil {
		rec.Label = j.c.label
		r := rec
		j.c.billed.Store(&r)
	}
	if j.lane == laneBatch {
		// A batch row waits for one commit, its row's, not two: the
		// line is queued before the row and lands with it or before it
		// (store.RecordRequestLater), so the run goes at the pace of
		// the provider rather than of the disk.
		e.st.RecordRequestLater(&rec, e.usageStats(rec.Provider), cache)
		return
	}
	e.addUsage(rec, cache)
}
