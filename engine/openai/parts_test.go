package openai

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/deskchat/deskchat/engine/llm"
)

func TestWireMessage(t *testing.T) {
	img := llm.Part{Type: llm.PartImage, ImageURL: "data:image/jpeg;base64,AAAA", Detail: llm.DetailHigh, Name: "a.jpg", SHA256: "ab"}
	file := llm.Part{Type: llm.PartText, Text: "a.txt\n```\nhello\n```", Name: "a.txt"}
	for _, c := range []struct {
		name string
		m    llm.ChatMessage
		want string
	}{
		{"plain", llm.ChatMessage{Role: llm.RoleUser, Content: "hi"}, `{"role":"user","content":"hi"}`},
		{"text files join the text", llm.ChatMessage{Role: llm.RoleUser, Content: "read", Parts: []llm.Part{file, file}},
			`{"role":"user","content":"read\n\na.txt\n` + "```" + `\nhello\n` + "```" + `\n\na.txt\n` + "```" + `\nhello\n` + "```" + `"}`},
		{"an image makes parts", llm.ChatMessage{Role: llm.RoleUser, Content: "look", Parts: []llm.Part{img, file}},
			`{"role":"user","content":[{"type":"text","text":"look"},{"type":"image_url","image_url":{"url":"data:image/jpeg;base64,AAAA","detail":"high"}},{"type":"text","text":"a.txt\n` + "```" + `\nhello\n` + "```" + `"}]}`},
		{"no text, an image", llm.ChatMessage{Role: llm.RoleUser, Parts: []llm.Part{img}},
			`{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/jpeg;base64,AAAA","detail":"high"}}]}`},
		{"an image without its URL is named", llm.ChatMessage{Role: llm.RoleUser, Content: "look", Parts: []llm.Part{{Type: llm.PartImage, Name: "b.png"}, img}},
			`{"role":"user","content":[{"type":"text","text":"look"},{"type":"text","text":"[image: b.png]"},{"type":"image_url","image_url":{"url":"data:image/jpeg;base64,AAAA","detail":"high"}}]}`},
	} {
		b, err := json.Marshal(wireMessage(c.m))
		if err != nil || string(b) != c.want {
			t.Errorf("%s:\n got %s (%v)\nwant %s", c.name, b, err, c.want)
		}
	}
}

// TestRefusalsOfImages: what providers say when a model takes no images is
// told apart from a refusal of one image (OpenAI's recorded
// invalid_image_format and invalid_image_url, copies of
// ../shared/fixtures/errors/).
func TestRefusalsOfImages(t *testing.T) {
	for _, msg := range []string{
		"Invalid content type. image_url is only supported by certain models.",
		"model llama3 does not support images",
		"The model `qwen2.5` does not support image input.",
		"Qwen2ForCausalLM is not a multimodal model",
		"Failed to deserialize the JSON body into the target type: messages[0]: unknown variant `image_url`, expected `text` at line 1 column 120",
		"'messages.0' : for 'role:user' the following must be satisfied[('messages.0.content' : value must be a string)]",
		"Image input is not supported for this model.",
	} {
		if !refusesImages(msg) {
			t.Errorf("not a refusal of images: %q", msg)
		}
	}
	for _, name := range []string{"openai_400_invalid_image_format.json", "openai_400_invalid_image_url_download.json"} {
		body, err := os.ReadFile(filepath.Join("..", "testdata", "errors", name))
		if err != nil {
			t.Fatal(err)
		}
		if msg := extractErrorMessage(body); msg == "" || refusesImages(msg) {
			t.Errorf("%s: %q taken for a model that cannot see", name, msg)
		}
	}
	for _, msg := range []string{"", "rate limit exceeded", "This model's maximum context length is 8192 tokens"} {
		if refusesImages(msg) {
			t.Errorf("%q taken for a refusal of images", msg)
		}
	}
}
