package engine

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/deskchat/deskchat/engine/llm"
	"github.com/deskchat/deskchat/store"
)

// answering is one request answered upstream by Engine.answer: run passes
// its events to watch (and its last write to settle) on answer's goroutine,
// which caches, bills and shares what goes by before passing it to the
// caller; finishRun then writes the ledger line, the cache entry and the
// answer's end. A coalescing leader's caller may stop meanwhile: leave runs
// then, on the context's AfterFunc goroutine.
type answering struct {
	e             *Engine
	ctx           context.Context // the caller's: out is read while it lives
	j             job             // its req holds the planned history
	out           chan<- Event
	historyTokens int       // the planned history's count, or -1 when not counted
	start         time.Time // when the request began (after compression)
	key           []byte    // the response cache's key; nil when the cache is not used
	f             *flight   // the flight this request leads; nil when not shared

	// mu serialises watch and settle (run's events) with leave (the
	// leader's caller stopping). After finishRun sets ran, leave does
	// nothing, so finishRun reads the fields below without it.
	mu      sync.Mutex
	closed  bool  // out is closed
	ran     bool  // run has returned
	left    bool  // the leader's caller stopped while others read on
	pending Event // the final event, sent once the ledger and cache are written
	served  *Started
	text    strings.Builder // a shared flight's text so far
	rsn     strings.Builder // and its reasoning
	usage   *Usage
	first   time.Time // the first token's arrival
	final   Event
	// flightErr is what followers are told when the flight lands.
	flightErr error
	cut       store.Message  // what a leaving leader's caller had seen
	settled   *store.Message // the answer's last state, not yet written
	kept      store.Message  // the answer as stored before that write
	began     int            // the settled answer's text length when its last round began
}

// fromCache answers from the response cache on a hit, and reports whether
// it did. It sets the cache key either way when the cache is used.
func (a *answering) fromCache() bool {
	e, j := a.e, a.j
	if j.noCache || e.cache == nil {
		return false
	}
	a.key = cacheKey(j.plan[0].cfg, j.req)
	hit, ok := e.cache.get(a.key)
	if ok {
		e.replay(a.ctx, j, hit, a.start, a.out)
	}
	return ok
}

// joinFlight makes an identical request already in flight answer this one
// too: followed reports that it did (the answer is complete). Else, when
// the cache is used, this request leads a new flight, whose upstream runs
// on runCtx.
func (a *answering) joinFlight() (runCtx context.Context, followed bool) {
	if a.key == nil {
		return a.ctx, false
	}
	f, leader, fctx := a.e.flightFor(a.key)
	if !leader {
		a.e.follow(a.ctx, a.j, f, a.out)
		return nil, true
	}
	a.f = f
	return fctx, false
}

// send ends out with ev (when there is one and someone reads), once. mu is
// held.
func (a *answering) send(ev Event) {
	if a.closed {
		return
	}
	if ev != nil && !a.j.x.failed() {
		a.out <- ev
	}
	close(a.out)
	a.closed = true
}

// close passes the final event on and closes out, unless leave did.
func (a *answering) close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.send(a.pending)
}

// leave runs when the leader's caller stops: when others read the flight,
// this caller gets Stopped at once and the upstream goes on for them.
func (a *answering) leave() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ran || !a.f.leave() {
		return // no one else reads: the upstream stops, as without sharing
	}
	a.left = true
	a.cut.Content, a.cut.Reasoning = a.text.String(), a.rsn.String()
	a.send(Stopped{})
}

// settle takes the answer's last state, left for finishRun to write with
// the ledger line, then watches its final event.
func (a *answering) settle(s settlement) {
	a.mu.Lock()
	defer a.mu.Unlock()
	m := s.ans
	a.settled, a.kept, a.began = &m, s.kept, s.began
	a.see(s.final)
}

// watch sees one of run's events go by.
func (a *answering) watch(ev Event) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.see(ev)
}

// see notes what ev says (to cache, bill and share it), passes it to the
// flight's followers and then to the caller; the final event waits in
// pending. mu is held.
func (a *answering) see(ev Event) {
	f := a.f
	var ch *llm.Chunk
	switch ev := ev.(type) {
	case Queued, RateLimited, Retrying, FellBack:
		if f != nil {
			f.publish(func(f *flight) { f.progress = append(f.progress, ev) })
		}
	case Started:
		s := ev
		a.served = &s
		if f != nil {
			f.publish(func(f *flight) { f.served = &s })
		}
	case Delta:
		if a.first.IsZero() {
			a.first = a.e.now()
		}
		if f != nil { // else the settled answer has it
			a.text.WriteString(ev.Text)
			a.rsn.WriteString(ev.Reasoning)
		}
		ch = &llm.Chunk{Text: ev.Text, Reasoning: ev.Reasoning}
	case UsageEvent:
		u := ev.Usage
		a.usage = &u
		ch = &llm.Chunk{Usage: &u}
	case Done:
		a.final = ev
		ch = &llm.Chunk{Finish: ev.Finish}
	case Failed:
		a.final, a.flightErr = ev, ev.Err
		if a.flightErr == nil {
			a.flightErr = errors.New(ev.Sentence)
		}
	case Stopped:
		a.final, a.flightErr = ev, context.Canceled
	}
	if f != nil && ch != nil {
		c := *ch
		f.publish(func(f *flight) { f.chunks = append(f.chunks, c) })
	}
	if a.left || a.j.x.failed() { // a failed Send has no reader
		return
	}
	if isFinal(ev) {
		a.pending = ev
		return
	}
	deliver(a.ctx, a.out, ev)
}

