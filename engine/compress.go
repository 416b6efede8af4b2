package engine

import (
	"container/list"
	"strconv"
	"strings"
	"sync"

	"deskchat/engine/llm"
	"deskchat/engine/tokens"
	"deskchat/store"
)

// History compression. Before each request the conversation's history is
// fitted into the model's context window:
//
//	budget = context window − max output − margin
//
// Always sent: the system prompt, pinned messages and the latest user
// message. Then the most recent messages that fit, newest first, without
// gaps. What is left over is folded: replaced by the conversation's summary,
// a system message right after the system prompt. The summary is written in
// the background lane by the summariser and updated incrementally — it
// records the last message it covers, and only messages after that are sent
// to be folded in. Stored messages are never changed or deleted.

// compressMargin is kept free besides the answer's room: chat framing,
// tokenizer differences between models, a provider's own additions.
func compressMargin(context int) int { return max(256, context/50) }

// summaryShare bounds the summary to this fraction of the budget.
const summaryShare = 4 // a quarter

// historyPlan is what to send for one request.
type historyPlan struct {
	Messages []llm.ChatMessage
	// Kept are the history messages sent as they are, in order.
	Kept []store.Message
	// Folded are the messages the summary stands for; ToSummarise are those
	// among them the stored summary does not cover yet.
	Folded      []store.Message
	ToSummarise []store.Message
	// Tokens is the prompt's size as counted; -1 when it obviously fits
	// and was not counted.
	Tokens int
	Budget int
}

// countCache remembers the token count of stored messages, keyed by message,
// encoding and text length (a message's text only changes while it streams,
// and then only grows). It is an LRU bounded by entries.
type countCache struct {
	mu    sync.Mutex
	max   int
	ll    *list.List
	items map[string]*list.Element
}

type countItem struct {
	key string
	n   int
}

func newCountCache(max int) *countCache {
	return &countCache{max: max, ll: list.New(), items: map[string]*list.Element{}}
}

// count returns the tokens of m's text for model, framing included.
func (c *countCache) count(model string, m store.Message) int {
	if m.Seq == 0 { // not stored (yet): no key to remember it by
		n, _ := tokens.Count(model, m.Content)
		return n + tokens.PerMessage
	}
	enc, exact := tokens.EncodingFor(model)
	key := m.ConversationID + "-" + strconv.FormatUint(m.Seq, 10) + "/" + enc + "/" + strconv.FormatBool(exact) + "/" + strconv.Itoa(len(m.Content))
	c.mu.Lock()
	if el, ok := c.items[key]; ok {
		c.ll.MoveToFront(el)
		n := el.Value.(*countItem).n
		c.mu.Unlock()
		return n
	}
	c.mu.Unlock()
	n, _ := tokens.Count(model, m.Content)
	n += tokens.PerMessage
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok { // counted meanwhile by another request
		c.ll.MoveToFront(el)
		return n
	}
	c.items[key] = c.ll.PushFront(&countItem{key, n})
	for c.ll.Len() > c.max {
		old := c.ll.Back()
		c.ll.Remove(old)
		delete(c.items, old.Value.(*countItem).key)
	}
	return n
}

// promptTokens counts a request's messages as the chat format frames them.
func promptTokens(model string, msgs []llm.ChatMessage) int {
	n := tokens.PerRequest
	for _, m := range msgs {
		n += countText(model, m.Content)
	}
	return n
}

func countText(model, text string) int {
	n, _ := tokens.Count(model, text)
	return n + tokens.PerMessage
}

// sendable reports whether a stored message goes into requests at all.
func sendable(m store.Message) bool {
	return m.Content != "" && !m.Superseded && (m.Role == store.RoleUser || m.Role == store.RoleAssistant || m.Role == store.RoleSystem)
}

