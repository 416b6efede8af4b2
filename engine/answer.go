package engine

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/deskchat/deskchat/engine/llm"
	"github.com/deskchat/deskchat/engine/tokens"
	"github.com/deskchat/deskchat/store"
)

// job is one request being answered: what Send decided, carried to the
// goroutine that answers it.
type job struct {
	conv    store.Conversation
	x       *exchange       // the question and its answer (empty, state streaming), stored
	cancel  func()          // ends the job's context; called when the job ends
	history []store.Message // the messages to send, the new user message last
	// question is the index in history of the question answered (see
	// questionIndex): its images are sent or the request fails; earlier
	// ones may go as their names.
	question int
	summary  *store.Summary // the conversation's, when it has one
	system   string
	plan     []candidate // the provider, then its fallbacks
	req      llm.Request // sampling; Messages are filled in by compress
	lane     queueLane
	idle     time.Duration
	noCache  bool
	// toolServers name the servers whose tools are offered (none: no
	// tools); approve decides each call (nil: declined).
	toolServers []string
	approve     func(context.Context, ToolRequest) ToolDecision
	// c is Complete's: the request belongs to no conversation and
	// nothing is stored but its ledger line (nil: a chat's request).
	c *completing
}

// start answers the last message of history on a new goroutine; x is (or
// will be) the stored question and answer.
func (e *Engine) start(ctx context.Context, conv store.Conversation, plan []candidate, x *exchange, history []store.Message, summary *store.Summary, opts SendOptions) <-chan Event {
	return e.startJob(ctx, e.newJob(conv, plan, x, history, summary, opts))
}

// newJob is the job that answers the last message of history as opts say.
func (e *Engine) newJob(conv store.Conversation, plan []candidate, x *exchange, history []store.Message, summary *store.Summary, opts SendOptions) job {
	system := opts.System
	if system == "" {
		system = conv.SystemPrompt
	}
	j := job{conv: conv, x: x, history: history, question: questionIndex(history), summary: onPath(summary, history), system: system, plan: plan,
		req:  llm.Request{Model: plan[0].model, Temperature: opts.Temperature, MaxTokens: opts.MaxTokens},
		lane: laneInteractive, idle: opts.IdleTimeout, noCache: opts.NoCache}
	if len(opts.Tools) > 0 && e.toolbox != nil {
		// An answer that may use tools is never cached: a tool's result
		// is not the same twice.
		j.toolServers, j.approve, j.noCache = opts.Tools, opts.Approve, true
	}
	switch {
	case opts.Batch:
		j.lane = laneBatch
	case opts.Background:
		j.lane = laneBackground
	}
	if j.idle <= 0 {
		j.idle = e.idle
	}
	return j
}

// startJob runs j on a new goroutine and returns its events.
func (e *Engine) startJob(ctx context.Context, j job) <-chan Event {
	ctx, j.cancel = context.WithCancel(ctx)
	out := make(chan Event, 64)
	j.x.abort = j.cancel // Send failed: the job stops, storing nothing
	go e.answer(ctx, j, out)
	return out
}

// Regenerate answers the last question of the conversation's active path
// again, never from the response cache. The new answer is a sibling of the
// answers it had, which stay stored, off the active path: they are no
// longer sent with later requests. Events are as for Send.
func (e *Engine) Regenerate(ctx context.Context, conversationID string, opts SendOptions) (<-chan Event, error) {
	snap, plan, err := e.prepare(conversationID, opts)
	if err != nil {
		return nil, err
	}
	conv, msgs := snap.Conversation, snap.Messages
	u := -1
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == store.RoleUser && !msgs[i].Superseded {
			u = i
			break
		}
	}
	if u < 0 {
		return nil, &ProviderError{Kind: llm.KindConfig, Sentence: "This chat has no question to answer again."}
	}
	ans, err := e.st.AppendAnswerTo(msgs[u].Seq, store.Message{ConversationID: conv.ID, Role: store.RoleAssistant,
		Provider: plan[0].cfg.Name, Model: plan[0].model, State: store.StateStreaming})
	if err != nil {
		return nil, err
	}
	opts.NoCache = true
	return e.start(ctx, conv, plan, stored(msgs[u], ans), msgs[:u+1], snap.Summary, opts), nil
}

