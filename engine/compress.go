package engine

import (
	"container/list"
	"strconv"
	"strings"
	"sync"

	"github.com/deskchat/deskchat/engine/llm"
	"github.com/deskchat/deskchat/engine/tokens"
	"github.com/deskchat/deskchat/store"
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
	// Kept are the history messages sent, in order; KeptAt are their
	// indices in the history, and Named says which of them have their
	// attachments sent as their names only (NamedOnly counts them).
	// MsgAt is the index in Messages of each kept message's first (an
	// answer that used tools is several: see chatMessages).
	Kept      []store.Message
	KeptAt    []int
	MsgAt     []int
	Named     []bool
	NamedOnly int
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
	text := m.Content
	if len(m.Tools) > 0 { // its calls and results are sent too
		text += "\n" + toolText(m)
	}
	if m.Seq == 0 { // not stored (yet): no key to remember it by
		n, _ := tokens.Count(model, text)
		return n + tokens.PerMessage + toolFrames(m)
	}
	enc, exact := tokens.EncodingFor(model)
	key := m.ConversationID + "-" + strconv.FormatUint(m.Seq, 10) + "/" + enc + "/" + strconv.FormatBool(exact) + "/" + strconv.Itoa(len(text))
	c.mu.Lock()
	if el, ok := c.items[key]; ok {
		c.ll.MoveToFront(el)
		n := el.Value.(*countItem).n
		c.mu.Unlock()
		return n
	}
	c.mu.Unlock()
	n, _ := tokens.Count(model, text)
	n += tokens.PerMessage + toolFrames(m)
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
		for _, p := range m.Parts {
			if p.Type == llm.PartImage {
				n += defaultImageTokens
				continue
			}
			c, _ := tokens.Count(model, p.Text)
			n += c
		}
	}
	return n
}

func countText(model, text string) int {
	n, _ := tokens.Count(model, text)
	return n + tokens.PerMessage
}

// sendable reports whether a stored message goes into requests at all.
func sendable(m store.Message) bool {
	return (m.Content != "" || len(m.Attachments) > 0 || len(m.Tools) > 0) && !m.Superseded && (m.Role == store.RoleUser || m.Role == store.RoleAssistant || m.Role == store.RoleSystem)
}

// planHistory fits history (oldest first; its last message is the new user
// message) into limits. sum is the stored summary (nil: none). When off is
// set, everything is sent.
//
// Attachments are the first thing left out: when the history does not fit
// as it is, the older messages' files (an old screenshot costs as much as
// pages of text) are sent as their names only ("[image: NAME]"), newest
// kept whole as long as they fit, before any message is folded into the
// summary. The latest message and pinned ones always keep theirs.
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
	named := make([]bool, len(history))
	// Every token covers at least one byte: when the bytes fit, the tokens
	// do, and nothing needs counting (nor the tokenizer building).
	// Attachments count as their estimated tokens.
	bytes := len(system) + tokens.PerRequest
	for _, i := range sendableIdx {
		bytes += len(history[i].Content) + tokens.PerMessage + attachmentTokens(history[i]) + len(toolText(history[i])) + toolFrames(history[i])
	}
	if bytes <= p.Budget {
		for _, i := range sendableIdx {
			keep[i] = true
		}
		return p.finish(system, history, keep, named, nil, -1)
	}
	whole := func(i int) int { return counts.count(model, history[i]) + attachmentTokens(history[i]) }
	nameOnly := func(i int) int { return counts.count(model, history[i]) + nameTokens(history[i]) }
	if off {
		for _, i := range sendableIdx {
			keep[i] = true
			used += whole(i)
		}
		return p.finish(system, history, keep, named, nil, used)
	}
	// The latest message and pinned ones, whatever they cost.
	if n := len(sendableIdx); n > 0 {
		last := sendableIdx[n-1]
		keep[last] = true
		used += whole(last)
	}
	for _, i := range sendableIdx {
		if history[i].Pinned && !keep[i] {
			keep[i] = true
			used += whole(i)
		}
	}
	// The others, newest first.
	rest := make([]int, 0, len(sendableIdx))
	for k := len(sendableIdx) - 1; k >= 0; k-- {
		if i := sendableIdx[k]; !keep[i] {
			rest = append(rest, i)
		}
	}
	// Room for the summary, if one may be needed: a stored one's size, or
	// the most a new one may take.
	summaryRoom := 0
	if sum != nil && sum.Text != "" {
		summaryRoom = countText(model, summaryPreamble+sum.Text)
	}
	summaryRoom = max(summaryRoom, p.Budget/summaryShare)
	f := fitting{history: history, keep: keep, named: named, whole: whole, nameOnly: nameOnly}
	used = f.keepNewest(rest, used, p.Budget, summaryRoom)
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
	return p.finish(system, history, keep, named, &sumText, used)
}

// fitting keeps the history's messages that fit, newest first (see
// keepNewest).
type fitting struct {
	history     []store.Message
	keep, named []bool // per message of history: kept; kept with its files named only
	// whole and nameOnly are what message i costs with its files, and
	// with them named only.
	whole, nameOnly func(i int) int
}

// keepNewest keeps messages of rest (indices of history, newest first)
// while they fit in budget with used tokens spent: whole while they fit
// (leaving room for the older ones named only, when that makes everything
// fit), then named only; the first that does not fit even so ends it, and
// room for a summary is left when not everything fits. It returns the
// tokens spent.
func (f fitting) keepNewest(rest []int, used, budget, summaryRoom int) int {
	// olderNamed[k] is what rest[k:] cost with their files named only.
	olderNamed := make([]int, len(rest)+1)
	total := used
	for k := len(rest) - 1; k >= 0; k-- {
		olderNamed[k] = olderNamed[k+1] + f.nameOnly(rest[k])
		total += f.whole(rest[k])
	}
	fitAll := total <= budget
	fitNamed := used+olderNamed[0] <= budget // every message fits once older files are named only
	room := budget
	if !fitNamed {
		room -= summaryRoom
	}
	naming := false
	for k, i := range rest {
		if !naming {
			need := f.whole(i)
			if !fitAll && fitNamed {
				need += olderNamed[k+1]
			}
			if used+need <= room {
				f.keep[i] = true
				used += f.whole(i)
				continue
			}
			naming = true
		}
		n := f.nameOnly(i)
		if used+n > room {
			break
		}
		f.keep[i], f.named[i] = true, len(f.history[i].Attachments) > 0
		used += n
	}
	return used
}

// summaryPreamble introduces the summary to the model.
const summaryPreamble = "Summary of the earlier part of this conversation (older messages are not repeated):\n\n"

func (p historyPlan) finish(system string, history []store.Message, keep, named []bool, sumText *string, used int) historyPlan {
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
			p.KeptAt = append(p.KeptAt, i)
			p.Named = append(p.Named, named[i])
			if named[i] {
				p.NamedOnly++
			}
			p.MsgAt = append(p.MsgAt, len(p.Messages))
			p.Messages = chatMessages(p.Messages, m)
		}
	}
	p.Tokens = used
	return p
}
