package tokens

import (
	"math"
	"testing"
)

func TestLimitsFor(t *testing.T) {
	for _, tc := range []struct {
		model    string
		override *Limits
		want     Limits
		known    bool
	}{
		{"gpt-4o-mini", nil, Limits{128000, 16384}, true},
		{"gpt-4o-2024-08-06", nil, Limits{128000, 16384}, true},
		{"openai/gpt-4.1-mini", nil, Limits{1047576, 32768}, true},
		{"o3-mini", nil, Limits{200000, 100000}, true}, // not o3's entry: longest prefix wins
		{"gpt-4", nil, Limits{8192, 8192}, true},
		{"my-finetune", nil, DefaultLimits, false},
		{"my-finetune", &Limits{Context: 32768, MaxOutput: 4096}, Limits{32768, 4096}, true},
		{"gpt-4o", &Limits{Context: 4096}, Limits{4096, 1024}, true}, // no max output: a quarter, at most the default
	} {
		got, known := LimitsFor(tc.model, tc.override)
		if got != tc.want || known != tc.known {
			t.Errorf("LimitsFor(%q, %v) = %v %v, want %v %v", tc.model, tc.override, got, known, tc.want, tc.known)
		}
	}
}

func TestCostIsHandComputedAndUnknownIsNotFree(t *testing.T) {
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-12 }
	// gpt-4o: $2.50 in, $10.00 out per million: 1,200 in + 350 out
	// = 0.003 + 0.0035 = $0.0065.
	if c, ok := Cost("gpt-4o", nil, 1200, 350); !ok || !near(c, 0.0065) {
		t.Errorf("gpt-4o cost %v %v, want 0.0065", c, ok)
	}
	// The user's table wins, also for a prefix: $1 in, $2 out per million:
	// 500,000 in + 250,000 out = 0.5 + 0.5 = $1.
	user := map[string]Price{"gpt-4o": {1, 2}, "my-model": {0.5, 0.5}}
	if c, ok := Cost("gpt-4o-mini", user, 500000, 250000); !ok || !near(c, 1) {
		t.Errorf("user-priced cost %v %v, want 1", c, ok)
	}
	if c, ok := Cost("vendor/my-model-v2", user, 2_000_000, 0); !ok || !near(c, 1) {
		t.Errorf("vendor-prefixed cost %v %v, want 1", c, ok)
	}
	if _, ok := Cost("llama3.2", nil, 100, 100); ok {
		t.Error("a local model without a price got a cost")
	}
	if _, ok := Cost("nobody-knows", nil, 100, 100); ok {
		t.Error("an unknown model got a cost")
	}
	if c, ok := Cost("simulated-markdown", nil, 100, 100); !ok || c != 0 {
		t.Errorf("the Simulator costs %v %v, want 0 (known)", c, ok)
	}
}
