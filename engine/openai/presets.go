package openai

import (
	"strings"

	"github.com/deskchat/deskchat/store"
)

// Preset fills in a new provider's form. Presets and PresetFor return copies:
// changing one does not change what the next call returns.
type Preset struct {
	Name       string   // "OpenAI", "Ollama", …, "Custom"
	Kind       string   // store.KindOpenAI, KindAzure or KindCompatible
	BaseURL    string   // "" for Custom; Azure's holds a placeholder resource
	APIVersion string   // Azure only
	KeyEnv     string   // the usual environment variable, e.g. OPENAI_API_KEY
	NeedsKey   bool     // false for local servers (Ollama, LM Studio)
	Models     []string // suggestions until the model list is fetched; may be empty
	Hint       string   // one line shown under the form
}

// presets is the table behind Presets. Base URLs are the providers'
// documented OpenAI-compatible endpoints, without a trailing slash.
var presets = []Preset{
	{
		Name: "OpenAI", Kind: store.KindOpenAI, BaseURL: "https://api.openai.com/v1",
		KeyEnv: "OPENAI_API_KEY", NeedsKey: true,
		Models: []string{"gpt-4o-mini", "gpt-4o", "gpt-4.1", "gpt-4.1-mini", "o4-mini"},
		Hint:   "Create a key at platform.openai.com/api-keys.",
	},
	{
		Name: "Azure OpenAI", Kind: store.KindAzure, BaseURL: "https://YOUR-RESOURCE.openai.azure.com",
		APIVersion: DefaultAzureAPIVersion, KeyEnv: "AZURE_OPENAI_API_KEY", NeedsKey: true,
		Models: []string{"gpt-4o-mini", "gpt-4o"},
		Hint:   "Put your resource's endpoint in the base URL; the model is the deployment name, not the model's own name.",
	},
	{
		Name: "Ollama", Kind: store.KindCompatible, BaseURL: "http://localhost:11434/v1",
		Models: []string{"llama3.2", "qwen2.5", "mistral", "gemma3"},
		Hint:   "Runs on this computer, no key needed: start Ollama and pull a model (ollama pull llama3.2).",
	},
	{
		Name: "LM Studio", Kind: store.KindCompatible, BaseURL: "http://localhost:1234/v1",
		Hint: "Runs on this computer, no key needed: load a model and start the server in LM Studio's Developer tab.",
	},
	{
		Name: "OpenRouter", Kind: store.KindCompatible, BaseURL: "https://openrouter.ai/api/v1",
		KeyEnv: "OPENROUTER_API_KEY", NeedsKey: true,
		Models: []string{"openai/gpt-4o-mini", "anthropic/claude-sonnet-4.5", "google/gemini-2.5-flash", "meta-llama/llama-3.3-70b-instruct", "deepseek/deepseek-chat"},
		Hint:   "One key for many providers; model names include the vendor, e.g. openai/gpt-4o-mini.",
	},
	{
		Name: "DeepSeek", Kind: store.KindCompatible, BaseURL: "https://api.deepseek.com/v1",
		KeyEnv: "DEEPSEEK_API_KEY", NeedsKey: true,
		Models: []string{"deepseek-chat", "deepseek-reasoner"},
		Hint:   "deepseek-reasoner shows its reasoning before the answer.",
	},
	{
		Name: "Groq", Kind: store.KindCompatible, BaseURL: "https://api.groq.com/openai/v1",
		KeyEnv: "GROQ_API_KEY", NeedsKey: true,
		Models: []string{"llama-3.3-70b-versatile", "llama-3.1-8b-instant"},
		Hint:   "Fast hosted open models; create a key at console.groq.com.",
	},
	{
		Name: "Gemini", Kind: store.KindCompatible, BaseURL: "https://generativelanguage.googleapis.com/v1beta/openai",
		KeyEnv: "GEMINI_API_KEY", NeedsKey: true,
		Models: []string{"gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.0-flash"},
		Hint:   "Google's OpenAI-compatible endpoint; create a key in Google AI Studio.",
	},
	{
		Name: "Anthropic", Kind: store.KindCompatible, BaseURL: "https://api.anthropic.com/v1",
		KeyEnv: "ANTHROPIC_API_KEY", NeedsKey: true,
		Models: []string{"claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1"},
		Hint:   "Claude through Anthropic's OpenAI-compatible endpoint, which Anthropic offers for testing.",
	},
	{
		Name: "Custom", Kind: store.KindCompatible,
		Hint: "Any OpenAI-compatible server: enter its base URL, which usually ends in /v1.",
	},
}

// Presets lists the providers the settings offer, Custom last.
func Presets() []Preset {
	out := make([]Preset, len(presets))
	for i, p := range presets {
		out[i] = p.clone()
	}
	return out
}

// PresetFor returns the preset called name (case does not matter).
func PresetFor(name string) (Preset, bool) {
	name = strings.TrimSpace(name)
	for _, p := range presets {
		if strings.EqualFold(p.Name, name) {
			return p.clone(), true
		}
	}
	return Preset{}, false
}

func (p Preset) clone() Preset {
	p.Models = append([]string(nil), p.Models...)
	return p
}