// continuePrompt is the instruction sent (not stored) after an unfinished
// answer when it is continued.
const continuePrompt = "Your previous answer was cut off. Continue it exactly where it stops, without repeating anything and without any preamble."

// Continue asks the model to go on with an unfinished answer (interrupted,
// stopped or failed; the last message of the active path) and appends what it
// writes to the stored text. The request carries the history up to the
// answer's question, the answer so far and continuePrompt; an answer with
// no text yet is simply answered again. Never from the response cache.
// Events are as for Send; Delta events carry the new text only.
func (e *Engine) Continue(ctx context.Context, conversationID string, seq uint64, opts SendOptions) (<-chan Event, error) {
	snap, plan, err := e.prepare(conversationID, opts)
	if err != nil {
		return nil, err
	}
	conv, msgs := snap.Conversation, snap.Messages
	a := -1
	for i, m := range msgs {
		if m.Seq == seq {
			a = i
		}
	}
	if a < 0 {
		return nil, &ProviderError{Kind: llm.KindConfig, Sentence: "That answer no longer exists."}
	}
	u := -1
	for i := a - 1; i >= 0; i-- {
		if msgs[i].Role == store.RoleUser && !msgs[i].Superseded {
			u = i
			break
		}
	}
	if u < 0 {
		return nil, &ProviderError{Kind: llm.KindConfig, Sentence: "This answer has no question to continue from."}
	}
	ans, err := e.st.ReopenAnswer(conv.ID, seq)
	if err != nil {
		return nil, err
	}
	history := append([]store.Message(nil), msgs[:u+1]...)
	if ans.Content != "" {
		history = append(history, ans, store.Message{Role: store.RoleUser, Content: continuePrompt, State: store.StateDone})
	}
	opts.NoCache = true
	return e.start(ctx, conv, plan, stored(msgs[u], ans), history, snap.Summary, opts), nil
}

// answer compresses the history, answers from the cache when it can, else
// runs the request upstream (shared with identical requests in flight); it
// records the request in the usage ledger and caches a complete answer. It
// owns out and closes it.
func (e *Engine) answer(ctx context.Context, j job, out chan<- Event) {
	defer j.cancel()
	hp := e.compress(ctx, j, out)
	primary := j.plan[0]
	pending := e.addParts(j, hp, !e.blindKnown(primary.cfg, primary.model))
	j.req.Messages, j.req.Model = hp.Messages, primary.model
	tl := e.offerTools(ctx, j, out)
	a := &answering{e: e, ctx: ctx, j: j, out: out, historyTokens: hp.Tokens, start: e.now()}
	if a.fromCache() {
		return
	}
	runCtx, followed := a.joinFlight()
	if followed {
		return
	}
	defer a.close()
	if a.f != nil {
		// The leader's caller may stop while others read the flight.
		defer context.AfterFunc(ctx, a.leave)()
	}
	// Images are encoded now, on this goroutine, while Send stores the
	// question; not at all when no one who could answer takes them.
	if e.anySees(j.plan) {
		if err := e.encodeImages(runCtx, j.req.Messages, pending); err != nil {
			e.unanswered(runCtx, j.x, []*ProviderError{llm.Classify(err, primary.cfg.Name, primary.cfg.BaseURL)}, a.watch, nil)
			a.finishRun()
			return
		}
	}
	if tl != nil {
		j.req.Tools = tl.tools.offer
		tl.base = len(j.req.Messages)
	}
	e.run(runCtx, j.plan, j.req, j.x, j.lane, j.idle, a.watch, a.settle, tl)
	a.finishRun()
}

