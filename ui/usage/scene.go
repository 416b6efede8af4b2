//go:build screenshots

package usage

import (
	"fmt"
	"math"
	"time"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/store"
)

// Stage opens the Usage window on a made-up month of requests to four
// providers up to now, with live metrics in every state; nothing is
// stored. It is the "usage" scene of the screenshots (ui/scene.go).
func Stage(h Host, now time.Time) {
	recs, titles := sceneLedger(now)
	u := newView(h)
	u.loadData = func() (ledger, error) {
		return ledger{recent: engine.TotalRecent(recs, Days, now), titles: titles, hits: 412, misses: 1210}, nil
	}
	u.states = func() ([]engine.ProviderState, error) { return sceneStates(now), nil }
	u.open(h.Bridge().Every)
}

// sceneLedger is a month of ledger lines: busy weekdays, quiet weekends, a
// local model without a price, answers from the cache now and then.
func sceneLedger(now time.Time) ([]store.UsageRecord, map[string]string) {
	titles := map[string]string{
		"c1": "Refactor the billing service", "c2": "Go channels explained", "c3": "Trip to Lisbon",
		"c4": "SQL window functions", "c5": "Release notes for 2.4", "c6": "Birthday poem",
	}
	type prov struct {
		name, model string
		in, out     float64 // US dollars per million tokens; 0: unknown
		ttft        int64   // typical time to first token, ms
		weight      int
	}
	provs := []prov{
		{"OpenAI", "gpt-4o-mini", 0.15, 0.6, 420, 5},
		{"Anthropic", "claude-3-5-haiku", 0.8, 4, 650, 3},
		{"Groq", "llama-3.1-8b-instant", 0.05, 0.08, 140, 2},
		{"Ollama", "llama3.2", 0, 0, 900, 2},
	}
	var recs []store.UsageRecord
	y, m, d := now.Date()
	seq := 0
	for day := 0; day < Days; day++ {
		date := time.Date(y, m, d-Days+1+day, 9, 0, 0, 0, time.Local)
		n := 6 + (day*7)%11
		if wd := date.Weekday(); wd == time.Saturday || wd == time.Sunday {
			n /= 3
		}
		if day == 11 || day == 12 { // away: nothing
			n = 0
		}
		for i := 0; i < n; i++ {
			seq++
			p := provs[(seq*7+day)%len(provs)]
			if seq%(p.weight+1) == 0 {
				p = provs[0]
			}
			in := 300 + (seq*137)%2400
			out := 120 + (seq*61)%900
			rec := store.UsageRecord{
				Time: date.Add(time.Duration(i) * 17 * time.Minute), ConversationID: fmt.Sprintf("c%d", 1+seq%6),
				Provider: p.name, Model: p.model, PromptTokens: in, CompletionTokens: out, Outcome: "done",
				TTFTMillis: p.ttft/2 + int64(float64(p.ttft)*math.Pow(float64((seq*37)%100)/100, 3)*2.5),
				DurationMs: 2000,
			}
			if seq%9 == 0 {
				zero := 0.0
				rec.Cached, rec.Cost, rec.TTFTMillis = true, &zero, 3
			} else if p.in > 0 {
				c := (float64(in)*p.in + float64(out)*p.out) / 1e6
				rec.Cost = &c
			}
			recs = append(recs, rec)
		}
	}
	return recs, titles
}

// sceneStates are live metrics with work in flight, a queue, retries, errors
// and an open breaker.
func sceneStates(now time.Time) []engine.ProviderState {
	m := func(name string, in, queued int, reqs, retries int64, errs map[engine.ErrorKind]int64) engine.Metrics {
		return engine.Metrics{Provider: name, InFlight: in, Queued: queued, Requests: reqs, Retries: retries, Errors: errs}
	}
	return []engine.ProviderState{
		{Metrics: m("Anthropic", 1, 0, 96, 4, map[engine.ErrorKind]int64{engine.KindRateLimited: 2}), Breaker: engine.BreakerClosed},
		{Metrics: m("Groq", 0, 0, 61, 9, map[engine.ErrorKind]int64{engine.KindServer: 5, engine.KindConnection: 1}), Breaker: engine.BreakerOpen, Failures: 3, ReopensAt: now.Add(24 * time.Second)},
		{Metrics: m("Ollama", 0, 0, 58, 0, nil), Breaker: engine.BreakerClosed},
		{Metrics: m("OpenAI", 2, 3, 214, 1, map[engine.ErrorKind]int64{engine.KindAuth: 1}), Breaker: engine.BreakerClosed, Failures: 1},
	}
}
