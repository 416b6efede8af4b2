package engine

import (
	"testing"
	"time"

	"github.com/deskchat/deskchat/store"
)

func TestRecentUsageSplitsDaysByProviderAndKeepsEmptyDays(t *testing.T) {
	st := openStore(t)
	e := New(st, Options{})
	today := time.Date(2026, 3, 30, 15, 0, 0, 0, time.Local) // DST starts in between in Europe
	at := func(daysAgo int) time.Time { return today.AddDate(0, 0, -daysAgo) }
	for _, r := range []struct {
		at                 time.Time
		prov               string
		in, out            int
		cached, background bool
		ttft               time.Duration
		outcome            string
	}{
		{at(40), "openai", 999, 999, false, false, time.Second, "done"}, // before the period
		{at(29), "openai", 100, 50, false, false, 300 * time.Millisecond, "done"},
		{at(29), "local", 10, 5, false, false, 100 * time.Millisecond, "done"},
		{at(29), "openai", 100, 50, true, false, time.Millisecond, "done"}, // cached: no TTFT sample
		{at(0), "openai", 1, 2, false, false, 900 * time.Millisecond, "done"},
		{at(0), "openai", 1, 2, false, false, 0, "failed"},                   // failed before a token: no sample
		{at(0), "openai", 1, 2, false, true, 50 * time.Millisecond, "done"},  // a title: no sample
		{at(0), "local", 1, 2, false, false, 400 * time.Microsecond, "done"}, // under a millisecond: 0
	} {
		e.now = func() time.Time { return r.at }
		rec := e.usageRecord("c", r.prov, "gpt-4o", &Usage{PromptTokens: r.in, CompletionTokens: r.out}, 0, "", r.cached, r.background, r.ttft, time.Second, r.outcome)
		if err := st.AddUsage(rec); err != nil {
			t.Fatal(err)
		}
	}
	e.now = func() time.Time { return today }
	r, err := e.RecentUsage(30)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Days) != 30 || r.Days[0].Day != at(29).Format("2006-01-02") || r.Days[29].Day != "2026-03-30" {
		t.Fatalf("%d days from %s to %s", len(r.Days), r.Days[0].Day, r.Days[len(r.Days)-1].Day)
	}
	if r.Total.Requests != 7 || r.Total.Cached != 1 {
		t.Errorf("total %+v: the record 40 days ago is outside the period", r.Total)
	}
	first := r.Days[0]
	if first.Total.Requests != 3 || len(first.ByProvider) != 2 || first.ByProvider[0].Key != "local" || first.ByProvider[1].Key != "openai" {
		t.Fatalf("first day %+v", first)
	}
	if op := first.ByProvider[1]; op.PromptTokens != 200 || op.CompletionTokens != 100 || op.Cached != 1 {
		t.Errorf("openai on the first day %+v", op)
	}
	for _, d := range r.Days[1:29] {
		if d.Total.Requests != 0 || len(d.ByProvider) != 0 || d.Total.Key != d.Day {
			t.Errorf("day %s should be empty: %+v", d.Day, d)
		}
	}
	// The days add up to the report's totals.
	sum := 0
	for _, d := range r.Days {
		for _, p := range d.ByProvider {
			sum += p.PromptTokens + p.CompletionTokens
		}
	}
	if sum != r.Total.PromptTokens+r.Total.CompletionTokens {
		t.Errorf("days sum to %d tokens, total %d", sum, r.Total.PromptTokens+r.Total.CompletionTokens)
	}
	if r.CachedTokens != 150 {
		t.Errorf("cached tokens %d, want 150", r.CachedTokens)
	}
	if len(r.TTFT) != 2 || r.TTFT[0].Provider != "local" || r.TTFT[0].Samples != 2 || r.TTFT[0].MinMillis != 0 || r.TTFT[0].P99Millis != 100 {
		t.Fatalf("ttft %+v", r.TTFT)
	}
	if o := r.TTFT[1]; o.Samples != 2 || o.MinMillis != 300 || o.P50Millis != 300 || o.P99Millis != 900 || o.MaxMillis != 900 {
		t.Errorf("openai ttft %+v", o)
	}
}

func TestProviderStatesShowTheBreaker(t *testing.T) {
	st := openStore(t)
	e := New(st, Options{})
	now := time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC)
	e.now = func() time.Time { return now }
	bad := e.gate(store.Provider{Name: "bad"})
	e.gate(store.Provider{Name: "good"})
	state := func(name string) ProviderState {
		t.Helper()
		ps, err := e.ProviderStates()
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			if p.Provider == name {
				return p
			}
		}
		t.Fatalf("no state for %s in %+v", name, ps)
		return ProviderState{}
	}
	bad.failed(now)
	if s := state("bad"); s.Breaker != BreakerClosed || s.Failures != 1 {
		t.Errorf("after one failure: %+v", s)
	}
	bad.failed(now)
	bad.failed(now)
	if s := state("bad"); s.Breaker != BreakerOpen || !s.ReopensAt.Equal(now.Add(breakerCooldown)) {
		t.Errorf("after three failures: %s until %v", s.Breaker, s.ReopensAt)
	}
	if s := state("good"); s.Breaker != BreakerClosed {
		t.Errorf("good: %s", s.Breaker)
	}
	now = now.Add(breakerCooldown)
	if s := state("bad"); s.Breaker != BreakerHalfOpen {
		t.Errorf("after the cool-down: %s", s.Breaker)
	}
	bad.allow(now) // the probe goes
	if s := state("bad"); s.Breaker != BreakerHalfOpen {
		t.Errorf("while probing: %s", s.Breaker)
	}
	bad.succeeded()
	if s := state("bad"); s.Breaker != BreakerClosed || s.Failures != 0 {
		t.Errorf("after the probe succeeded: %+v", s)
	}
}