// finishRun ends the request once run has returned: the answer's end, its
// ledger line and the cache entry are written, then the flight lands.
// Landing ends the followers' answers too: it comes after a leaving
// leader's cut (a follower's end implies it) and after the answer is in the
// cache, so that an identical request always finds the flight or the cache.
func (a *answering) finishRun() {
	a.mu.Lock()
	a.ran = true
	a.mu.Unlock()
	e, j := a.e, a.j
	if j.x.wait() != nil {
		// Send could not store the question: nothing is kept or billed.
		a.land(j.x.err)
		return
	}
	if a.left && a.served != nil {
		// The stored answer is what this caller had when it stopped,
		// written before the flight lands.
		e.cutBack(j.conv.ID, a.served.AssistantSeq, a.cut)
		a.settled = nil
	}
	if a.served == nil {
		a.land(a.flightErr)
		// No provider answered: nothing was generated, nothing is billed.
		primary := j.plan[0]
		e.bill(j, store.UsageRecord{Time: e.now(), ConversationID: j.conv.ID, Provider: primary.cfg.Name, Model: primary.model,
			Background: j.lane == laneBackground, DurationMs: e.now().Sub(a.start).Milliseconds(), Outcome: outcomeOf(a.final)}, nil)
		return
	}
	generated, reasoning := a.generated()
	rec := a.ledgerLine(generated)
	cache := a.cacheLater(rec, generated, reasoning)
	a.land(a.flightErr)
	if a.settled == nil || j.c != nil { // no answer to write with it
		e.bill(j, rec, cache)
		return
	}
	// The answer's last state, its ledger line and its cache entry: one
	// commit.
	if err := e.st.FinishAnswer(*a.settled, &rec, e.usageStats(rec.Provider), cache); err != nil {
		a.pending = unsaved(err, a.kept)
	}
}

// land ends the flight this request leads, if any.
func (a *answering) land(err error) {
	if a.f != nil {
		a.e.land(a.key, a.f, err)
	}
}

// generated is what this request generated: a shared flight's text was
// gathered by see; else it is the settled answer's, past what a continued
// answer had (none when the answer could not be stored: its ledger line
// then estimates no output).
func (a *answering) generated() (text, reasoning string) {
	text, reasoning = a.text.String(), a.rsn.String()
	if a.f == nil && a.settled != nil {
		text = strings.TrimPrefix(a.settled.Content, a.j.x.ans.Content)
		reasoning = strings.TrimPrefix(a.settled.Reasoning, a.j.x.ans.Reasoning)
		if len(a.settled.Tools) > 0 && a.began <= len(a.settled.Content) {
			text = a.settled.Content[a.began:] // earlier rounds were billed with their rounds
		}
	}
	return text, reasoning
}

// ledgerLine is the request's usage record. When the provider reported no
// usage, its metrics count the ledger's estimate, persisted with the
// ledger line.
func (a *answering) ledgerLine(generated string) store.UsageRecord {
	e, j, served := a.e, a.j, a.served
	var ttft time.Duration
	if !a.first.IsZero() {
		ttft = a.first.Sub(a.start)
	}
	prompt := a.historyTokens
	if prompt < 0 && !believable(a.usage) {
		prompt = promptTokens(served.Model, j.req.Messages)
	}
	rec := e.usageRecord(j.conv.ID, served.Provider, served.Model, a.usage, prompt, generated, false, j.lane == laneBackground, ttft, e.now().Sub(a.start), outcomeOf(a.final))
	if rec.Estimated {
		e.mu.Lock()
		g := e.gates[served.Provider]
		e.mu.Unlock()
		g.addTokens(rec.PromptTokens, rec.CompletionTokens)
	}
	return rec
}

// cacheLater puts a complete answer from the primary provider in the
// response cache's memory at once and returns the write that stores it on
// disk (a no-op when nothing is cached).
func (a *answering) cacheLater(rec store.UsageRecord, generated, reasoning string) *store.CacheWrite {
	done, ok := a.final.(Done)
	if !ok || a.key == nil || !cacheable(done.Finish) || a.served.Provider != a.j.plan[0].cfg.Name {
		return nil
	}
	entry := store.CacheEntry{Provider: a.served.Provider, Model: a.served.Model, Content: generated, Reasoning: reasoning, Finish: done.Finish}
	if a.usage != nil {
		entry.PromptTokens, entry.CompletionTokens = rec.PromptTokens, rec.CompletionTokens
	}
	return a.e.cache.putLater(a.key, entry)
}
