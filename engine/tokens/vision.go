package tokens

import (
	"sort"
	"strings"
)

// vision lists which model families take images, from the providers' model
// pages (2024–2026). A name is matched by its longest listed prefix (a
// "vendor/" prefix, as OpenRouter writes names, is ignored), so that
// "gpt-4o" sees while "gpt-4" does not, and "o1-mini" does not while "o1"
// does. A provider overrides any model (store.Provider.Vision).
var vision = []struct {
	prefix string
	sees   bool
}{
	// OpenAI.
	{"gpt-5", true},
	{"gpt-4.5", true},
	{"gpt-4.1", true},
	{"gpt-4o", true},
	{"chatgpt-4o", true},
	{"gpt-4-turbo", true},
	{"gpt-4-turbo-preview", false},
	{"gpt-4-vision", true},
	{"gpt-4", false},
	{"gpt-3.5", false},
	{"gpt-oss", false},
	{"o1", true},
	{"o1-mini", false},
	{"o1-preview", false},
	{"o3", true},
	{"o3-mini", false},
	{"o4-mini", true},
	// Anthropic, Google, xAI, Mistral.
	{"claude-3", true},
	{"claude-sonnet-4", true},
	{"claude-opus-4", true},
	{"claude-haiku-4", true},
	{"claude-4", true},
	{"claude-2", false},
	{"gemini", true},
	{"gemini-1.0", false},
	{"gemma3", true},
	{"gemma-3", true},
	{"gemma-3-1b", false},
	{"grok-2-vision", true},
	{"grok-4", true},
	{"pixtral", true},
	{"mistral-medium-3", true},
	{"mistral-small-3.1", true},
	{"mistral-small-3.2", true},
	{"mistral-small3.1", true},
	{"mistral-small3.2", true},
	{"mistral", false},
	{"mixtral", false},
	{"codestral", false},
	// Open models served by Ollama, LM Studio, vLLM, Groq, OpenRouter.
	{"llava", true},
	{"bakllava", true},
	{"llama3.2-vision", true},
	{"llama-3.2-11b-vision", true},
	{"llama-3.2-90b-vision", true},
	{"llama-4", true},
	{"llama4", true},
	{"llama3", false},
	{"llama-3", false},
	{"llama2", false},
	{"qwen2.5-vl", true},
	{"qwen2-vl", true},
	{"qwen2.5vl", true},
	{"qwen-vl", true},
	{"qwen3-vl", true},
	{"qwen", false},
	{"minicpm-v", true},
	{"moondream", true},
	{"deepseek-vl", true},
	{"deepseek", false},
	{"phi-3-vision", true},
	{"phi-3.5-vision", true},
	{"phi", false},
	{"simulated-markdown", true}, // the Simulator takes anything (and reads nothing of it)
}

// visionMarks in a model's name say that it takes images whatever its
// family ("llama-3.2-11b-vision-instruct", "qwen2.5-vl-7b", "llava-phi3").
var visionMarks = []string{"vision", "-vl", "llava"}

func init() {
	sort.SliceStable(vision, func(i, j int) bool { return len(vision[i].prefix) > len(vision[j].prefix) })
}

// Vision reports whether model takes images (sees) and whether the table
// knows (known): a model it does not know may or may not; a request tells.
func Vision(model string) (sees, known bool) {
	m := normalize(model)
	for _, mark := range visionMarks {
		if strings.Contains(m, mark) {
			return true, true
		}
	}
	for _, v := range vision {
		if strings.HasPrefix(m, v.prefix) {
			return v.sees, true
		}
	}
	return false, false
}
