package providers

import "github.com/deskchat/deskchat/store"

// Entry is one provider as "providers list --json" prints it: what it is,
// its fallback, limits and where its key comes from, never the key (nor the
// key command, which a careless user may have written the key into).
type Entry struct {
	Name       string `json:"name"`
	Kind       string `json:"kind"`
	BaseURL    string `json:"base_url"`
	Model      string `json:"model"`
	KeyEnv     string `json:"key_env,omitempty"`
	APIVersion string `json:"api_version,omitempty"`
	Default    bool   `json:"default"`
	// KeySource is the stored source (keychain, env, command or empty);
	// KeyFrom says where the key is read (see KeyFrom).
	KeySource    string                       `json:"key_source,omitempty"`
	KeyFrom      string                       `json:"key_from,omitempty"`
	Fallback     string                       `json:"fallback,omitempty"`
	Limits       Limits                       `json:"limits"`
	SummaryModel string                       `json:"summary_model,omitempty"`
	ModelLimits  map[string]store.ModelLimits `json:"model_limits,omitempty"`
}

// Limits are a provider's traffic limits as stored: 0 is the engine's
// default (4 streams at once, 64 waiting) or, per minute, no limit;
// MaxRetries is absent for the default (2).
type Limits struct {
	MaxConcurrent     int  `json:"max_concurrent"`
	MaxQueued         int  `json:"max_queued"`
	RequestsPerMinute int  `json:"requests_per_minute"`
	TokensPerMinute   int  `json:"tokens_per_minute"`
	MaxRetries        *int `json:"max_retries,omitempty"`
}

// List returns the stored providers by name, the default one marked. It only
// reads, so it works on a store opened read-only.
func (a *Admin) List() ([]Entry, error) {
	ps, err := a.Store.Providers()
	if err != nil {
		return nil, err
	}
	def, err := a.Store.Setting(store.SettingDefaultProvider)
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(ps))
	for _, p := range ps {
		out = append(out, Entry{
			Name: p.Name, Kind: p.Kind, BaseURL: p.BaseURL, Model: p.Model, KeyEnv: p.KeyEnv, APIVersion: p.APIVersion,
			Default: p.Name == def, KeySource: p.KeySource, KeyFrom: KeyFrom(p), Fallback: p.Fallback,
			Limits:       Limits{p.MaxConcurrent, p.MaxQueued, p.RequestsPerMinute, p.TokensPerMinute, p.MaxRetries},
			SummaryModel: p.SummaryModel, ModelLimits: p.ModelLimits,
		})
	}
	return out, nil
}

// KeyFrom says where p's key is read from: "keychain", "$VAR", "command",
// or "" for no key (records from before key sources read KeyEnv, and an
// OpenAI provider OPENAI_API_KEY, as secrets.Resolver does).
func KeyFrom(p store.Provider) string {
	switch p.KeySource {
	case store.KeyFromKeychain, store.KeyFromCommand:
		return p.KeySource
	case store.KeyFromEnv:
		return "$" + p.KeyEnv
	case "":
		switch {
		case p.KeyEnv != "":
			return "$" + p.KeyEnv
		case p.Kind == store.KindOpenAI:
			return "$OPENAI_API_KEY"
		}
		return ""
	}
	return p.KeySource + "?"
}
