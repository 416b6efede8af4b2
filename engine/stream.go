package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/deskchat/deskchat/engine/llm"
	"github.com/deskchat/deskchat/internal/format"
	"github.com/deskchat/deskchat/store"
)

// settlement ends a stream whose answer's last write is left to its
// receiver (Engine.answer), which stores it with the request's ledger line
// in one commit and then passes final on. It travels by
// streamRequest.settle, never as an Event: callers of the public API never
// see it.
type settlement struct {
	final Event
	ans   store.Message // the answer's last state, not yet written
	kept  store.Message // the answer as stored now, should that write fail
	// began is the text's length when the last round began: an answer
	// that used tools billed its earlier rounds' text with their rounds.
	began int
}

// streamRequest is what stream needs to receive one opened stream.
type streamRequest struct {
	stream  llm.Stream    // the opened upstream (or a flight's replay), read to its end
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
	// tools, when not nil, offers tools: an answer that asks for calls
	// ends the round instead of the answer (see askedTools).
	tools *toolLoop
}

// stream receives an opened stream, persisting it as it arrives: a pump
// goroutine reads it into a queue, the loop delivers and writes what
// arrives, and its end decides the answer's last state.
func (e *Engine) stream(ctx context.Context, r streamRequest) {
	// The pump starts before the question's commit is done (see
	// exchange): what arrives meanwhile waits in the queue, and the loop
	// takes it at once.
	q := newChunkQueue()
	pumpDone := make(chan struct{})
	go pump(r.stream, q, pumpDone)
	defer close(pumpDone)

	if err := r.x.wait(); err != nil {
		// Send could not store the question (and cancels the job).
		r.emit(Failed{Sentence: store.UserMessage(err), Err: err})
		return
	}
	s := &streaming{e: e, r: r, ans: r.x.ans}
	if r.tools != nil {
		s.ans = r.tools.begin(s.ans)
	}
	s.begin()
	s.loop(ctx, q)
	if r.upstreamDone != nil {
		r.upstreamDone()
	}
	s.end(ctx)
}

// pump pulls chunks from stream into q so that the stream loop can flush
// on a timer and notice a stall while the provider is silent. Reading
// stops once the chunks hold more than the cap: the loop cuts the answer
// there, and a provider that streams without end is not read into the
// queue meanwhile.
func pump(stream llm.Stream, q *chunkQueue, done <-chan struct{}) {
	defer q.close()
	read := 0
	for read <= MaxAnswerBytes && stream.Next() {
		c := stream.Current()
		read += len(c.Text) + len(c.Reasoning)
		if !q.put(c, done) {
			return
		}
	}
}

// streaming is one answer being received by stream, on its goroutine.
type streaming struct {
	e   *Engine
	r   streamRequest
	ans store.Message // the answer as it stands
	// text and reasoning are the answer's so far; a continued answer goes
	// on from its stored text.
	text, reasoning strings.Builder
	firstToken      time.Time
	reported        *Usage // the provider's last usage report
	stalled         bool   // nothing arrived for r.idle
	tooLong         bool   // the answer reached MaxAnswerBytes and was cut there
	// writeErr is the last write's error: when the last write failed, the
	// store holds the answer as kept (its last successful write).
	writeErr error
	kept     store.Message
	calls    []llm.ToolCall // the tool calls the answer asked for
	began    int            // the text's length when this round began
}

// begin announces the answer. It is stored already (empty, streaming):
// its first flush records who serves it.
func (s *streaming) begin() {
	served := s.r.served
	s.ans.Provider, s.ans.Model, s.ans.State = served.cfg.Name, served.model, store.StateStreaming
	s.kept = s.ans
	s.text.WriteString(s.ans.Content)
	s.reasoning.WriteString(s.ans.Reasoning)
	s.began = s.text.Len()
	if s.r.tools != nil && s.r.tools.started {
		return // a later round of tool calls: the answer has started
	}
	s.r.emit(Started{ConversationID: s.ans.ConversationID, UserSeq: s.r.x.user.Seq, AssistantSeq: s.ans.Seq, Provider: served.cfg.Name, Model: served.model})
}

// flush writes the answer as it stands.
func (s *streaming) flush() {
	s.ans.Content, s.ans.Reasoning = s.text.String(), s.reasoning.String()
	if s.writeErr = s.e.putAnswer(s.ans); s.writeErr == nil {
		s.kept = s.ans
	}
	if s.e.afterFlush != nil {
		s.e.afterFlush(s.ans)
	}
}

// add appends a batch to the answer, up to the cap, and returns its text
// as one Delta (empty when it had none) and its last usage report.
func (s *streaming) add(batch []llm.Chunk, dText, dReasoning *strings.Builder) (Delta, *Usage) {
	usage, finish, cut := gatherBatch(batch, MaxAnswerBytes-s.text.Len()-s.reasoning.Len(), dText, dReasoning)
	for _, c := range batch {
		s.calls = append(s.calls, c.ToolCalls...)
	}
	s.tooLong = cut
	if finish != "" {
		s.ans.Finish = finish
	}
	d := Delta{Text: dText.String(), Reasoning: dReasoning.String()}
	if d.Text != "" || d.Reasoning != "" {
		if s.firstToken.IsZero() {
			s.firstToken = s.e.now()
		}
		s.text.WriteString(d.Text)
		s.reasoning.WriteString(d.Reasoning)
	}
	return d, usage
}