// anySees reports whether any candidate of plan may take images.
func (e *Engine) anySees(plan []candidate) bool {
	for _, c := range plan {
		if !e.blindKnown(c.cfg, c.model) {
			return true
		}
	}
	return false
}

func isFinal(ev Event) bool {
	switch ev.(type) {
	case Done, Stopped, Failed:
		return true
	}
	return false
}

// cutBack stores a stopped leader's answer as what it had received when it
// stopped (the shared upstream went on for others); an answer that had
// nothing yet is removed, as a request stopped before any text keeps none.
func (e *Engine) cutBack(convID string, seq uint64, cut store.Message) {
	if convID == "" {
		return // Complete's: nothing stored
	}
	m, err := e.st.Message(convID, seq)
	if err != nil {
		return
	}
	if cut.Content == "" && cut.Reasoning == "" {
		e.st.DeleteMessage(convID, seq)
		return
	}
	m.Content, m.Reasoning, m.State, m.Finish = cut.Content, cut.Reasoning, store.StateStopped, ""
	e.st.PutMessage(m)
}

func outcomeOf(ev Event) string {
	switch ev.(type) {
	case Done:
		return "done"
	case Stopped:
		return "stopped"
	}
	return "failed"
}

// addUsage records a request in the ledger together with the counters it
// changed (its provider's metrics, the cache's hits and misses), in one
// write. It is best effort and never fails an answer.
func (e *Engine) addUsage(r store.UsageRecord, cache *store.CacheWrite) {
	e.st.RecordRequest(&r, e.usageStats(r.Provider), cache)
}

// usageStats are the counters a request of provider changes: the cache's
// hits and misses, and its provider's metrics when they are due (see
// gate.persistDue). They are read in the request's write transaction.
func (e *Engine) usageStats(provider string) store.Stats {
	e.mu.Lock()
	g := e.gates[provider]
	e.mu.Unlock()
	return func() map[string][]byte {
		stats := map[string][]byte{}
		if g != nil && g.persistDue(e.now()) {
			if data, err := g.marshalCounters(); err == nil {
				stats[statKey(g.name)] = data
			}
		}
		if e.cache != nil {
			stats[cacheStatKey] = e.cache.marshalCounters()
		}
		return stats
	}
}

// replay answers from the cache: the answer is stored at once, complete, and
// streamed to the caller after a Cached event. Nothing goes upstream.
func (e *Engine) replay(ctx context.Context, j job, hit store.CacheEntry, start time.Time, out chan<- Event) {
	defer close(out)
	if j.x.wait() != nil {
		return
	}
	ans := j.x.ans
	ans.Provider, ans.Model, ans.Content, ans.Reasoning, ans.Finish, ans.State = hit.Provider, hit.Model, hit.Content, hit.Reasoning, hit.Finish, store.StateDone
	ans.PromptTokens, ans.OutputTokens = hit.PromptTokens, hit.CompletionTokens
	if err := e.putAnswer(ans); err != nil {
		out <- unsaved(err, j.x.ans)
		return
	}
	deliver(ctx, out, Cached{})
	deliver(ctx, out, Started{ConversationID: j.conv.ID, UserSeq: j.x.user.Seq, AssistantSeq: ans.Seq, Provider: hit.Provider, Model: hit.Model})
	s := newReplayStream(hit)
	var usage *Usage
	for s.Next() {
		c := s.Current()
		if c.Text != "" || c.Reasoning != "" {
			deliver(ctx, out, Delta{Text: c.Text, Reasoning: c.Reasoning})
		}
		if c.Usage != nil {
			usage = c.Usage
			deliver(ctx, out, UsageEvent{Usage: *c.Usage})
		}
	}
	dur := e.now().Sub(start)
	e.bill(j, e.usageRecord(j.conv.ID, hit.Provider, hit.Model, usage, 0, hit.Content, true, j.lane == laneBackground, dur, dur, "done"), nil)
	out <- Done{Finish: hit.Finish, Duration: dur}
}

