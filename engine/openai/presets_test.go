package openai

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/deskchat/deskchat/store"
)

// TestPresetsTable: the settings dialog offers these providers in this order,
// each usable as it stands (a kind, an http(s) base URL without a trailing
// slash, a key variable when a key is needed, a one-line hint), Custom last
// and empty.
func TestPresetsTable(t *testing.T) {
	ps := Presets()
	var names []string
	for _, p := range ps {
		names = append(names, p.Name)
	}
	wantNames := []string{"OpenAI", "Azure OpenAI", "Ollama", "LM Studio", "OpenRouter", "DeepSeek", "Groq", "Gemini", "Anthropic", "Custom"}
	if !slices.Equal(names, wantNames) {
		t.Fatalf("names = %q, want %q", names, wantNames)
	}

	seen := map[string]bool{}
	for i, p := range ps {
		t.Run(p.Name, func(t *testing.T) {
			if seen[strings.ToLower(p.Name)] {
				t.Errorf("name %q appears twice", p.Name)
			}
			seen[strings.ToLower(p.Name)] = true
			switch p.Kind {
			case store.KindOpenAI, store.KindAzure, store.KindCompatible:
			default:
				t.Errorf("Kind = %q", p.Kind)
			}
			if p.Hint == "" || strings.ContainsAny(p.Hint, "\r\n") {
				t.Errorf("Hint = %q, want one non-empty line", p.Hint)
			}
			if p.NeedsKey != (p.KeyEnv != "") {
				t.Errorf("NeedsKey = %v but KeyEnv = %q", p.NeedsKey, p.KeyEnv)
			}
			if (p.APIVersion != "") != (p.Kind == store.KindAzure) {
				t.Errorf("APIVersion = %q for kind %s", p.APIVersion, p.Kind)
			}
			if i == len(ps)-1 {
				return // Custom: checked below
			}
			u, err := url.Parse(p.BaseURL)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				t.Errorf("BaseURL %q is not an http(s) URL (%v)", p.BaseURL, err)
			}
			if strings.HasSuffix(p.BaseURL, "/") {
				t.Errorf("BaseURL %q ends in a slash", p.BaseURL)
			}
		})
	}

	custom := ps[len(ps)-1]
	if custom.Kind != store.KindCompatible || custom.BaseURL != "" || custom.NeedsKey {
		t.Errorf("Custom = %+v, want a compatible kind, no base URL, no key", custom)
	}
}

// TestPresetsProviders: the details each provider's documentation gives.
func TestPresetsProviders(t *testing.T) {
	tests := []struct {
		name, kind, baseURL, keyEnv string
		needsKey                    bool
	}{
		{"OpenAI", store.KindOpenAI, "https://api.openai.com/v1", "OPENAI_API_KEY", true},
		{"Azure OpenAI", store.KindAzure, "https://YOUR-RESOURCE.openai.azure.com", "AZURE_OPENAI_API_KEY", true},
		{"Ollama", store.KindCompatible, "http://localhost:11434/v1", "", false},
		{"LM Studio", store.KindCompatible, "http://localhost:1234/v1", "", false},
		{"OpenRouter", store.KindCompatible, "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY", true},
		{"DeepSeek", store.KindCompatible, "https://api.deepseek.com/v1", "DEEPSEEK_API_KEY", true},
		{"Groq", store.KindCompatible, "https://api.groq.com/openai/v1", "GROQ_API_KEY", true},
		{"Gemini", store.KindCompatible, "https://generativelanguage.googleapis.com/v1beta/openai", "GEMINI_API_KEY", true},
		{"Anthropic", store.KindCompatible, "https://api.anthropic.com/v1", "ANTHROPIC_API_KEY", true},
		{"Custom", store.KindCompatible, "", "", false},
	}
	for _, tt := range tests {
		p, ok := PresetFor(tt.name)
		if !ok {
			t.Errorf("PresetFor(%q) not found", tt.name)
			continue
		}
		if p.Kind != tt.kind || p.BaseURL != tt.baseURL || p.KeyEnv != tt.keyEnv || p.NeedsKey != tt.needsKey {
			t.Errorf("%s = {%s %s %s %v}, want {%s %s %s %v}", tt.name,
				p.Kind, p.BaseURL, p.KeyEnv, p.NeedsKey, tt.kind, tt.baseURL, tt.keyEnv, tt.needsKey)
		}
	}

	az, _ := PresetFor("Azure OpenAI")
	if az.APIVersion != "2024-10-21" || !strings.Contains(az.Hint, "deployment") {
		t.Errorf("Azure: APIVersion %q, Hint %q; want 2024-10-21 and a hint about deployment names", az.APIVersion, az.Hint)
	}
	ds, _ := PresetFor("DeepSeek")
	if !slices.Equal(ds.Models, []string{"deepseek-chat", "deepseek-reasoner"}) {
		t.Errorf("DeepSeek models = %q", ds.Models)
	}
}

// TestPresetForLookup: names match regardless of case and surrounding space;
// unknown names are not found; what is returned is a copy.
func TestPresetForLookup(t *testing.T) {
	p, ok := PresetFor("  openrouter ")
	if !ok || p.Name != "OpenRouter" {
		t.Errorf("PresetFor(openrouter) = %q, %v", p.Name, ok)
	}
	if p, ok := PresetFor("Mistral"); ok {
		t.Errorf("PresetFor(Mistral) = %+v, true; want not found", p)
	}

	ds, _ := PresetFor("DeepSeek")
	ds.Models[0] = "changed"
	all := Presets()
	all[0].Models[0] = "changed too"
	all[1].BaseURL = "changed"
	if again, _ := PresetFor("DeepSeek"); again.Models[0] != "deepseek-chat" {
		t.Errorf("changing a returned preset changed the table: %q", again.Models)
	}
	if again := Presets(); again[0].Models[0] == "changed too" || again[1].BaseURL == "changed" {
		t.Errorf("changing Presets()' result changed the table: %+v", again[:2])
	}
}

// TestPresetsListModelsPaths: each preset's base URL leads ListModels to the
// path the provider serves its list at, so picking a preset and fetching
// works without editing the URL. The hosts are swapped for a test server.
func TestPresetsListModelsPaths(t *testing.T) {
	srv, seen := modelServer(t, 200, "application/json", `{"object":"list","data":[{"id":"m"}]}`)
	want := map[string]string{
		"OpenAI": "/v1/models", "Azure OpenAI": "/openai/models", "Ollama": "/v1/models", "LM Studio": "/v1/models",
		"OpenRouter": "/api/v1/models", "DeepSeek": "/v1/models", "Groq": "/openai/v1/models",
		"Gemini": "/v1beta/openai/models", "Anthropic": "/v1/models",
	}
	for _, p := range Presets() {
		if p.BaseURL == "" {
			continue
		}
		u, _ := url.Parse(p.BaseURL)
		cfg := store.Provider{Name: p.Name, Kind: p.Kind, BaseURL: srv.URL + u.Path, APIVersion: p.APIVersion}
		before := len(seen())
		if _, err := ListModels(t.Context(), cfg, "key-"+p.Name); err != nil {
			t.Errorf("%s: %v", p.Name, err)
			continue
		}
		reqs := seen()
		if len(reqs) != before+1 || reqs[before].Path != want[p.Name] {
			t.Errorf("%s: requests %+v, want one to %s", p.Name, reqs[before:], want[p.Name])
		}
	}
}
