package engine

import (
	"fmt"
	"maps"
	"strings"

	"github.com/deskchat/deskchat/engine/llm"
	"github.com/deskchat/deskchat/engine/tokens"
	"github.com/deskchat/deskchat/store"
)

// Which models take images: the provider's own word first
// (store.Provider.Vision, set in the settings or by a refusal), then the
// refusals this engine met for providers it cannot store (ask --base-url),
// then the built-in table (tokens.Vision). A model no one knows is sent
// images: its answer tells.

// sees reports whether model on cfg takes images, and whether that is
// known.
func (e *Engine) sees(cfg store.Provider, model string) (sees, known bool) {
	if v, ok := cfg.Vision[model]; ok {
		return v, true
	}
	e.mu.Lock()
	blind := e.blind[visionKey(cfg, model)]
	e.mu.Unlock()
	if blind {
		return false, true
	}
	return tokens.Vision(model)
}

// blindKnown reports whether model on cfg is known not to take images.
func (e *Engine) blindKnown(cfg store.Provider, model string) bool {
	sees, known := e.sees(cfg, model)
	return known && !sees
}

func visionKey(cfg store.Provider, model string) string {
	return cfg.Name + "\x00" + cfg.BaseURL + "\x00" + model
}

// rememberBlind records that model on cfg refused images: in the stored
// provider's Vision when cfg is stored, and in this engine for the rest of
// its life either way. It is best effort: a store that cannot write only
// costs the next request with images its refusal.
func (e *Engine) rememberBlind(cfg store.Provider, model string) {
	e.mu.Lock()
	e.blind[visionKey(cfg, model)] = true
	e.mu.Unlock()
	if cfg.Kind == store.KindSimulator {
		return
	}
	p, err := e.st.Provider(cfg.Name)
	if err != nil || p.BaseURL != cfg.BaseURL || p.Kind != cfg.Kind {
		return // an ad-hoc endpoint, or a provider changed meanwhile
	}
	if v, ok := p.Vision[model]; ok && !v {
		return
	}
	p.Vision = maps.Clone(p.Vision)
	if p.Vision == nil {
		p.Vision = map[string]bool{}
	}
	p.Vision[model] = false
	e.st.PutProvider(p)
}

// blindError is the failure of a request with images to model on cfg,
// which takes none: at once when that is known (refused false), or after
// the provider's refusal (refused true, cause err).
func (e *Engine) blindError(cfg store.Provider, model string, refused bool, err error) *ProviderError {
	s := model + " cannot read images"
	if refused {
		s += fmt.Sprintf(" (%s refused the picture)", cfg.Name)
	}
	if alt := e.seeing(cfg, model); len(alt) > 0 {
		s += fmt.Sprintf("; choose a model that can, like %s, and send the question again: it keeps its attachments.", strings.Join(alt, " or "))
	} else {
		s += "; choose a model that takes images (like gpt-4o, claude-sonnet-4, gemini-2.5-flash or llava) and send the question again: it keeps its attachments."
	}
	if err == nil {
		err = fmt.Errorf("engine: %s on %s takes no images", model, cfg.Name)
	}
	return &ProviderError{Kind: llm.KindNoVision, Provider: cfg.Name, Sentence: s, Err: err}
}

// seeing lists up to two of cfg's models, other than model, that take
// images.
func (e *Engine) seeing(cfg store.Provider, model string) []string {
	var out []string
	seen := map[string]bool{model: true}
	for _, m := range append([]string{cfg.Model}, cfg.Models...) {
		if m == "" || seen[m] {
			continue
		}
		seen[m] = true
		if sees, known := e.sees(cfg, m); sees && known {
			out = append(out, m)
			if len(out) == 2 {
				break
			}
		}
	}
	return out
}