// clearCache empties the response cache and returns how many answers it
// held.
func (e *Engine) clearCache() (int, error) {
	if e.cache == nil {
		return e.st.CacheClear()
	}
	return e.cache.clear()
}

// CacheCounters returns the response cache's hits and misses, counted over
// the store's life, this process's included (StoredCacheCounters reads only
// what was persisted).
func (e *Engine) CacheCounters() (hits, misses uint64) {
	if e.cache == nil {
		return 0, 0
	}
	return e.cache.hits.Load(), e.cache.misses.Load()
}

// limitsFor returns the context window and longest answer for model on
// cfg, and whether they are known (else they are tokens.DefaultLimits).
func limitsFor(cfg store.Provider, model string) (tokens.Limits, bool) {
	var override *tokens.Limits
	if ml, ok := cfg.ModelLimits[model]; ok {
		override = &tokens.Limits{Context: ml.Context, MaxOutput: ml.MaxOutput}
	}
	return tokens.LimitsFor(model, override)
}

// compress fits the history into the model's context window, bringing the
// conversation's summary up to date first when older messages no longer
// fit. It emits a Compressed event when anything was left out.
func (e *Engine) compress(ctx context.Context, j job, out chan<- Event) historyPlan {
	primary := j.plan[0]
	limits, known := limitsFor(primary.cfg, primary.model)
	sum := j.summary
	hp := planHistory(primary.model, j.system, j.history, sum, limits, j.conv.CompressionOff, e.counts)
	if len(hp.Folded) == 0 {
		if hp.NamedOnly > 0 {
			deliver(ctx, out, Compressed{Kept: len(hp.Kept), Attachments: hp.NamedOnly})
		}
		return hp
	}
	ev := Compressed{Folded: len(hp.Folded), Kept: len(hp.Kept)}
	if len(hp.ToSummarise) > 0 {
		updated, err := e.summarise(ctx, j, primary, limits, sum, hp.ToSummarise)
		if err == nil {
			sum = &updated
			hp = planHistory(primary.model, j.system, j.history, sum, limits, false, e.counts)
			ev.Summarised = len(hp.Folded)
		} else {
			ev.Dropped = len(hp.ToSummarise)
			ev.Note = fmt.Sprintf("Could not summarise the older messages (%s); the %d oldest not yet summarised were left out of this request.", UserMessage(err), ev.Dropped)
		}
	} else {
		ev.Summarised = len(hp.Folded)
	}
	ev.Attachments = hp.NamedOnly
	if !known {
		ev.Note = strings.TrimSpace(ev.Note + fmt.Sprintf(" deskchat does not know %s's context window and assumed %d tokens; set it in %s's settings if the model takes more.",
			primary.model, limits.Context, primary.cfg.Name))
	}
	deliver(ctx, out, ev)
	return hp
}

// summaryMaxOutput bounds a summary's length, in tokens.
const summaryMaxOutput = 1024

// summarisePrompt asks for a summary that a later request can stand on.
const summarisePrompt = `You maintain the running summary of a long chat between a user and an assistant. ` +
	`Rewrite the summary so that it also covers the new messages. Keep facts, names, numbers, decisions, ` +
	`open questions and code identifiers; drop pleasantries. Write plain prose or short bullet points, ` +
	`at most a few hundred words. Reply with the summary only.`