// loop delivers and writes what q brings until the stream ends, stalls,
// passes the cap or ctx is done.
func (s *streaming) loop(ctx context.Context, q *chunkQueue) {
	e, stream, idle := s.e, s.r.stream, s.r.idle
	// The answer is written when text has waited e.flush, not on a
	// ticker: a thousand quiet streams wake nobody.
	flushT := time.NewTimer(e.flush)
	flushT.Stop()
	defer flushT.Stop()
	var flushC <-chan time.Time // set while unwritten text waits for flushT
	idleTimer := time.NewTimer(idle)
	defer idleTimer.Stop()
	// After a batch the loop rests for deliverEvery before it takes the
	// next, so that a burst is delivered in a few batches, not chunk by
	// chunk; the end of the stream cuts the rest short.
	rest := time.NewTimer(deliverEvery)
	rest.Stop()
	defer rest.Stop()
	var restC <-chan time.Time
	readyC, endC := q.ready, (<-chan struct{})(nil)
	batch := chunkBuf()
	var dText, dReasoning strings.Builder
	for {
		select {
		case <-readyC:
			// Everything waiting is one batch.
			var closed bool
			batch, closed = q.take(batch)
			if len(batch) > 0 {
				idleTimer.Reset(idle)
			}
			d, usage := s.add(batch, &dText, &dReasoning)
			if d.Text != "" || d.Reasoning != "" {
				if flushC == nil {
					flushT.Reset(e.flush)
					flushC = flushT.C
				}
				s.r.emit(d)
			}
			if s.tooLong {
				stream.Close()
				return
			}
			if usage != nil {
				s.reported = usage
				s.ans.PromptTokens, s.ans.OutputTokens = usage.PromptTokens, usage.CompletionTokens
				s.r.emit(UsageEvent{Usage: *usage})
			}
			if closed {
				// The queue closed and was taken empty: its storage is free.
				q.recycle(batch)
				return
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
			s.flush()
		case <-idleTimer.C:
			if ar, ok := stream.(llm.ActivityReporter); ok {
				if quiet := time.Since(ar.LastActivity()); quiet < idle {
					idleTimer.Reset(idle - quiet) // keep-alives arrived
					continue
				}
			}
			s.stalled = true
			stream.Close()
			return
		case <-ctx.Done():
			stream.Close()
			return
		}
	}
}

// end decides the answer's last state and final event, records the
// request's outcome on the gate and writes the answer (or leaves that
// write to r.settle).
func (s *streaming) end(ctx context.Context) {
	g := s.r.gate
	final, o := s.outcome(ctx)
	if tl := s.r.tools; tl != nil {
		tl.started = true
		if _, ok := final.(Done); ok && len(s.calls) > 0 {
			if tl.round-tl.first < tl.max {
				if s.askedTools(o) {
					return
				}
				final = unsaved(s.writeErr, s.kept)
			} else {
				final = s.tooManyRounds()
			}
		}
		tl.ans = s.ans
	}
	if s.r.settle != nil && s.writeErr == nil {
		s.ans.Content, s.ans.Reasoning = s.text.String(), s.reasoning.String()
		g.record(o)
		s.r.settle(settlement{final: final, ans: s.ans, kept: s.kept, began: s.began})
		return
	}
	s.flush()
	if s.writeErr != nil {
		final = unsaved(s.writeErr, s.kept)
	}
	g.record(o) // persisted with the request's ledger line (Engine.addUsage)
	s.r.emit(final)
}

// outcome sets the answer's last state and returns the final event and the
// metrics' outcome; it tells the gate's breaker how the provider did.
func (s *streaming) outcome(ctx context.Context) (Event, outcome) {
	e, g, served, stream := s.e, s.r.gate, s.r.served, s.r.stream
	o := outcome{retries: s.r.retries, tokensIn: s.ans.PromptTokens, tout: s.ans.OutputTokens}
	if !s.firstToken.IsZero() {
		o.ttft = s.firstToken.Sub(s.r.start)
		o.streamed = e.now().Sub(s.firstToken)
	}
	if !believable(s.reported) {
		// No usage from the provider (Ollama, Anthropic compat): the
		// ledger's estimate is added to the metrics (Engine.answer).
		o.tokensIn, o.tout = 0, 0
	}
	switch {
	case ctx.Err() != nil:
		s.ans.State = store.StateStopped
		return Stopped{}, o
	case s.tooLong:
		final := s.fail(&ProviderError{Kind: llm.KindMalformed, Provider: served.cfg.Name, Err: fmt.Errorf("answer over %d bytes", MaxAnswerBytes),
			Sentence: fmt.Sprintf("%s sent more than %d MB for one answer; deskchat stopped it at %[2]d MB and kept the answer up to there.", served.cfg.Name, MaxAnswerBytes>>20)}, &o)
		return final, o
	case s.stalled:
		final := s.fail(&ProviderError{Kind: llm.KindStalled, Provider: served.cfg.Name, Err: fmt.Errorf("no bytes for %v", s.r.idle),
			Sentence: fmt.Sprintf("%s stopped responding (nothing arrived for %s); the answer stops here.", served.cfg.Name, format.Duration(s.r.idle))}, &o)
		g.failed(e.now())
		return final, o
	case stream.Err() != nil:
		pe := llm.Classify(stream.Err(), served.cfg.Name, served.cfg.BaseURL)
		final := s.fail(pe, &o)
		if pe.Kind == llm.KindConnection || pe.Kind == llm.KindIncomplete {
			g.failed(e.now())
		}
		return final, o
	default:
		s.ans.State = store.StateDone
		g.succeeded()
		return Done{Finish: s.ans.Finish, Duration: e.now().Sub(s.r.start)}, o
	}
}

// fail marks the answer failed with pe and returns its final event.
func (s *streaming) fail(pe *ProviderError, o *outcome) Event {
	s.ans.State, s.ans.Error, o.errKind = store.StateFailed, pe.Sentence, pe.Kind
	return Failed{Sentence: pe.Sentence, Err: pe}
}
