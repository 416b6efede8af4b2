package engine

import (
	"encoding/json"
	"sort"
	"time"

	"github.com/deskchat/deskchat/engine/tokens"
	"github.com/deskchat/deskchat/store"
)

// The usage ledger: every request the engine makes records what it used and
// cost (store.UsageRecord). Totals are summed from the records on demand.

// UsageTotal sums a group of ledger records.
type UsageTotal struct {
	Key              string `json:"key"` // conversation id, day (2006-01-02, local) or provider
	Requests         int    `json:"requests"`
	Cached           int    `json:"cached"`
	PromptTokens     int    `json:"prompt_tokens"`
	CompletionTokens int    `json:"completion_tokens"`
	// Estimated counts the requests whose tokens deskchat counted itself.
	Estimated int `json:"estimated"`
	// Cost is the sum over requests with a known price; Unpriced counts the
	// others, whose cost is unknown (never taken as 0).
	Cost     float64 `json:"cost"`
	Unpriced int     `json:"unpriced"`
}

// UsageReport is the ledger summed three ways.
type UsageReport struct {
	From, To       time.Time
	Total          UsageTotal
	ByConversation []UsageTotal
	ByDay          []UsageTotal
	ByProvider     []UsageTotal
}

// Usage sums the ledger's records with from <= time < to (zero: unbounded).
func (e *Engine) Usage(from, to time.Time) (UsageReport, error) {
	recs, err := e.st.Usage(from, to)
	if err != nil {
		return UsageReport{}, err
	}
	return sumUsage(recs, from, to, time.Local), nil
}

func sumUsage(recs []store.UsageRecord, from, to time.Time, loc *time.Location) UsageReport {
	r := UsageReport{From: from, To: to}
	conv, day, prov := map[string]*UsageTotal{}, map[string]*UsageTotal{}, map[string]*UsageTotal{}
	add := func(m map[string]*UsageTotal, key string, u store.UsageRecord) {
		t := m[key]
		if t == nil {
			t = &UsageTotal{Key: key}
			m[key] = t
		}
		t.add(u)
	}
	for _, u := range recs {
		r.Total.add(u)
		if u.ConversationID != "" {
			add(conv, u.ConversationID, u)
		}
		add(day, u.Time.In(loc).Format("2006-01-02"), u)
		add(prov, u.Provider, u)
	}
	r.ByConversation, r.ByDay, r.ByProvider = sorted(conv), sorted(day), sorted(prov)
	return r
}

func (t *UsageTotal) add(u store.UsageRecord) {
	t.Requests++
	if u.Cached {
		t.Cached++
	}
	t.PromptTokens += u.PromptTokens
	t.CompletionTokens += u.CompletionTokens
	if u.Estimated {
		t.Estimated++
	}
	if u.Cost != nil {
		t.Cost += *u.Cost
	} else {
		t.Unpriced++
	}
}

func sorted(m map[string]*UsageTotal) []UsageTotal {
	out := make([]UsageTotal, 0, len(m))
	for _, t := range m {
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// prices reads the user's price table (Prices).
func (e *Engine) prices() map[string]tokens.Price { return Prices(e.st) }

// Prices reads the user's price table in st (store.SettingPrices), as the
// ledger prices requests with it; nil when there is none. A table that
// does not decode is ignored: built-in prices still apply.
func Prices(st *store.Store) map[string]tokens.Price {
	if st == nil {
		return nil
	}
	raw, err := st.Setting(store.SettingPrices)
	if err != nil || raw == "" {
		return nil
	}
	var p map[string]tokens.Price
	if json.Unmarshal([]byte(raw), &p) != nil {
		return nil
	}
	return p
}

// maxSaneTokens bounds believable usage figures; a provider reporting more
// for one request is treated as having reported nothing.
const maxSaneTokens = 10_000_000

// believable reports whether a provider's usage can be billed as it is.
func believable(u *Usage) bool {
	return u != nil && u.PromptTokens >= 0 && u.CompletionTokens >= 0 &&
		u.PromptTokens <= maxSaneTokens && u.CompletionTokens <= maxSaneTokens &&
		(u.PromptTokens > 0 || u.CompletionTokens > 0)
}

// ledgerTokens decides the tokens a request is billed: the provider's own
// usage when it sent a believable one, else deskchat's count, flagged.
func ledgerTokens(reported *Usage, model string, prompt int, answer string) (in, out int, estimated bool) {
	if believable(reported) {
		return reported.PromptTokens, reported.CompletionTokens, false
	}
	n, _ := tokens.Count(model, answer)
	return prompt, n, true
}

// usageRecord builds the ledger record of one request.
func (e *Engine) usageRecord(convID, provider, model string, reported *Usage, prompt int, answer string, cached, background bool, ttft, dur time.Duration, outcome string) store.UsageRecord {
	in, out, est := ledgerTokens(reported, model, prompt, answer)
	rec := store.UsageRecord{
		Time: e.now(), ConversationID: convID, Provider: provider, Model: model,
		PromptTokens: in, CompletionTokens: out, Estimated: est, Cached: cached, Background: background,
		TTFTMillis: ttft.Milliseconds(), DurationMs: dur.Milliseconds(), Outcome: outcome,
	}
	if cached {
		zero := 0.0 // a cached answer sends nothing upstream
		rec.Cost = &zero
	} else if c, ok := tokens.Cost(model, e.prices(), in, out); ok {
		rec.Cost = &c
	}
	return rec
}
