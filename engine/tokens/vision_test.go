package tokens

import "testing"

func TestVisionTable(t *testing.T) {
	for _, c := range []struct {
		model       string
		sees, known bool
	}{
		{"gpt-4o", true, true},
		{"gpt-4o-mini-2024-07-18", true, true},
		{"openai/gpt-4.1-mini", true, true},
		{"gpt-5-nano", true, true},
		{"o1", true, true},
		{"o1-mini", false, true},
		{"o3-mini", false, true},
		{"o3", true, true},
		{"o4-mini", true, true},
		{"gpt-4-turbo", true, true},
		{"gpt-4-turbo-preview", false, true},
		{"gpt-4", false, true},
		{"gpt-4-0613", false, true},
		{"gpt-3.5-turbo", false, true},
		{"claude-3-5-sonnet-latest", true, true},
		{"anthropic/claude-sonnet-4", true, true},
		{"gemini-2.5-flash", true, true},
		{"llava:13b", true, true},
		{"llama3.2-vision:11b", true, true},
		{"meta-llama/Llama-3.2-11B-Vision-Instruct", true, true},
		{"llama3.1:8b", false, true},
		{"qwen2.5-vl-7b-instruct", true, true},
		{"qwen2.5vl:7b", true, true},
		{"qwen2.5:14b", false, true},
		{"pixtral-12b", true, true},
		{"deepseek-chat", false, true},
		{"deepseek-reasoner", false, true},
		{"mistral-large-latest", false, true},
		{"GPT-4O", true, true},
		{"simulated-markdown", true, true},
		{"my-finetune", false, false},
		{"", false, false},
	} {
		sees, known := Vision(c.model)
		if sees != c.sees || known != c.known {
			t.Errorf("Vision(%q) = %v, %v; want %v, %v", c.model, sees, known, c.sees, c.known)
		}
	}
}
