package engine

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/deskchat/deskchat/engine/llm"
	"github.com/deskchat/deskchat/store"
)

// ListModels asks the adapter of the provider's kind: the Simulator lists
// its one model without network; an OpenAI-compatible provider's list is
// engine/openai's (its tests check it), and its errors are sentences.
func TestListModelsByKind(t *testing.T) {
	got, err := ListModels(context.Background(), store.Provider{Name: SimulatorName, Kind: store.KindSimulator}, "")
	if err != nil || !slices.Equal(got, []string{SimulatorModel}) {
		t.Errorf("Simulator: %q, %v; want [%s]", got, err, SimulatorModel)
	}
	_, err = ListModels(context.Background(), store.Provider{Name: "Custom", Kind: store.KindCompatible}, "")
	var pe *ProviderError
	if !errors.As(err, &pe) || pe.Kind != llm.KindConfig || UserMessage(err) != "Enter the base URL of Custom first." {
		t.Errorf("no base URL: %v (%q)", err, UserMessage(err))
	}
}