// planHistory fits history (oldest first; its last message is the new user
// message) into limits. sum is the stored summary (nil: none). When off is
// set, everything is sent.
func planHistory(model, system string, history []store.Message, sum *store.Summary, limits tokens.Limits, off bool, counts *countCache) historyPlan {
	var p historyPlan
	p.Budget = limits.Context - limits.MaxOutput - compressMargin(limits.Context)
	sendableIdx := make([]int, 0, len(history))
	for i, m := range history {
		if sendable(m) {
			sendableIdx = append(sendableIdx, i)
		}
	}
	used := tokens.PerRequest
	if strings.TrimSpace(system) != "" {
		used += countText(model, system)
	}
	keep := make([]bool, len(history))
	// Every token covers at least one byte: when the bytes fit, the tokens
	// do, and nothing needs counting (nor the tokenizer building).
	bytes := len(system) + tokens.PerRequest
	for _, i := range sendableIdx {
		bytes += len(history[i].Content) + tokens.PerMessage
	}
	if bytes <= p.Budget {
		for _, i := range sendableIdx {
			keep[i] = true
		}
		return p.finish(system, history, keep, nil, -1)
	}
	if off {
		for _, i := range sendableIdx {
			keep[i] = true
			used += counts.count(model, history[i])
		}
		return p.finish(system, history, keep, nil, used)
	}
	// The latest message and pinned ones, whatever they cost.
	if n := len(sendableIdx); n > 0 {
		last := sendableIdx[n-1]
		keep[last] = true
		used += counts.count(model, history[last])
	}
	for _, i := range sendableIdx {
		if history[i].Pinned && !keep[i] {
			keep[i] = true
			used += counts.count(model, history[i])
		}
	}
	// Room for the summary, if one may be needed: a stored one's size, or
	// the most a new one may take.
	summaryRoom := 0
	if sum != nil && sum.Text != "" {
		summaryRoom = countText(model, summaryPreamble+sum.Text)
	}
	summaryRoom = max(summaryRoom, p.Budget/summaryShare)
	// Newest first, while they fit; the first that does not fit ends it.
	fitAll := true
	total := used
	for k := len(sendableIdx) - 1; k >= 0; k-- {
		if i := sendableIdx[k]; !keep[i] {
			total += counts.count(model, history[i])
		}
	}
	if total > p.Budget {
		fitAll = false
	}
	for k := len(sendableIdx) - 2; k >= 0; k-- {
		i := sendableIdx[k]
		if keep[i] {
			continue
		}
		n := counts.count(model, history[i])
		room := p.Budget
		if !fitAll {
			room -= summaryRoom
		}
		if used+n > room {
			break
		}
		keep[i] = true
		used += n
	}
	var covered uint64
	if sum != nil {
		covered = sum.Through
	}
	for _, i := range sendableIdx {
		if !keep[i] {
			p.Folded = append(p.Folded, history[i])
			if history[i].Seq > covered {
				p.ToSummarise = append(p.ToSummarise, history[i])
			}
		}
	}
	var sumText string
	if len(p.Folded) > 0 && sum != nil {
		sumText = sum.Text
		used += countText(model, summaryPreamble+sumText)
	}
	return p.finish(system, history, keep, &sumText, used)
}

// summaryPreamble introduces the summary to the model.
const summaryPreamble = "Summary of the earlier part of this conversation (older messages are not repeated):\n\n"

func (p historyPlan) finish(system string, history []store.Message, keep []bool, sumText *string, used int) historyPlan {
	p.Messages = make([]llm.ChatMessage, 0, len(history)+2)
	if strings.TrimSpace(system) != "" {
		p.Messages = append(p.Messages, llm.ChatMessage{Role: llm.RoleSystem, Content: system})
	}
	if sumText != nil && *sumText != "" {
		p.Messages = append(p.Messages, llm.ChatMessage{Role: llm.RoleSystem, Content: summaryPreamble + *sumText})
	}
	for i, m := range history {
		if keep[i] {
			p.Kept = append(p.Kept, m)
			p.Messages = append(p.Messages, llm.ChatMessage{Role: llm.Role(m.Role), Content: m.Content})
		}
	}
	p.Tokens = used
	return p
}
