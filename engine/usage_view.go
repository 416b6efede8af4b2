package engine

import (
	"slices"
	"strings"
	"time"

	"github.com/deskchat/deskchat/store"
)

// What the Usage window draws: the ledger of recent days split by day and
// provider, the time to first token per provider, and each provider's live
// state including its circuit breaker. All of it is read on demand; none of
// it changes what the engine records.

// DayUsage is one day of the ledger, split by provider.
type DayUsage struct {
	Day        string       // 2006-01-02, local
	Total      UsageTotal   // Key = Day
	ByProvider []UsageTotal // Key = provider, sorted; providers without requests that day are absent
}

// TTFTStats describe the time to first token of a provider's interactive
// answers (answers from the response cache, background requests such as
// titles, and requests that ended before any token are not counted).
// Percentiles are nearest-rank, as in Metrics.
type TTFTStats struct {
	Provider                        string
	Samples                         int
	MinMillis, P50Millis, P90Millis int64
	P99Millis, MaxMillis            int64
}

// RecentUsage is the ledger of the last days, as the Usage window shows it.
type RecentUsage struct {
	UsageReport // From is the first day's local midnight, To the next day's after today
	// Days lists every day of the period, oldest first, including days
	// without requests.
	Days []DayUsage
	// TTFT has one entry per provider with at least one sample, sorted by
	// provider.
	TTFT []TTFTStats
	// CachedTokens counts the tokens of answers replayed from the response
	// cache in the period: tokens not sent upstream.
	CachedTokens int
}

// RecentUsage sums the ledger of the last days days (today included, local
// time; days < 1 means 1).
func (e *Engine) RecentUsage(days int) (RecentUsage, error) {
	now := e.now()
	from, to := recentPeriod(now, days)
	recs, err := e.st.Usage(from, to)
	if err != nil {
		return RecentUsage{}, err
	}
	return TotalRecent(recs, days, now), nil
}

// recentPeriod is the local midnight days-1 days before now's day, and the
// one after it.
func recentPeriod(now time.Time, days int) (from, to time.Time) {
	days = max(days, 1)
	y, m, d := now.In(time.Local).Date()
	return time.Date(y, m, d-days+1, 0, 0, 0, 0, time.Local), time.Date(y, m, d+1, 0, 0, 0, 0, time.Local)
}

// TotalRecent sums ledger records as RecentUsage does, for the days
// days up to now's (local); records outside them are left out.
func TotalRecent(recs []store.UsageRecord, days int, now time.Time) RecentUsage {
	days = max(days, 1)
	from, to := recentPeriod(now, days)
	in := make([]store.UsageRecord, 0, len(recs))
	for _, u := range recs {
		if !u.Time.Before(from) && u.Time.Before(to) {
			in = append(in, u)
		}
	}
	r := RecentUsage{UsageReport: sumUsage(in, from, to, time.Local)}

	type dayProv struct{ day, prov string }
	cells := map[dayProv]*UsageTotal{}
	samples := map[string][]int64{}
	for _, u := range in {
		k := dayProv{u.Time.In(time.Local).Format("2006-01-02"), u.Provider}
		t := cells[k]
		if t == nil {
			t = &UsageTotal{Key: u.Provider}
			cells[k] = t
		}
		t.add(u)
		if u.Cached {
			r.CachedTokens += u.PromptTokens + u.CompletionTokens
		} else if hasTTFT(u) {
			samples[u.Provider] = append(samples[u.Provider], u.TTFTMillis)
		}
	}
	byDay := map[string]UsageTotal{}
	for _, t := range r.ByDay {
		byDay[t.Key] = t
	}
	for i := range days {
		key := from.AddDate(0, 0, i).Format("2006-01-02")
		du := DayUsage{Day: key, Total: byDay[key]}
		du.Total.Key = key
		for _, p := range r.ByProvider {
			if t := cells[dayProv{key, p.Key}]; t != nil {
				du.ByProvider = append(du.ByProvider, *t)
			}
		}
		r.Days = append(r.Days, du)
	}
	for prov, s := range samples {
		slices.Sort(s)
		r.TTFT = append(r.TTFT, TTFTStats{Provider: prov, Samples: len(s), MinMillis: s[0], MaxMillis: s[len(s)-1],
			P50Millis: percentile(s, 50), P90Millis: percentile(s, 90), P99Millis: percentile(s, 99)})
	}
	slices.SortFunc(r.TTFT, func(a, b TTFTStats) int { return strings.Compare(a.Provider, b.Provider) })
	return r
}

// hasTTFT says whether u's TTFTMillis is a time to first token the user
// waited for: an interactive request that went upstream and got a token.
// The ledger writes 0 both for "no token" and for under a millisecond, so
// a finished answer's 0 counts as a sample and a failed or stopped one's
// does not.
func hasTTFT(u store.UsageRecord) bool {
	return !u.Cached && !u.Background && (u.TTFTMillis > 0 || u.Outcome == "done")
}

// Breaker states.
const (
	BreakerClosed   = "closed"    // requests go through
	BreakerOpen     = "open"      // requests are refused until ReopensAt
	BreakerHalfOpen = "half-open" // one probe request decides
)

// ProviderState is a provider's metrics and its circuit breaker as this
// process sees them (a provider used only by other processes is closed).
type ProviderState struct {
	Metrics
	Breaker   string    // BreakerClosed, BreakerOpen or BreakerHalfOpen
	Failures  int       // consecutive failed requests
	ReopensAt time.Time // when Breaker is open: when the next probe may go
}

// ProviderStates returns Metrics with each provider's breaker, sorted by
// provider. It is safe to call at any time, from any goroutine.
func (e *Engine) ProviderStates() ([]ProviderState, error) {
	ms, err := e.Metrics()
	if err != nil {
		return nil, err
	}
	now := e.now()
	out := make([]ProviderState, 0, len(ms))
	for _, m := range ms {
		s := ProviderState{Metrics: m, Breaker: BreakerClosed}
		e.mu.Lock()
		g := e.gates[m.Provider]
		e.mu.Unlock()
		if g != nil {
			g.mu.Lock()
			b := g.br
			g.mu.Unlock()
			s.Failures = b.failures
			if b.failures >= breakerThreshold {
				if now.Before(b.openUntil) && !b.probing {
					s.Breaker, s.ReopensAt = BreakerOpen, b.openUntil
				} else {
					s.Breaker = BreakerHalfOpen
				}
			}
		}
		out = append(out, s)
	}
	return out, nil
}
