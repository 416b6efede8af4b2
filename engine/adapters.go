package engine

import (
	"context"
	"fmt"

	"github.com/deskchat/deskchat/engine/llm"
	"github.com/deskchat/deskchat/engine/openai"
	"github.com/deskchat/deskchat/engine/simulator"
	"github.com/deskchat/deskchat/store"
)

// Which adapter speaks to a provider is decided here, by its kind, and
// nowhere else: the traffic code knows adapters only as llm.Adapter. A new
// kind of endpoint is a package beside engine/openai and a case below.

// provider returns the adapter for cfg, reusing the provider's http.Client.
func (e *Engine) provider(cfg store.Provider) (llm.Adapter, error) {
	if e.adapterFor != nil { // tests: a scripted adapter
		if a := e.adapterFor(cfg); a != nil {
			return a, nil
		}
	}
	if cfg.Kind == store.KindSimulator {
		e.mu.Lock()
		sim := e.sim
		e.mu.Unlock()
		return &sim, nil
	}
	if cfg.BaseURL == "" && cfg.Kind != store.KindOpenAI {
		return nil, &ProviderError{Kind: llm.KindConfig, Provider: cfg.Name, Sentence: fmt.Sprintf("%s has no base URL. Set one in the provider's settings.", cfg.Name)}
	}
	// Requests carry no context this far; the resolver bounds itself
	// (a key command 5 s, the keychain 30 s).
	key, err := e.APIKey(context.Background(), cfg)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	hc := e.clients[cfg.Name+"\x00"+cfg.BaseURL]
	if hc == nil {
		hc = openai.NewHTTPClient(cfg.MaxConcurrent)
		e.clients[cfg.Name+"\x00"+cfg.BaseURL] = hc
	}
	e.mu.Unlock()
	return openai.New(cfg, key, hc), nil
}

// ListModels asks the provider for its models with key (empty for local
// servers) and returns their ids sorted and without duplicates; the
// Simulator lists its one model. See openai.ListModels for the bounds and
// the errors.
func ListModels(ctx context.Context, cfg store.Provider, key string) ([]string, error) {
	if cfg.Kind == store.KindSimulator {
		return []string{simulator.Model}, nil
	}
	return openai.ListModels(ctx, cfg, key)
}

// SimulatorConfig describes the built-in Simulator as a provider record.
func SimulatorConfig() store.Provider {
	return store.Provider{Name: SimulatorName, Kind: store.KindSimulator, Model: SimulatorModel, Models: []string{SimulatorModel}}
}

// The built-in Simulator's provider and model (package simulator), as the
// window and the CLI name them.
const (
	SimulatorName  = simulator.Name
	SimulatorModel = simulator.Model
)

// Simulator configures the built-in provider (Options.Simulator).
type Simulator = simulator.Simulator

// SimulatedMarkdown returns about n tokens of the Simulator's markdown for
// prompt; see simulator.Markdown.
func SimulatedMarkdown(prompt string, n int) string { return simulator.Markdown(prompt, n) }

// DefaultAzureAPIVersion is used for Azure providers that do not set one.
const DefaultAzureAPIVersion = openai.DefaultAzureAPIVersion

// Preset fills in a new provider's form; see openai.Preset.
type Preset = openai.Preset

// Presets lists the providers the settings offer, Custom last.
func Presets() []Preset { return openai.Presets() }

// PresetFor returns the preset called name (case does not matter).
func PresetFor(name string) (Preset, bool) { return openai.PresetFor(name) }
