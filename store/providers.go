package store

import (
	"encoding/json"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Provider kinds.
const (
	KindOpenAI     = "openai"     // api.openai.com
	KindCompatible = "compatible" // any OpenAI-compatible base URL
	KindAzure      = "azure"      // Azure OpenAI; Model is the deployment name
	KindSimulator  = "simulator"  // built-in, no network
)

// Key sources (Provider.KeySource).
const (
	KeyFromKeychain = "keychain"
	KeyFromEnv      = "env"
	KeyFromCommand  = "command"
)

// Provider is a configured LLM endpoint. It never holds an API key, only
// where to find it (KeySource).
type Provider struct {
	V       int      `json:"v"`
	Name    string   `json:"name"`
	Kind    string   `json:"kind"`
	BaseURL string   `json:"base_url,omitempty"`
	Model   string   `json:"model,omitempty"`  // default model
	Models  []string `json:"models,omitempty"` // known models, for pickers
	KeyEnv  string   `json:"key_env,omitempty"`
	// KeySource says where the API key is read from: KeyFromKeychain (the
	// OS keychain, under the provider's name), KeyFromEnv (the variable
	// KeyEnv), KeyFromCommand (the output of KeyCommand) or "" (no key;
	// for records written before key sources existed, KeyEnv when set).
	KeySource  string `json:"key_source,omitempty"`
	KeyCommand string `json:"key_command,omitempty"`
	// Preset names the preset the provider was made from ("Ollama",
	// "Custom"); empty for providers made before presets were recorded.
	Preset     string `json:"preset,omitempty"`
	APIVersion string `json:"api_version,omitempty"` // Azure only
	// MaxRetries is how often a request that failed before its first token is
	// sent again; nil means the engine's default (2).
	MaxRetries *int `json:"max_retries,omitempty"`
	// Traffic limits; 0 means the default (4 concurrent streams, 64 waiting)
	// or, for the per-minute limits, unlimited.
	MaxConcurrent     int `json:"max_concurrent,omitempty"`
	MaxQueued         int `json:"max_queued,omitempty"`
	RequestsPerMinute int `json:"requests_per_minute,omitempty"`
	TokensPerMinute   int `json:"tokens_per_minute,omitempty"`
	// Fallback names the provider that answers when this one fails before
	// its first token or its circuit breaker is open.
	Fallback string `json:"fallback,omitempty"`
	// ModelLimits overrides the built-in context window and longest answer
	// per model name.
	ModelLimits map[string]ModelLimits `json:"model_limits,omitempty"`
	// SummaryModel writes the summaries of long conversations; empty: the
	// conversation's own model.
	SummaryModel string `json:"summary_model,omitempty"`
	// Vision overrides, per model name, the built-in table of models that
	// take images (engine/tokens): true takes them, false does not. A
	// provider's refusal of an image is remembered here too.
	Vision    map[string]bool `json:"vision,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
}

// ModelLimits are a model's context window and longest answer, in tokens.
type ModelLimits struct {
	Context   int `json:"context"`
	MaxOutput int `json:"max_output,omitempty"`
}

// PutProvider creates or replaces the provider named p.Name.
func (s *Store) PutProvider(p Provider) error {
	p.Name = strings.TrimSpace(p.Name)
	if p.Name == "" {
		return &Error{Op: "put provider", Msg: "A provider needs a name.", Err: ErrNotFound}
	}
	p.V = recordVersion
	err := s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketProviders)
		if old := b.Get([]byte(p.Name)); old != nil {
			var prev Provider
			if err := json.Unmarshal(old, &prev); err == nil {
				p.CreatedAt = prev.CreatedAt
			}
		}
		if p.CreatedAt.IsZero() {
			p.CreatedAt = s.now().UTC()
		}
		return putJSON(b, []byte(p.Name), p)
	})
	return wrap("put provider", err)
}

// Provider returns the provider called name.
func (s *Store) Provider(name string) (Provider, error) {
	return getNamed[Provider](s, bucketProviders, "provider", name)
}

// Providers returns all providers sorted by name.
func (s *Store) Providers() ([]Provider, error) {
	return listNamed[Provider](s, bucketProviders, "provider")
}

// DeleteProvider removes the provider called name.
func (s *Store) DeleteProvider(name string) error {
	return deleteNamed(s, bucketProviders, "provider", name)
}

// Setting keys.
const (
	SettingDefaultProvider = "default_provider"
	SettingDefaultModel    = "default_model"
	SettingSimulatorRate   = "simulator_tokens_per_second"
	SettingFirstRunDone    = "first_run_done"
	// SettingPrices is the user's price table: JSON, model name or prefix →
	// {"input": $, "output": $} per million tokens.
	SettingPrices = "prices"
)

// Setting returns the value stored under key, or "" when unset.
func (s *Store) Setting(key string) (string, error) {
	var v string
	err := s.view(func(tx *bolt.Tx) error {
		v = string(tx.Bucket(bucketSettings).Get([]byte(key)))
		return nil
	})
	return v, wrap("get setting", err)
}

// SetSetting stores value under key; an empty value deletes it.
func (s *Store) SetSetting(key, value string) error {
	err := s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSettings)
		if value == "" {
			return b.Delete([]byte(key))
		}
		return b.Put([]byte(key), []byte(value))
	})
	return wrap("set setting", err)
}

var bucketStats = []byte("stats")

// PutStat stores an opaque record (e.g. a provider's cumulative metrics).
func (s *Store) PutStat(key string, value []byte) error {
	err := s.update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketStats).Put([]byte(key), value)
	})
	return wrap("put stat", err)
}

// Stats returns every record stored with PutStat.
func (s *Store) Stats() (map[string][]byte, error) {
	out := map[string][]byte{}
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketStats).ForEach(func(k, v []byte) error {
			out[string(k)] = append([]byte(nil), v...)
			return nil
		})
	})
	return out, wrap("list stats", err)
}
