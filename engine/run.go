package engine

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"deskchat/store"
)

// MaxAnswerBytes bounds one answer's text and reasoning together: a provider
// that streams without end is stopped there, and what is stored and shown
// is its first MaxAnswerBytes (cut on a character boundary).
const MaxAnswerBytes = 8 << 20

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
func gatherBatch(batch []Chunk, room int, dText, dReasoning *strings.Builder) (usage *Usage, finish string, cut bool) {
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

// activityReporter is implemented by streams that can tell when bytes last
// arrived, keep-alive comments included.
type activityReporter interface {
	lastActivity() time.Time
}

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
func (e *Engine) run(ctx context.Context, plan []candidate, req Request, x *exchange, lane Lane, idle time.Duration, emit sink, settle func(settlement)) {
	start := e.now()
	tokens := estimateTokens(req)

	var (
		stream   Stream
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
		cg := e.gate(c.cfg)
		if !cg.allow(e.now()) {
			failures = append(failures, &ProviderError{Kind: KindBreakerOpen, Provider: c.cfg.Name,
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
			var s Stream
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
				e.dropUnstarted(x.ans)
			}
			emit(Stopped{})
			return
		}
		pe := classify(err, c.cfg.Name, c.model, c.cfg.BaseURL)
		if pe.Kind != KindQueueFull {
			cg.failed(e.now())
		}
		cg.record(outcome{retries: retries, errKind: pe.Kind})
		e.persistMetrics(cg)
		failures = append(failures, pe)
	}

	if stream == nil {
		if err := x.wait(); err != nil {
			emit(Failed{Sentence: store.UserMessage(err), Err: err})
			return
		}
		ans := x.ans
		sentence := failures[0].Sentence
		if len(failures) > 1 {
			last := failures[len(failures)-1]
			sentence += fmt.Sprintf(" The fallback %s failed too: %s", last.Provider, last.Sentence)
		}
		ans.State, ans.Error = store.StateFailed, sentence
		if serr := e.st.PutMessage(ans); serr != nil {
			// Both sentences, as one store error: its sentence is the
			// one shown (a provider error in its chain would be shown
			// instead).
			s := sentence + " " + unsaved(serr, x.ans).Sentence
			emit(Failed{Sentence: s, Err: &store.Error{Op: "save answer", Msg: s, Err: serr}})
			return
		}
		emit(Failed{Sentence: sentence, Err: failures[len(failures)-1]})
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
		idle: idle, emit: emit, upstreamDone: done, settle: settle})
}

// dropUnstarted ends an answer stopped before any provider answered: a new
// one has nothing to keep and is removed; a continued one keeps its text,
// as stopped.
func (e *Engine) dropUnstarted(ans store.Message) {
	if ans.Content == "" && ans.Reasoning == "" {
		e.st.DeleteMessage(ans.ConversationID, ans.Seq)
		return
	}
	ans.State = store.StateStopped
	e.st.PutMessage(ans)
}

// settlement ends a stream whose answer's last write is left to its
// receiver (Engine.answer), which stores it with the request's ledger line
// in one commit and then passes final on. It travels by
// streamRequest.settle, never as an Event: callers of the public API never
// see it.
type settlement struct {
	final Event
	ans   store.Message // the answer's last state, not yet written
	kept  store.Message // the answer as stored now, should that write fail
}

// streamRequest is what stream needs to receive one opened stream.
type streamRequest struct {
	stream  Stream        // the opened upstream (or a flight's replay), read to its end
	served  candidate     // the provider and model that serve it
	gate    *gate         // served's breaker and metrics; nil for a follower (it made no request)
	x       *exchange     // the stored question and answer; stream waits for its commit
	start   time.Time     // when the request began: time to first token and Done's Duration count from it
	retries int           // retries made before the stream opened, for the metrics
	idle    time.Duration // silence after which the stream counts as stalled
	emit    sink          // receives the request's events, the final one last

	// upstreamDone, when not nil, is called once the stream is read no
	// more, before the answer's last write: it gives the stream slot back.
	upstreamDone func()
	// settle, when not nil, is given the answer's last write instead of
	// stream doing it (see settlement); the final event then goes only
	// to settle, not to emit.
	settle func(settlement)
}

// stream receives an opened stream, persisting it as it arrives.
func (e *Engine) stream(ctx context.Context, r streamRequest) {
	stream, served, g, x, start, retries, idle, emit := r.stream, r.served, r.gate, r.x, r.start, r.retries, r.idle, r.emit
	// A pump goroutine pulls chunks so that the loop below can flush on a
	// timer and notice a stall while the provider is silent. It starts
	// before the question's commit is done (see exchange): what arrives
	// meanwhile waits in the queue, and the loop takes it at once.
	q := newChunkQueue()
	pumpDone := make(chan struct{})
	go func() {
		defer q.close()
		// Reading stops once the chunks hold more than the cap: the loop
		// below cuts the answer there, and a provider that streams without
		// end is not read into the queue meanwhile.
		read := 0
		for read <= MaxAnswerBytes && stream.Next() {
			c := stream.Current()
			read += len(c.Text) + len(c.Reasoning)
			if !q.put(c, pumpDone) {
				return
			}
		}
	}()
	defer close(pumpDone)

	if err := x.wait(); err != nil {
		// Send could not store the question (and cancels the job).
		emit(Failed{Sentence: store.UserMessage(err), Err: err})
		return
	}
	user, ans := x.user, x.ans
	// ans is stored already (empty, streaming): its first flush records
	// who serves it.
	ans.Provider, ans.Model, ans.State = served.cfg.Name, served.model, store.StateStreaming
	emit(Started{ConversationID: ans.ConversationID, UserSeq: user.Seq, AssistantSeq: ans.Seq, Provider: served.cfg.Name, Model: served.model})

	// The answer is written when text has waited e.flush, not on a
	// ticker: a thousand quiet streams wake nobody.
	flushT := time.NewTimer(e.flush)
	flushT.Stop()
	var flushC <-chan time.Time // set while unwritten text waits for flushT
	idleTimer := time.NewTimer(idle)
	defer idleTimer.Stop()
	// After a batch the loop rests for deliverEvery before it takes the
	// next, so that a burst is delivered in a few batches, not chunk by
	// chunk; the end of the stream cuts the rest short.
	rest := time.NewTimer(deliverEvery)
	rest.Stop()
	var restC <-chan time.Time
	readyC, endC := q.ready, (<-chan struct{})(nil)
	// A continued answer goes on from its stored text.
	var text, reasoning strings.Builder
	text.WriteString(ans.Content)
	reasoning.WriteString(ans.Reasoning)
	var firstToken time.Time
	var reported *Usage // the provider's last usage report
	stalled, tooLong := false, false
	// writeErr is the last write's error: when the last write failed, the
	// store holds the answer as kept (its last successful write).
	var writeErr error
	kept := ans
	flush := func() {
		ans.Content, ans.Reasoning = text.String(), reasoning.String()
		if writeErr = e.st.PutMessage(ans); writeErr == nil {
			kept = ans
		}
		if e.afterFlush != nil {
			e.afterFlush(ans)
		}
	}
	batch := chunkBuf()
	drained := false // the queue closed and taken empty: its storage is free
	var dText, dReasoning strings.Builder
loop:
	for {
		select {
		case <-readyC:
			// Everything waiting is one batch.
			var closed bool
			batch, closed = q.take(batch)
			if len(batch) > 0 {
				idleTimer.Reset(idle)
			}
			usage, finish, cut := gatherBatch(batch, MaxAnswerBytes-text.Len()-reasoning.Len(), &dText, &dReasoning)
			tooLong = cut
			if finish != "" {
				ans.Finish = finish
			}
			d := Delta{Text: dText.String(), Reasoning: dReasoning.String()}
			if d.Text != "" || d.Reasoning != "" {
				if firstToken.IsZero() {
					firstToken = e.now()
				}
				text.WriteString(d.Text)
				reasoning.WriteString(d.Reasoning)
				if flushC == nil {
					flushT.Reset(e.flush)
					flushC = flushT.C
				}
				emit(d)
			}
			if tooLong {
				stream.Close()
				break loop
			}
			if usage != nil {
				reported = usage
				ans.PromptTokens, ans.OutputTokens = usage.PromptTokens, usage.CompletionTokens
				emit(UsageEvent{Usage: *usage})
			}
			if closed {
				drained = true
				break loop
			}
			rest.Reset(deliverEvery)
			readyC, restC, endC = nil, rest.C, q.end
		case <-restC:
			readyC, restC, endC = q.ready, nil, nil
		case <-endC: // the stream ended while resting: take the rest now
			rest.Stop()
			readyC, restC, endC = q.ready, nil, nil
		case <-flushC:
			flushC = nil
			flush()
		case <-idleTimer.C:
			if ar, ok := stream.(activityReporter); ok {
				if quiet := time.Since(ar.lastActivity()); quiet < idle {
					idleTimer.Reset(idle - quiet) // keep-alives arrived
					continue
				}
			}
			stalled = true
			stream.Close()
			break loop
		case <-ctx.Done():
			stream.Close()
			break loop
		}
	}
	flushT.Stop()
	rest.Stop()
	if drained {
		q.recycle(batch)
	}

	if r.upstreamDone != nil {
		r.upstreamDone()
	}
	var final Event
	o := outcome{retries: retries, tokensIn: ans.PromptTokens, tout: ans.OutputTokens}
	if !firstToken.IsZero() {
		o.ttft = firstToken.Sub(start)
		o.streamed = e.now().Sub(firstToken)
	}
	if !believable(reported) {
		// No usage from the provider (Ollama, Anthropic compat): the
		// ledger's estimate is added to the metrics (Engine.answer).
		o.tokensIn, o.tout = 0, 0
	}
	switch {
	case ctx.Err() != nil:
		ans.State = store.StateStopped
		final = Stopped{}
	case tooLong:
		pe := &ProviderError{Kind: KindMalformed, Provider: served.cfg.Name, Err: fmt.Errorf("answer over %d bytes", MaxAnswerBytes),
			Sentence: fmt.Sprintf("%s sent more than %d MB for one answer; deskchat stopped it at %[2]d MB and kept the answer up to there.", served.cfg.Name, MaxAnswerBytes>>20)}
		ans.State, ans.Error, o.errKind = store.StateFailed, pe.Sentence, pe.Kind
		final = Failed{Sentence: pe.Sentence, Err: pe}
	case stalled:
		pe := &ProviderError{Kind: KindStalled, Provider: served.cfg.Name, Err: fmt.Errorf("no bytes for %v", idle),
			Sentence: fmt.Sprintf("%s stopped responding (nothing arrived for %s); the answer stops here.", served.cfg.Name, idle.Round(time.Second))}
		ans.State, ans.Error, o.errKind = store.StateFailed, pe.Sentence, pe.Kind
		final = Failed{Sentence: pe.Sentence, Err: pe}
		g.failed(e.now())
	case stream.Err() != nil:
		pe := classify(stream.Err(), served.cfg.Name, served.model, served.cfg.BaseURL)
		ans.State, ans.Error, o.errKind = store.StateFailed, pe.Sentence, pe.Kind
		final = Failed{Sentence: pe.Sentence, Err: pe}
		if pe.Kind == KindConnection || pe.Kind == KindIncomplete {
			g.failed(e.now())
		}
	default:
		ans.State = store.StateDone
		final = Done{Finish: ans.Finish, Duration: e.now().Sub(start)}
		g.succeeded()
	}
	if r.settle != nil && writeErr == nil {
		ans.Content, ans.Reasoning = text.String(), reasoning.String()
		g.record(o)
		r.settle(settlement{final: final, ans: ans, kept: kept})
		return
	}
	flush()
	if writeErr != nil {
		final = unsaved(writeErr, kept)
	}
	g.record(o) // persisted with the request's ledger line (Engine.addUsage)
	emit(final)
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
func estimateTokens(req Request) int {
	n := 0
	for _, m := range req.Messages {
		n += len(m.Content)/4 + 4
	}
	if req.MaxTokens > 0 {
		return n + req.MaxTokens
	}
	return n + defaultOutputEstimate
}

// open starts the provider's stream, retrying failures that happen before
// the first token as openai-python does: at most retries times, only for
// 408, 409, 429, 5xx and connection errors, after the server's requested
// delay (up to MaxServerDelay) or else an exponential backoff with jitter.
// A 429 with a delay also pauses the provider for everyone. It returns the
// number of retries made.
func (e *Engine) open(ctx context.Context, prov Provider, g *gate, req Request, retries int, emit sink) (Stream, int, error) {
	for attempt := 0; ; attempt++ {
		s, err := prov.Stream(ctx, req)
		if err == nil {
			return s, attempt, nil
		}
		if ctx.Err() != nil {
			return nil, attempt, ctx.Err()
		}
		pe := classify(err, prov.Name(), req.Model, "")
		if !retryable(pe) {
			return nil, attempt, pe
		}
		if pe.RetryAfter > MaxServerDelay {
			pe.Sentence = fmt.Sprintf("%s asks to wait %s before the next request. Try again after %s.",
				prov.Name(), pe.RetryAfter.Round(time.Second), e.now().Add(pe.RetryAfter).Local().Format("15:04"))
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
