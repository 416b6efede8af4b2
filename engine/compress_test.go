package engine

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/deskchat/deskchat/engine/llm"
	"github.com/deskchat/deskchat/engine/tokens"
	"github.com/deskchat/deskchat/store"
)

// longHistory makes n alternating user and assistant messages of about
// words words each, seq 1..n, with a new user message last.
func longHistory(conv string, n, words int) []store.Message {
	h := make([]store.Message, n)
	for i := range h {
		role := store.RoleUser
		if i%2 == 1 {
			role = store.RoleAssistant
		}
		h[i] = store.Message{ConversationID: conv, Seq: uint64(i + 1), Role: role, State: store.StateDone,
			Content: fmt.Sprintf("message %d: %s", i+1, strings.Repeat("channel goroutine select ", words/3))}
	}
	h[n-1].Role = store.RoleUser
	return h
}

func planTokens(t *testing.T, model string, msgs []llm.ChatMessage) int {
	t.Helper()
	return promptTokens(model, msgs)
}

func TestPlanSendsEverythingThatFits(t *testing.T) {
	h := longHistory("c", 6, 30)
	p := planHistory("gpt-4o", "Be brief.", h, nil, tokens.Limits{Context: 128000, MaxOutput: 16384}, false, newCountCache(100))
	if len(p.Kept) != 6 || len(p.Folded) != 0 || len(p.Messages) != 7 || p.Messages[0].Content != "Be brief." {
		t.Fatalf("kept %d folded %d messages %d", len(p.Kept), len(p.Folded), len(p.Messages))
	}
	if p.Tokens != -1 {
		t.Errorf("a history that obviously fits was counted (%d tokens)", p.Tokens)
	}
}

func TestPlanKeepsSystemPinnedAndLatestAndFoldsTheRest(t *testing.T) {
	const model = "gpt-4o"
	h := longHistory("c", 60, 60)
	h[4].Pinned = true // old and pinned
	h[10].Content = "" // an answer that never got text is not sent
	limits := tokens.Limits{Context: 4000, MaxOutput: 500}
	sum := &store.Summary{ConversationID: "c", Through: 20, Text: "Earlier they compared channels and mutexes."}
	p := planHistory(model, "You are terse.", h, sum, limits, false, newCountCache(1000))

	if got := planTokens(t, model, p.Messages); got > p.Budget || got != p.Tokens {
		t.Errorf("prompt is %d tokens (planned %d), budget %d", got, p.Tokens, p.Budget)
	}
	if p.Budget != 4000-500-256 {
		t.Errorf("budget %d", p.Budget)
	}
	if p.Messages[0].Content != "You are terse." || !strings.Contains(p.Messages[1].Content, sum.Text) || p.Messages[1].Role != llm.RoleSystem {
		t.Errorf("first messages: %q / %q", p.Messages[0].Content, p.Messages[1].Content)
	}
	last := p.Messages[len(p.Messages)-1]
	if last.Content != h[59].Content {
		t.Error("the latest message is not last, or not intact")
	}
	if p.Kept[0].Seq != 5 {
		t.Errorf("pinned message 5 not kept first: kept starts at %d", p.Kept[0].Seq)
	}
	// Kept (besides the pinned one) is a run of the newest messages.
	for i := 2; i < len(p.Kept); i++ {
		if p.Kept[i].Seq != p.Kept[i-1].Seq+1 {
			t.Fatalf("gap in the recent messages: %d then %d", p.Kept[i-1].Seq, p.Kept[i].Seq)
		}
	}
	if len(p.Folded) == 0 || len(p.Kept)+len(p.Folded) != 59 {
		t.Fatalf("kept %d + folded %d, want 59 sendable", len(p.Kept), len(p.Folded))
	}
	// Only what the summary does not cover yet goes to the summariser.
	for _, m := range p.ToSummarise {
		if m.Seq <= 20 {
			t.Fatalf("message %d is already in the summary", m.Seq)
		}
	}
	if want := len(p.Folded) - 18; len(p.ToSummarise) != want { // 1..20 minus pinned 5 and empty 11
		t.Errorf("%d to summarise, want %d", len(p.ToSummarise), want)
	}
}

func TestPlanWithCompressionOffSendsAll(t *testing.T) {
	h := longHistory("c", 60, 60)
	p := planHistory("gpt-4o", "", h, nil, tokens.Limits{Context: 4000, MaxOutput: 500}, true, newCountCache(1000))
	if len(p.Kept) != 60 || len(p.Folded) != 0 || p.Tokens <= p.Budget {
		t.Errorf("kept %d folded %d tokens %d budget %d", len(p.Kept), len(p.Folded), p.Tokens, p.Budget)
	}
}

func TestCountCacheIsBounded(t *testing.T) {
	c := newCountCache(10)
	h := longHistory("c", 30, 3)
	for _, m := range h {
		c.count("gpt-4o", m)
	}
	if c.ll.Len() != 10 || len(c.items) != 10 {
		t.Errorf("cache holds %d/%d entries, bound 10", c.ll.Len(), len(c.items))
	}
	m := h[29]
	before := c.count("gpt-4o", m)
	m.Content += " more words"
	if after := c.count("gpt-4o", m); after <= before {
		t.Errorf("a grown message kept its old count (%d then %d)", before, after)
	}
}

// BenchmarkCompressPlan plans the request of a 1,000-message conversation
// into a 16k context with token counts cached, as every request after the
// first does.
func BenchmarkCompressPlan(b *testing.B) {
	h := longHistory("c", 1000, 60)
	counts := newCountCache(100000)
	limits := tokens.Limits{Context: 16000, MaxOutput: 2000}
	sum := &store.Summary{Through: 900, Text: "Summary."}
	planHistory("gpt-4o", "sys", h, sum, limits, false, counts) // counts every message once
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		planHistory("gpt-4o", "sys", h, sum, limits, false, counts)
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "compress_plan_ms_1000msgs@ms")
}
