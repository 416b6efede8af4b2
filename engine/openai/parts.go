package openai

import (
	"fmt"
	"strings"

	goopenai "github.com/sashabaranov/go-openai"

	"github.com/deskchat/deskchat/engine/llm"
)

// wireMessage is m as the chat completions API takes it. A message with an
// image goes as a content array (the question's text, then each part in
// order: text parts as "text", images as "image_url" with their data: URL),
// the shape OpenAI documents for images; any other message goes as one
// string, its text and its text parts joined by blank lines, which every
// OpenAI-compatible server reads (many take no content arrays at all).
func wireMessage(m llm.ChatMessage) goopenai.ChatCompletionMessage {
	out := goopenai.ChatCompletionMessage{Role: string(m.Role), ToolCalls: wireToolCalls(m.ToolCalls), ToolCallID: m.ToolCallID}
	if !m.HasImages() {
		texts := make([]string, 0, len(m.Parts)+1)
		if m.Content != "" {
			texts = append(texts, m.Content)
		}
		for _, p := range m.Parts {
			texts = append(texts, partText(p))
		}
		out.Content = strings.Join(texts, "\n\n")
		return out
	}
	out.MultiContent = make([]goopenai.ChatMessagePart, 0, len(m.Parts)+1)
	if m.Content != "" {
		out.MultiContent = append(out.MultiContent, goopenai.ChatMessagePart{Type: goopenai.ChatMessagePartTypeText, Text: m.Content})
	}
	for _, p := range m.Parts {
		if p.Type == llm.PartImage && p.ImageURL != "" {
			out.MultiContent = append(out.MultiContent, goopenai.ChatMessagePart{Type: goopenai.ChatMessagePartTypeImageURL,
				ImageURL: &goopenai.ChatMessageImageURL{URL: p.ImageURL, Detail: goopenai.ImageURLDetail(p.Detail)}})
			continue
		}
		out.MultiContent = append(out.MultiContent, goopenai.ChatMessagePart{Type: goopenai.ChatMessagePartTypeText, Text: partText(p)})
	}
	return out
}

// partText is what a part says as text: its text, or for an image that
// was not made into a URL, its name.
func partText(p llm.Part) string {
	if p.Type == llm.PartImage {
		return "[image: " + p.Name + "]"
	}
	return p.Text
}

// imageRefusals are what providers say when a model takes no images:
// OpenAI ("Invalid content type. image_url is only supported by certain
// models"), Ollama and LM Studio ("does not support images"), vLLM ("is not
// a multimodal model"), DeepSeek ("unknown variant `image_url`, expected
// `text`"), Groq ("'messages.0.content' : value must be a string"). A
// refusal of one image (a format OpenAI does not read, a URL it could not
// download) says none of them: that image is at fault, not the model.
var imageRefusals = []string{
	"does not support image",
	"doesn't support image",
	"does not support vision",
	"image_url is only supported by certain models",
	"invalid content type. image_url",
	"image input is not supported",
	"images are not supported",
	"image inputs are not supported",
	"vision is not supported",
	"not a multimodal model",
	"unknown variant `image_url`",
	"content must be a string",
	"content' : value must be a string",
}

// refusesImages reports whether a provider's error message says that the
// model takes no images.
func refusesImages(msg string) bool {
	lower := strings.ToLower(msg)
	for _, r := range imageRefusals {
		if strings.Contains(lower, r) {
			return true
		}
	}
	return false
}

// noVision makes pe, the failure of a request with images, a KindNoVision
// one when the provider's message says the model takes no images. The
// engine words the sentence the user reads (it knows which models could);
// this one stands when it does not.
func noVision(pe *llm.ProviderError, msg, model string) {
	if pe.Status < 400 || !refusesImages(msg) {
		return
	}
	pe.Kind = llm.KindNoVision
	pe.Sentence = fmt.Sprintf("%s cannot read images (%s refused the picture); choose a model that takes images and send the question again.", model, pe.Provider)
}
