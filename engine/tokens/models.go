package tokens

import (
	"sort"
	"strings"
)

// Limits are a model's context window and longest answer, in tokens.
type Limits struct {
	Context   int `json:"context"`
	MaxOutput int `json:"max_output"`
}

// Price is what a model costs, in US dollars per million tokens.
type Price struct {
	Input  float64 `json:"input"`
	Output float64 `json:"output"`
}

// Model is what the built-in table knows of one model family.
type Model struct {
	Prefix string // matched against the model name, longest prefix first
	Limits Limits
	Price  *Price // nil: unknown (never "free")
}

// DefaultLimits apply to a model no table knows: small enough to be safe on
// a local 8k model.
var DefaultLimits = Limits{Context: 8192, MaxOutput: 2048}

func p(in, out float64) *Price { return &Price{in, out} }

// builtin lists the models deskchat knows, from the providers' published
// model pages and price lists (2025–2026). A provider can override any entry
// per model (store.Provider.ModelLimits, the price table setting).
var builtin = []Model{
	{"gpt-5-nano", Limits{400000, 128000}, p(0.05, 0.40)},
	{"gpt-5-mini", Limits{400000, 128000}, p(0.25, 2.00)},
	{"gpt-5", Limits{400000, 128000}, p(1.25, 10.00)},
	{"gpt-4.1-nano", Limits{1047576, 32768}, p(0.10, 0.40)},
	{"gpt-4.1-mini", Limits{1047576, 32768}, p(0.40, 1.60)},
	{"gpt-4.1", Limits{1047576, 32768}, p(2.00, 8.00)},
	{"gpt-4o-mini", Limits{128000, 16384}, p(0.15, 0.60)},
	{"gpt-4o", Limits{128000, 16384}, p(2.50, 10.00)},
	{"chatgpt-4o", Limits{128000, 16384}, p(5.00, 15.00)},
	{"gpt-4-turbo", Limits{128000, 4096}, p(10.00, 30.00)},
	{"gpt-4", Limits{8192, 8192}, p(30.00, 60.00)},
	{"gpt-3.5-turbo", Limits{16385, 4096}, p(0.50, 1.50)},
	{"o1-mini", Limits{128000, 65536}, p(1.10, 4.40)},
	{"o1", Limits{200000, 100000}, p(15.00, 60.00)},
	{"o3-mini", Limits{200000, 100000}, p(1.10, 4.40)},
	{"o3", Limits{200000, 100000}, p(2.00, 8.00)},
	{"o4-mini", Limits{200000, 100000}, p(1.10, 4.40)},
	{"gpt-oss-120b", Limits{131072, 32768}, nil},
	{"gpt-oss-20b", Limits{131072, 32768}, nil},
	{"deepseek-chat", Limits{128000, 8192}, p(0.27, 1.10)},
	{"deepseek-reasoner", Limits{128000, 65536}, p(0.55, 2.19)},
	{"claude-opus-4", Limits{200000, 32000}, p(15.00, 75.00)},
	{"claude-sonnet-4", Limits{200000, 64000}, p(3.00, 15.00)},
	{"claude-3-5-haiku", Limits{200000, 8192}, p(0.80, 4.00)},
	{"claude-3-7-sonnet", Limits{200000, 64000}, p(3.00, 15.00)},
	{"claude-3-5-sonnet", Limits{200000, 8192}, p(3.00, 15.00)},
	{"gemini-2.5-pro", Limits{1048576, 65536}, p(1.25, 10.00)},
	{"gemini-2.5-flash", Limits{1048576, 65536}, p(0.30, 2.50)},
	{"gemini-2.0-flash", Limits{1048576, 8192}, p(0.10, 0.40)},
	{"llama-3.3-70b", Limits{131072, 32768}, p(0.59, 0.79)},
	{"llama-3.1-8b", Limits{131072, 8192}, p(0.05, 0.08)},
	{"llama3", Limits{131072, 8192}, nil},
	{"qwen", Limits{32768, 8192}, nil},
	{"mistral", Limits{32768, 8192}, nil},
	{"simulated-markdown", Limits{1 << 20, 1 << 16}, p(0, 0)},
}

func init() {
	sort.SliceStable(builtin, func(i, j int) bool { return len(builtin[i].Prefix) > len(builtin[j].Prefix) })
}

// Lookup returns the built-in entry for model (a "vendor/" prefix, as
// OpenRouter writes names, is ignored) and whether there is one.
func Lookup(model string) (Model, bool) {
	m := normalize(model)
	for _, b := range builtin {
		if strings.HasPrefix(m, b.Prefix) {
			return b, true
		}
	}
	return Model{}, false
}

// LimitsFor returns model's limits: override when it is set, else the
// built-in table's, else DefaultLimits. known is false in the last case.
func LimitsFor(model string, override *Limits) (l Limits, known bool) {
	if override != nil && override.Context > 0 {
		l = *override
		if l.MaxOutput <= 0 || l.MaxOutput >= l.Context {
			l.MaxOutput = min(DefaultLimits.MaxOutput, l.Context/4)
		}
		return l, true
	}
	if b, ok := Lookup(model); ok {
		return b.Limits, true
	}
	return DefaultLimits, false
}

// PriceFor returns model's price: from prices (the user's table, keyed by
// model name or prefix, longest prefix first) when it has one, else the
// built-in table's. ok is false when the price is unknown.
func PriceFor(model string, prices map[string]Price) (Price, bool) {
	m := normalize(model)
	best := -1
	var found Price
	for k, v := range prices {
		k = normalize(k)
		if strings.HasPrefix(m, k) && len(k) > best {
			best, found = len(k), v
		}
	}
	if best >= 0 {
		return found, true
	}
	if b, ok := Lookup(model); ok && b.Price != nil {
		return *b.Price, true
	}
	return Price{}, false
}

// Cost returns the cost in US dollars of a request, and false when the
// model's price is unknown.
func Cost(model string, prices map[string]Price, promptTokens, completionTokens int) (float64, bool) {
	pr, ok := PriceFor(model, prices)
	if !ok {
		return 0, false
	}
	return (float64(promptTokens)*pr.Input + float64(completionTokens)*pr.Output) / 1e6, true
}

// normalize lower-cases a model name and drops a "vendor/" prefix, as
// OpenRouter writes names ("openai/gpt-4o").
func normalize(model string) string {
	m := strings.ToLower(strings.TrimSpace(model))
	if i := strings.LastIndexByte(m, '/'); i >= 0 {
		m = m[i+1:]
	}
	return m
}
