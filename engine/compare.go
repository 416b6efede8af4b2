package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/deskchat/deskchat/attach"
	"github.com/deskchat/deskchat/engine/llm"
	"github.com/deskchat/deskchat/store"
)

// How many providers or models one prompt is compared across.
const (
	MinCompare = 2
	MaxCompare = 4
)

// Target is one provider and model a comparison asks. Empty fields are
// resolved as for Send: the conversation's provider, else the default one;
// the conversation's model when it uses that provider, else the
// provider's.
type Target struct{ Provider, Model string }

// Comparison is one question asked of several targets at once, as stored
// by Compare.
type Comparison struct {
	Question store.Message
	// Answers are the stored answers, in the order of the targets, as they
	// were when Compare returned: empty, in state streaming. They are
	// siblings below the question; the first is on the active path (the
	// chat's answer), the others are alternatives (kept, not sent) until
	// KeepAnswer chooses another.
	Answers []store.Message
	// Events[i] streams Answers[i]; each is as Send's channel, and each
	// must be drained.
	Events []<-chan Event
}

// Compare sends text to 2–4 targets at once; each answers on its own, with
// its own queue slot, limits, events, usage and cost. Every target is
// resolved before anything is stored: one that cannot be used (an unknown
// provider, no key, no model) fails the whole call with its sentence, and
// so does a wrong number of targets; nothing is stored then. Else the
// question and one empty, streaming answer per target are stored in one
// transaction, the conversation now uses the first target's provider and
// model, and every answer streams as Regenerate's does: the history is the
// messages before the question and the question, never from the response
// cache (nor shared with an identical request in flight), and without a
// fallback provider (a comparison asks the ones chosen; one that fails
// shows its sentence while the others go on). Cancelling ctx stops them all.
// opts.Provider, Model and Endpoint are ignored; the rest apply to every
// target (opts.Attachments go with the question).
func (e *Engine) Compare(ctx context.Context, conversationID, text string, targets []Target, opts SendOptions) (*Comparison, error) {
	if len(targets) < MinCompare || len(targets) > MaxCompare {
		return nil, &ProviderError{Kind: llm.KindConfig, Sentence: fmt.Sprintf("Compare asks %d to %d providers or models at once, not %d.", MinCompare, MaxCompare, len(targets))}
	}
	if strings.TrimSpace(text) == "" {
		return nil, &ProviderError{Kind: llm.KindConfig, Sentence: "Write the question to compare the answers to first."}
	}
	if err := attach.CheckCount(len(opts.Attachments)); err != nil {
		return nil, &ProviderError{Kind: llm.KindAttachment, Sentence: err.Error(), Err: err}
	}
	snap, err := e.st.Snapshot(conversationID)
	if err != nil {
		return nil, err
	}
	plans := make([]candidate, len(targets))
	for i, t := range targets {
		o := opts
		o.Provider, o.Model, o.Endpoint = t.Provider, t.Model, nil
		prov, cfg, model, err := e.resolve(snap, o)
		if err != nil {
			return nil, err
		}
		plans[i] = candidate{cfg: cfg, prov: prov, model: model}
	}
	conv := snap.Conversation
	// As for Send: the conversation now uses the first target, and its
	// first question may give it a title.
	update := func(c *store.Conversation) {
		c.Provider, c.Model = plans[0].cfg.Name, plans[0].model
		if c.Title == "" {
			c.Title = titleFrom(text, opts.Attachments)
		}
	}
	update(&conv)
	answers := make([]store.Message, len(plans))
	for i, p := range plans {
		answers[i] = store.Message{ConversationID: conv.ID, Role: store.RoleAssistant, Provider: p.cfg.Name, Model: p.model,
			State: store.StateStreaming}
	}
	q, answers, err := e.st.AppendAnswers(store.Message{ConversationID: conv.ID, Role: store.RoleUser, Content: text, State: store.StateDone, Attachments: opts.Attachments}, answers, update)
	if err != nil {
		return nil, err
	}
	history := append(snap.Messages[:len(snap.Messages):len(snap.Messages)], q)
	opts.NoCache, opts.Endpoint = true, nil
	c := &Comparison{Question: q, Answers: answers, Events: make([]<-chan Event, len(plans))}
	for i, p := range plans {
		o := opts
		o.Provider, o.Model = p.cfg.Name, p.model
		c.Events[i] = e.start(ctx, conv, []candidate{p}, stored(q, answers[i]), history, snap.Summary, o)
	}
	return c, nil
}

// KeepAnswer chooses the answer keep (a message's Seq) as its question's
// answer in the chat, e.g. after Compare: the active path goes through it,
// so it is sent with later requests from now on, and the conversation uses
// its provider and model. The answers others to the same question (its
// siblings) are deleted with discard (and leave the search index), else
// kept as alternatives (off the active path: kept, not sent). One store transaction. It refuses with store.ErrStreaming,
// changing nothing, while any of them streams; the error carries the
// sentence to show (store.UserMessage).
func (e *Engine) KeepAnswer(conversationID string, keep uint64, others []uint64, discard bool) error {
	_, err := e.st.KeepAnswer(conversationID, keep, others, discard, func(c *store.Conversation, kept store.Message) {
		if kept.Provider != "" && kept.Model != "" {
			c.Provider, c.Model = kept.Provider, kept.Model
		}
	})
	return err
}
