package engine

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/deskchat/deskchat/engine/llm"
	"github.com/deskchat/deskchat/internal/format"
	"github.com/deskchat/deskchat/store"
)

// MaxAnswerBytes bounds one answer's text and reasoning together: a provider
// that streams without end is stopped there, and what is stored and shown
// is its first MaxAnswerBytes (cut on a character boundary).
const MaxAnswerBytes = llm.MaxAnswerBytes

// cutUTF8 returns s cut to at most n bytes, on a character boundary.
func cutUTF8(s string, n int) string {
	if n >= len(s) {
		return s
	}
	n = max(n, 0)
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// gatherBatch writes a batch's text and reasoning into dText and
// dReasoning (emptied first), at most room bytes of them: the cap holds
// exactly, text past it is cut (on a character boundary) before it is shown
// or stored. It returns the batch's last usage report and finish reason,
// and whether it cut (the chunks after the cut are dropped).
func gatherBatch(batch []llm.Chunk, room int, dText, dReasoning *strings.Builder) (usage *Usage, finish string, cut bool) {
	dText.Reset()
	dReasoning.Reset()
	for _, c := range batch {
		if left := room - dText.Len() - dReasoning.Len(); len(c.Reasoning)+len(c.Text) > left {
			dReasoning.WriteString(cutUTF8(c.Reasoning, left))
			dText.WriteString(cutUTF8(c.Text, room-dText.Len()-dReasoning.Len()))
			return usage, finish, true
		}
		dText.WriteString(c.Text)
		dReasoning.WriteString(c.Reasoning)
		if c.Usage != nil {
			usage = c.Usage
		}
		if c.Finish != "" {
			finish = c.Finish
		}
	}
	return usage, finish, false
}

// defaultOutputEstimate is the output budget counted against a tokens-per-
// minute limit when a request does not set MaxTokens.
const defaultOutputEstimate = 1024

// sink receives a request's events as they happen, on the goroutine that
// runs the request.
type sink func(Event)

// chanSink delivers events to out (see deliver).
func chanSink(ctx context.Context, out chan<- Event) sink {
	return func(ev Event) { deliver(ctx, out, ev) }
}

// deliver passes ev to out. A progress report (queued, rate limited,
// retrying, fell back, compressed) is dropped when ctx is done and out is
// full: its reader is leaving. Everything else waits to be read: the text a
// caller was shown is the text stored, also when it stops.
func deliver(ctx context.Context, out chan<- Event, ev Event) {
	select {
	case out <- ev:
		return
	default:
	}
	switch ev.(type) {
	case Queued, RateLimited, Retrying, FellBack, Compressed:
		select {
		case out <- ev:
		case <-ctx.Done():
		}
	default:
		out <- ev
	}
}

// run answers one request and persists the answer, passing its events to
// emit, the last one final (or, once a provider streams, to settle: see
// streamRequest). It tries the plan's providers in order: each
// waits for a queue slot and its rate limits, and is retried before its
// first token; a provider that still fails, or whose breaker is open, hands
// over to the next.
//
// When tl is not nil, tools are offered: a round whose answer asks for tool
// calls has them decided and run (see useTools) and the model is asked again
// with their results, each round as a request of its own through the same
// path, until an answer asks for none or tl's bound is reached.
func (e *Engine) run(ctx context.Context, plan []candidate, req llm.Request, x *exchange, lane queueLane, idle time.Duration, emit sink, settle func(settlement), tl *toolLoop) {
	for {
		if tl != nil {
			tl.sent = req.Messages
		}
		e.runRound(ctx, plan, req, x, lane, idle, emit, settle, tl)
		if tl == nil || len(tl.calls) == 0 {
			return
		}
		if !e.useTools(ctx, tl, emit, settle) {
			return
		}
		req.Messages = tl.messages(req.Messages)
	}
}

// runRound is one request of run: the plan's providers tried in order, the
// answer received from the first that answers.
func (e *Engine) runRound(ctx context.Context, plan []candidate, req llm.Request, x *exchange, lane queueLane, idle time.Duration, emit sink, settle func(settlement), tl *toolLoop) {
	start := e.now()
	tokens := estimateTokens(req)

	var (
		stream   llm.Stream
		served   candidate
		g        *gate
		release  func()
		retries  int
		failures []*ProviderError
	)
	for i, c := range plan {
		if i > 0 {
			emit(FellBack{From: plan[i-1].cfg.Name, To: c.cfg.Name, Reason: failures[len(failures)-1].Sentence})
		}
		if req.HasImages() && e.blindKnown(c.cfg, c.model) {
			// Known not to take images: nothing is sent.
			failures = append(failures, e.blindError(c.cfg, c.model, false, nil))
			continue
		}
		cg := e.gate(c.cfg)
		if !cg.allow(e.now()) {
			failures = append(failures, &ProviderError{Kind: llm.KindBreakerOpen, Provider: c.cfg.Name,
				Sentence: fmt.Sprintf("%s failed several times in a row; deskchat is giving it a rest until %s.", c.cfg.Name, cg.reopensAt().Local().Format("15:04:05"))})
			continue
		}
		rel, err := cg.q.acquire(ctx, lane, func(pos int) { emit(Queued{Provider: c.cfg.Name, Position: pos}) })
		if err == nil {
			err = e.waitAdmission(ctx, cg, tokens, emit)
			if err != nil {
				rel()
			}
		}
		if err == nil {
			req.Model = c.model
			var s llm.Stream
			var n int
			s, n, err = e.open(ctx, c.prov, cg, req, c.retries(), emit)
			retries = n
			if err == nil {
				stream, served, g, release = s, c, cg, rel
				break
			}
			rel()
		}
		if ctx.Err() != nil {
			if x.wait() == nil {
				e.dropUnstarted(tl.answer(x))
			}
			emit(Stopped{})
			return
		}
		pe := llm.Classify(err, c.cfg.Name, c.cfg.BaseURL)
		if pe.Kind == llm.KindNoVision {
			e.rememberBlind(c.cfg, c.model)
			pe = e.blindError(c.cfg, c.model, true, pe)
		}
		if pe.Kind != llm.KindQueueFull {
			cg.failed(e.now())
		}
		cg.record(outcome{retries: retries, errKind: pe.Kind})
		e.persistMetrics(cg)
		failures = append(failures, pe)
	}

	if stream == nil {
		e.unanswered(ctx, x, failures, emit, tl)
		return
	}
	// The stream slot is given back as soon as the upstream is done with,
	// before the answer's last write: the limit is on upstream streams.
	var once sync.Once
	done := func() {
		once.Do(func() {
			stream.Close()
			release()
		})
	}
	defer done()
	e.stream(ctx, streamRequest{stream: stream, served: served, gate: g, x: x, start: start, retries: retries,
		idle: idle, emit: emit, upstreamDone: done, settle: settle, tools: tl})
}

// unanswered ends a request that no provider answered: the answer is
// stored failed with the first failure's sentence (and the last
// fallback's), or, when ctx is done, it is stopped.
//
// tl, when not nil, has the answer as its earlier rounds left it.
func (e *Engine) unanswered(ctx context.Context, x *exchange, failures []*ProviderError, emit sink, tl *toolLoop) {
	if ctx.Err() != nil {
		if x.wait() == nil {
			e.dropUnstarted(tl.answer(x))
		}
		emit(Stopped{})
		return
	}
	if err := x.wait(); err != nil {
		emit(Failed{Sentence: store.UserMessage(err), Err: err})
		return
	}
	ans := tl.answer(x)
	sentence := failures[0].Sentence
	if len(failures) > 1 {
		last := failures[len(failures)-1]
		sentence += fmt.Sprintf(" The fallback %s failed too: %s", last.Provider, last.Sentence)
	}
	ans.State, ans.Error = store.StateFailed, sentence
	if serr := e.putAnswer(ans); serr != nil {
		// Both sentences, as one store error: its sentence is the one
		// shown (a provider error in its chain would be shown instead).
		s := sentence + " " + unsaved(serr, ans).Sentence
		emit(Failed{Sentence: s, Err: &store.Error{Op: "save answer", Msg: s, Err: serr}})
		return
	}
	emit(Failed{Sentence: sentence, Err: failures[len(failures)-1]})
}

// dropUnstarted ends an answer stopped before any provider answered: a new
// one has nothing to keep and is removed; a continued one keeps its text,
// as stopped.
func (e *Engine) dropUnstarted(ans store.Message) {
	if ans.ConversationID == "" {
		return // Complete's: nothing stored
	}
	if ans.Content == "" && ans.Reasoning == "" && len(ans.Tools) == 0 {
		e.st.DeleteMessage(ans.ConversationID, ans.Seq)
		return
	}
	ans.State = store.StateStopped
	e.st.PutMessage(ans)
}

func (e *Engine) persistMetrics(g *gate) {
	if g == nil {
		return
	}
	if data, err := g.marshalCounters(); err == nil {
		e.st.PutStat(statKey(g.name), data) // metrics are best effort
	}
}

// estimateTokens is the request's cost against a tokens-per-minute limit:
// prompt (about four characters a token) plus the output budget.
func estimateTokens(req llm.Request) int {
	n := 0
	for _, m := range req.Messages {
		n += len(m.Content)/4 + 4
		for _, p := range m.Parts {
			if p.Type == llm.PartImage {
				n += defaultImageTokens
			} else {
				n += len(p.Text) / 4
			}
		}
	}
	if req.MaxTokens > 0 {
		return n + req.MaxTokens
	}
	return n + defaultOutputEstimate
}

// open starts the provider's stream, retrying failures that happen before
// the first token as openai-python does: at most retries times, only for
// 408, 409, 429, 5xx and connection errors, after the server's requested
// delay (up to maxServerDelay) or else an exponential backoff with jitter.
// A 429 with a delay also pauses the provider for everyone. It returns the
// number of retries made.
func (e *Engine) open(ctx context.Context, prov llm.Adapter, g *gate, req llm.Request, retries int, emit sink) (llm.Stream, int, error) {
	for attempt := 0; ; attempt++ {
		s, err := prov.Stream(ctx, req)
		if err == nil {
			return s, attempt, nil
		}
		if ctx.Err() != nil {
			return nil, attempt, ctx.Err()
		}
		pe := llm.Classify(err, prov.Name(), "")
		if !retryable(pe) {
			return nil, attempt, pe
		}
		if pe.RetryAfter > maxServerDelay {
			pe.Sentence = fmt.Sprintf("%s asks to wait %s before the next request. Try again after %s.",
				prov.Name(), format.Duration(pe.RetryAfter), e.now().Add(pe.RetryAfter).Local().Format("15:04"))
			return nil, attempt, pe
		}
		if attempt >= retries {
			return nil, attempt, pe
		}
		wait := backoff(attempt, e.jitter())
		if pe.RetryAfter > 0 {
			wait = pe.RetryAfter
			if pe.Status == http.StatusTooManyRequests {
				g.pause(e.now().Add(wait))
			}
		}
		emit(Retrying{Attempt: attempt + 1, After: wait, Reason: retryReason(pe)})
		if err := e.wait(ctx, wait); err != nil {
			return nil, attempt, err
		}
	}
}

func retryReason(pe *ProviderError) string {
	switch {
	case pe.Status == http.StatusTooManyRequests:
		return "429 rate limited"
	case pe.Status >= 500:
		return fmt.Sprintf("server error %d", pe.Status)
	case pe.Status != 0:
		return fmt.Sprintf("HTTP %d", pe.Status)
	}
	return "connection failed"
}
