package settings

import (
	"slices"

	"fyne.io/fyne/v2"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/look"
)

// ProviderNames lists what a provider picker offers: the stored providers
// ps, then the Simulator.
func ProviderNames(ps []store.Provider) []string {
	names := make([]string, 0, len(ps)+1)
	for _, p := range ps {
		names = append(names, p.Name)
	}
	return append(names, engine.SimulatorName)
}

// ProviderConfig is the provider called name among ps (or the Simulator).
func ProviderConfig(ps []store.Provider, name string) (store.Provider, bool) {
	if name == engine.SimulatorName {
		return engine.SimulatorConfig(), true
	}
	for _, p := range ps {
		if p.Name == name {
			return p, true
		}
	}
	return store.Provider{}, false
}

// DefaultModel is the model the provider called name answers with unless
// told otherwise ("" when there is no such provider).
func DefaultModel(ps []store.Provider, name string) string {
	p, _ := ProviderConfig(ps, name)
	return p.Model
}

// ModelsOf is what a model picker offers for the provider called name: its
// known models, its default model first when they lack it.
func ModelsOf(ps []store.Provider, name string) []string {
	p, ok := ProviderConfig(ps, name)
	if !ok {
		return nil
	}
	models := append([]string(nil), p.Models...)
	if p.Model != "" && !slices.Contains(models, p.Model) {
		models = append([]string{p.Model}, models...)
	}
	return models
}

// ApplyTheme applies the theme choice to a unless it is the one applied.
// The first time, "follow the system" leaves main's theme alone.
func (s *Dialog) ApplyTheme(a fyne.App, choice string) {
	if s.themeSet && s.theme == choice {
		return
	}
	if s.themeSet || choice != "" {
		look.ApplyTheme(a, choice)
	}
	s.theme, s.themeSet = choice, true
}