// summarise folds msgs into the conversation's summary, in batches that fit
// the summarising model, in the background lane. The stored summary is
// updated after each batch, so work done survives a later failure.
func (e *Engine) summarise(ctx context.Context, j job, c candidate, limits tokens.Limits, prev *store.Summary, msgs []store.Message) (store.Summary, error) {
	model := c.model
	if c.cfg.SummaryModel != "" {
		model = c.cfg.SummaryModel
		limits, _ = limitsFor(c.cfg, model)
	}
	cur := store.Summary{ConversationID: j.conv.ID}
	if prev != nil {
		cur = *prev
	}
	room := limits.Context - min(summaryMaxOutput, limits.MaxOutput) - compressMargin(limits.Context)
	for len(msgs) > 0 {
		used := countText(model, summarisePrompt) + countText(model, cur.Text)
		n := 0
		var transcript strings.Builder
		for n < len(msgs) {
			text := msgs[n].Content
			if len(msgs[n].Attachments) > 0 { // named, never sent to the summariser
				text = strings.TrimSpace(text + "\n" + notes(msgs[n]))
			}
			if len(msgs[n].Tools) > 0 {
				text = strings.TrimSpace(text + "\n" + toolText(msgs[n]))
			}
			line := fmt.Sprintf("%s: %s\n\n", msgs[n].Role, text)
			k := e.counts.count(model, msgs[n])
			if n > 0 && used+k > room {
				break
			}
			used += k
			transcript.WriteString(line)
			n++
		}
		user := "New messages:\n\n" + transcript.String()
		if cur.Text != "" {
			user = "Summary so far:\n\n" + cur.Text + "\n\n" + user
		}
		text, err := e.complete(ctx, c, llm.Request{Model: model, Messages: []llm.ChatMessage{{Role: llm.RoleSystem, Content: summarisePrompt}, {Role: llm.RoleUser, Content: user}}, MaxTokens: min(summaryMaxOutput, limits.MaxOutput)}, j.conv.ID)
		if err != nil {
			return cur, err
		}
		if strings.TrimSpace(text) == "" {
			return cur, &ProviderError{Kind: llm.KindMalformed, Provider: c.cfg.Name, Sentence: fmt.Sprintf("%s returned an empty summary", c.cfg.Name)}
		}
		cur.Text, cur.Through, cur.Model = strings.TrimSpace(text), msgs[n-1].Seq, model
		cur.Tokens = countText(model, cur.Text)
		if err := e.st.PutSummary(cur); err != nil {
			return cur, err
		}
		msgs = msgs[n:]
	}
	return cur, nil
}

// complete sends a request that is not part of the chat (a summary) in the
// background lane and returns the whole answer's text.
func (e *Engine) complete(ctx context.Context, c candidate, req llm.Request, convID string) (string, error) {
	g := e.gate(c.cfg)
	if !g.allow(e.now()) {
		return "", &ProviderError{Kind: llm.KindBreakerOpen, Provider: c.cfg.Name, Sentence: fmt.Sprintf("%s is resting after several failures", c.cfg.Name)}
	}
	release, err := g.q.acquire(ctx, laneBackground, nil)
	if err != nil {
		return "", err
	}
	defer release()
	start := e.now()
	s, _, err := e.open(ctx, c.prov, g, req, c.retries(), func(Event) {})
	if err != nil {
		return "", llm.Classify(err, c.cfg.Name, c.cfg.BaseURL)
	}
	defer s.Close()
	var text strings.Builder
	var usage *Usage
	for s.Next() {
		ch := s.Current()
		text.WriteString(ch.Text)
		if ch.Usage != nil {
			usage = ch.Usage
		}
	}
	outcome := "done"
	if err := s.Err(); err != nil {
		outcome = "failed"
		e.addUsage(e.usageRecord(convID, c.cfg.Name, req.Model, usage, 0, text.String(), false, true, 0, e.now().Sub(start), outcome), nil)
		return "", llm.Classify(err, c.cfg.Name, c.cfg.BaseURL)
	}
	e.addUsage(e.usageRecord(convID, c.cfg.Name, req.Model, usage, promptTokens(req.Model, req.Messages), text.String(), false, true, 0, e.now().Sub(start), outcome), nil)
	return text.String(), nil
}

// onPath returns sum when it summarises a part of history, the path sent:
// the last message it covers is on it. A summary written on another branch
// (before an edit, or before switching) would bring that branch's text in:
// it is left out, and the summariser writes one for this path.
func onPath(sum *store.Summary, history []store.Message) *store.Summary {
	if sum == nil {
		return nil
	}
	for _, m := range history {
		if m.Seq == sum.Through {
			return sum
		}
	}
	return nil
}
