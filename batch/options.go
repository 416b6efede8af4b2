package batch

import (
	"errors"
	"fmt"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/store"
)

// Spec is a run as the user chose it, on the command line or in the Batch
// window: whom to ask and within which limits.
type Spec struct {
	Provider string // a stored provider's name, engine.SimulatorName, or "" for the default
	BaseURL  string // an OpenAI-compatible endpoint of no stored provider (with Model)
	KeyEnv   string // with BaseURL: the variable holding its key (default OPENAI_API_KEY)
	Model    string // "" : the provider's
	System   string
	// MaxTokens is a row's output limit; 0: the model's limit set for
	// the provider, else DefaultMaxTokens.
	MaxTokens   int
	Concurrency int
	NoCache     bool
}

// Options are the requests' options for s and the model they count and
// price with.
func Options(st *store.Store, s Spec) (engine.SendOptions, string, error) {
	opts := engine.SendOptions{Provider: s.Provider, Model: s.Model, System: s.System, NoCache: s.NoCache}
	var prov store.Provider
	switch {
	case s.BaseURL != "":
		env := s.KeyEnv
		if env == "" {
			env = "OPENAI_API_KEY"
		}
		// An endpoint of no stored provider has no concurrency limit of
		// its own: the run's is its (else the engine's default of 4 would
		// cap the run's concurrency). A stored provider's limit stays the
		// user's.
		prov = store.Provider{Name: s.BaseURL, Kind: store.KindCompatible, BaseURL: s.BaseURL, Model: s.Model, KeyEnv: env,
			MaxConcurrent: s.Concurrency}
		opts.Endpoint = &prov
	default:
		name := s.Provider
		if name == "" {
			name, _ = st.Setting(store.SettingDefaultProvider)
		}
		switch {
		case name == "":
			return opts, "", errors.New("no provider is set up: add one (deskchat providers add), or give --provider Simulator or --base-url and --model")
		case name == engine.SimulatorName:
			prov = engine.SimulatorConfig()
		default:
			p, err := st.Provider(name)
			if err != nil {
				return opts, "", fmt.Errorf("there is no provider called %q; \"deskchat providers list\" shows them", name)
			}
			prov = p
		}
		opts.Provider = name
	}
	model := s.Model
	if model == "" {
		model = prov.Model
	}
	opts.MaxTokens = s.MaxTokens
	if opts.MaxTokens == 0 {
		opts.MaxTokens = DefaultMaxTokens
		if l, ok := prov.ModelLimits[model]; ok && l.MaxOutput > 0 {
			opts.MaxTokens = l.MaxOutput
		}
	}
	return opts, model, nil
}

// Earlier returns the stored run called name, if any, and whether running
// input with template under that name goes on with it (same input, same
// template: its answered rows are skipped) — false when the name is taken
// by a run of another input or template, which must not be mixed in.
func Earlier(st *store.Store, name, input, template string) (run store.BatchRun, found, same bool, err error) {
	run, err = st.Batch(name)
	if errors.Is(err, store.ErrNotFound) {
		return store.BatchRun{}, false, true, nil
	}
	if err != nil {
		return store.BatchRun{}, false, false, err
	}
	return run, true, run.Input == input && run.Template == template, nil
}
