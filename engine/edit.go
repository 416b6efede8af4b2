package engine

import (
	"context"
	"strings"

	"github.com/deskchat/deskchat/attach"
	"github.com/deskchat/deskchat/engine/llm"
	"github.com/deskchat/deskchat/engine/tokens"
	"github.com/deskchat/deskchat/store"
)

// Resend asks the user message seq again as text (edit and resend): the
// edited question is stored as a sibling of seq (nothing is deleted: the
// old question and what followed it stay, off the active path) and
// answered, never from the cache; its branch becomes the active path. The
// edited question keeps the old one's attachments, unless opts.Attachments
// gives others. The request carries the path down to seq's parent and the
// edited question. Errors that prevent sending
// (seq is not a question of the chat, an answer is still streaming, no
// provider set up, no key) are returned at once and change nothing; the
// store's refusals carry their sentence (store.UserMessage). Events are as
// for Send.
func (e *Engine) Resend(ctx context.Context, conversationID string, seq uint64, text string, opts SendOptions) (<-chan Event, error) {
	snap, plan, err := e.prepare(conversationID, opts)
	if err != nil {
		return nil, err
	}
	conv, msgs := snap.Conversation, snap.PathTo(seq)
	u := len(msgs) - 1
	if u < 0 || msgs[u].Role != store.RoleUser {
		return nil, &ProviderError{Kind: llm.KindConfig, Sentence: "Only a question of this chat can be edited and sent again."}
	}
	if strings.TrimSpace(text) == "" && len(msgs[u].Attachments) == 0 && len(opts.Attachments) == 0 {
		return nil, &ProviderError{Kind: llm.KindConfig, Sentence: "The edited question is empty."}
	}
	first := true // the chat's first question: its title may come from it
	for _, m := range msgs[:u] {
		if m.Role == store.RoleUser {
			first = false
			break
		}
	}
	cfg, model := plan[0].cfg, plan[0].model
	old := msgs[u].Content
	// The edited question keeps its files, or takes the ones given. They
	// travel with their bytes: the old question's references go in the
	// same commit, and a blob no other message used would go with them.
	atts := opts.Attachments
	if len(atts) == 0 {
		if atts, err = e.withBytes(msgs[u].Attachments); err != nil {
			return nil, err
		}
	} else if err := attach.CheckCount(len(atts)); err != nil {
		return nil, &ProviderError{Kind: llm.KindAttachment, Sentence: err.Error(), Err: err}
	}
	// As for Send: the conversation now uses this provider and model, and
	// a title made from the old first question follows the edit.
	update := func(c *store.Conversation) {
		if opts.Endpoint == nil {
			c.Provider, c.Model = cfg.Name, model
		}
		if first && !c.TitleEdited && (c.Title == "" || c.Title == titleFrom(old, msgs[u].Attachments)) {
			c.Title = titleFrom(text, atts)
		}
	}
	update(&conv)
	q, ans, err := e.st.ReplaceFrom(conv.ID, seq,
		store.Message{ConversationID: conv.ID, Role: store.RoleUser, Content: text, State: store.StateDone, Pinned: msgs[u].Pinned, Attachments: atts},
		store.Message{ConversationID: conv.ID, Role: store.RoleAssistant, Provider: cfg.Name, Model: model, State: store.StateStreaming},
		update)
	if err != nil {
		return nil, err
	}
	q.Attachments = atts // with their bytes: the request need not read them back
	history := append(append([]store.Message(nil), msgs[:u]...), q)
	// A summary of the old branch was dropped (and one elsewhere is
	// left out: see onPath).
	summary := snap.Summary
	if summary != nil && summary.Through >= seq {
		summary = nil
	}
	opts.NoCache = true
	return e.start(ctx, conv, plan, stored(q, ans), history, summary, opts), nil
}

// Cost is what an answer with usage u cost with model, in US dollars, from
// the built-in or user-set prices; ok is false when the price is unknown.
func (e *Engine) Cost(model string, u Usage) (cost float64, ok bool) {
	return tokens.Cost(model, e.prices(), u.PromptTokens, u.CompletionTokens)
}
