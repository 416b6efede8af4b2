package engine

import (
	"math"
	"testing"
	"time"

	"github.com/deskchat/deskchat/store"
)

func TestLedgerTrustsOnlyBelievableUsage(t *testing.T) {
	for _, tc := range []struct {
		name     string
		reported *Usage
		in, out  int
		est      bool
	}{
		{"reported", &Usage{PromptTokens: 120, CompletionTokens: 45}, 120, 45, false},
		{"none", nil, 50, 2, true},
		{"zeros", &Usage{}, 50, 2, true},
		{"negative", &Usage{PromptTokens: -1, CompletionTokens: 45}, 50, 2, true},
		{"absurd", &Usage{PromptTokens: 1, CompletionTokens: 1 << 40}, 50, 2, true},
	} {
		in, out, est := ledgerTokens(tc.reported, "gpt-4o", 50, "hello world")
		if in != tc.in || out != tc.out || est != tc.est {
			t.Errorf("%s: %d %d %v, want %d %d %v", tc.name, in, out, est, tc.in, tc.out, tc.est)
		}
	}
}

func TestUsageTotalsAreHandComputed(t *testing.T) {
	st := openStore(t)
	e := New(st, Options{})
	if err := st.SetSetting(store.SettingPrices, `{"my-model": {"input": 1, "output": 2}}`); err != nil {
		t.Fatal(err)
	}
	day1 := time.Date(2026, 4, 1, 10, 0, 0, 0, time.Local)
	day2 := day1.Add(24 * time.Hour)
	recs := []struct {
		at                time.Time
		conv, prov, model string
		in, out           int
		cached            bool
	}{
		// gpt-4o $2.50/$10 per M: 1,000 in + 500 out = 0.0025 + 0.005 = $0.0075
		{day1, "c1", "openai", "gpt-4o", 1000, 500, false},
		// my-model $1/$2 per M (user table): 2,000,000 in + 1,000,000 out = $4
		{day1, "c2", "local", "my-model", 2_000_000, 1_000_000, false},
		// unknown price: counted, cost unknown
		{day2, "c1", "local", "llama3.2", 10, 20, false},
		// cached: costs nothing
		{day2, "c1", "openai", "gpt-4o", 1000, 500, true},
	}
	for _, r := range recs {
		e.now = func() time.Time { return r.at }
		rec := e.usageRecord(r.conv, r.prov, r.model, &Usage{PromptTokens: r.in, CompletionTokens: r.out}, 0, "", r.cached, false, 0, time.Second, "done")
		if err := st.AddUsage(rec); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := e.Usage(time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	if tot := rep.Total; tot.Requests != 4 || tot.Cached != 1 || tot.Unpriced != 1 || !near(tot.Cost, 4.0075) ||
		tot.PromptTokens != 2_002_010 || tot.CompletionTokens != 1_001_020 {
		t.Errorf("total %+v", tot)
	}
	want := map[string]struct {
		cost     float64
		unpriced int
	}{"c1": {0.0075, 1}, "c2": {4, 0}, "local": {4, 1}, "openai": {0.0075, 0}, "2026-04-01": {4.0075, 0}, "2026-04-02": {0, 1}}
	for _, group := range [][]UsageTotal{rep.ByConversation, rep.ByProvider, rep.ByDay} {
		for _, g := range group {
			w, ok := want[g.Key]
			if !ok || !near(g.Cost, w.cost) || g.Unpriced != w.unpriced {
				t.Errorf("%s: cost %v unpriced %d, want %+v", g.Key, g.Cost, g.Unpriced, w)
			}
			delete(want, g.Key)
		}
	}
	if len(want) != 0 {
		t.Errorf("groups missing: %v", want)
	}
}
