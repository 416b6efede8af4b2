package engine

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/deskchat/deskchat/engine/llm"
	"github.com/deskchat/deskchat/store"
)

// titlePrompt is the instruction sent after the first exchange to get a
// title for the conversation.
const titlePrompt = "Write a title of at most six words for this conversation. Answer with the title only, without quotes."

// titleContextRunes bounds how much of the question and of the answer is
// sent to get a title.
const titleContextRunes = 3000

// maxTitleRunes bounds a suggested title, cut at a word boundary.
const maxTitleRunes = 60

// SuggestTitle asks the conversation's model, in the background lane, for a
// short title for the conversation's first exchange and stores it, unless
// the user has named the chat (TitleEdited) meanwhile. It returns the title
// stored, or "" and nil when there was nothing to do (the Simulator, a chat
// the user named, no finished answer yet).
//
// The first exchange is the first finished (StateDone), current answer and
// the question before it. The title is stored only if the conversation's
// title is still the one it had when the request started; a cleaned answer
// that is empty keeps the old title. Errors (no provider, no key, the
// provider failed) are returned and change nothing.
func (e *Engine) SuggestTitle(ctx context.Context, conversationID string) (string, error) {
	snap, err := e.st.Snapshot(conversationID)
	if err != nil {
		return "", err
	}
	conv := snap.Conversation
	if conv.TitleEdited {
		return "", nil
	}
	q, a, ok := firstExchange(snap.Messages)
	if !ok {
		return "", nil
	}
	prov, cfg, model, err := e.resolve(snap, SendOptions{})
	if err != nil {
		return "", err
	}
	if cfg.Kind == store.KindSimulator {
		return "", nil // its answers are random text
	}
	req := llm.Request{Model: model, Messages: []llm.ChatMessage{
		{Role: llm.RoleUser, Content: truncateRunes(q.Content, titleContextRunes)},
		{Role: llm.RoleAssistant, Content: truncateRunes(a.Content, titleContextRunes)},
		{Role: llm.RoleUser, Content: titlePrompt},
	}}
	text, err := e.complete(ctx, candidate{cfg: cfg, prov: prov, model: model}, req, conv.ID)
	if err != nil {
		return "", err
	}
	title := cleanTitle(text)
	if title == "" {
		return "", nil
	}
	stored := false
	_, err = e.st.UpdateConversation(conv.ID, func(c *store.Conversation) {
		if !c.TitleEdited && c.Title == conv.Title {
			c.Title, stored = title, true
		}
	})
	if err != nil || !stored {
		return "", err
	}
	return title, nil
}

// firstExchange returns the conversation's first finished, current answer
// and the question it answers.
func firstExchange(msgs []store.Message) (q, a store.Message, ok bool) {
	asked := false
	for _, m := range msgs {
		switch {
		case m.Role == store.RoleUser:
			q, asked = m, true
		case m.Role == store.RoleAssistant && asked && !m.Superseded && m.State == store.StateDone && strings.TrimSpace(m.Content) != "":
			return q, m, true
		}
	}
	return q, a, false
}

// truncateRunes cuts s to at most n runes.
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// cleanTitle turns a model's answer into a title: its first line, without
// markdown, quotes, a leading "Title:" or trailing punctuation, white space
// collapsed, at most 60 characters cut at a word boundary. It is "" when
// nothing is left.
func cleanTitle(s string) string {
	line := ""
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(strings.Trim(l, "*_#`>-=\"' \t\r")) != "" {
			line = l
			break
		}
	}
	t := strings.Join(strings.Fields(line), " ")
	for prev := ""; t != prev; {
		prev = t
		t = strings.TrimLeft(t, "#>-•") // heading, quote, list item
		t = strings.NewReplacer("**", "", "__", "", "`", "").Replace(t)
		t = strings.TrimSpace(strings.Trim(t, "*_ "))
		if len(t) >= 6 && strings.EqualFold(t[:6], "title:") {
			t = strings.TrimSpace(t[6:])
		}
		t = strings.TrimSpace(strings.TrimFunc(t, isTitleQuote))
		t = strings.TrimRightFunc(t, isTrailingPunct)
	}
	if utf8.RuneCountInString(t) > maxTitleRunes {
		r := []rune(t)
		cut := maxTitleRunes
		if r[cut] != ' ' { // the cut falls inside a word: drop the word
			if i := strings.LastIndexByte(string(r[:cut]), ' '); i > 0 {
				cut = utf8.RuneCountInString(string(r[:cut])[:i])
			}
		}
		t = strings.TrimRightFunc(string(r[:cut]), func(r rune) bool { return unicode.IsSpace(r) || isTrailingPunct(r) })
	}
	return t
}

func isTitleQuote(r rune) bool {
	switch r {
	case '"', '\'', '“', '”', '‘', '’', '«', '»', '„', '「', '」', '『', '』':
		return true
	}
	return false
}

func isTrailingPunct(r rune) bool {
	switch r {
	case '.', ',', ';', ':', '!', '?', '…', '。', '、', '！', '？', '，', '；', '：':
		return true
	}
	return unicode.IsSpace(r)
}
