package openai

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	goopenai "github.com/sashabaranov/go-openai"

	"github.com/deskchat/deskchat/engine/llm"
	"github.com/deskchat/deskchat/internal/redact"
)

// classify turns any error from go-openai into a *llm.ProviderError. A
// new one is scrubbed of secrets (the key the request sent, when the caller
// knows it) and of anything shaped like a credential, before the
// provider's words are cut to length; a *llm.ProviderError already in err is
// returned as it is (its maker scrubbed it).
func classify(err error, provider, model, baseURL string, secrets ...string) *llm.ProviderError {
	var pe *llm.ProviderError
	if errors.As(err, &pe) {
		return pe
	}
	out := &llm.ProviderError{Provider: provider, Err: err}
	var apiErr *goopenai.APIError
	var reqErr *goopenai.RequestError
	switch {
	// go-openai wraps a body like {"error":"text"} in a RequestError around
	// an APIError without a status: the RequestError has it.
	case errors.As(err, &apiErr) && apiErr.HTTPStatusCode != 0:
		out.Status = apiErr.HTTPStatusCode
		classifyStatus(out, apiErr.HTTPStatusCode, redact.String(apiErr.Message, secrets...), fmt.Sprint(apiErr.Code), model)
	case errors.As(err, &reqErr):
		out.Status = reqErr.HTTPStatusCode
		if reqErr.HTTPStatusCode != 0 {
			msg := ""
			if len(reqErr.Body) > 0 && json.Valid(reqErr.Body) {
				msg = redact.String(extractErrorMessage(reqErr.Body), secrets...)
			}
			classifyStatus(out, reqErr.HTTPStatusCode, msg, "", model)
			if msg == "" && out.Kind != llm.KindAuth && out.Kind != llm.KindNotFound {
				out.Sentence = fmt.Sprintf("%s answered with HTTP %d and a page deskchat cannot read. Check the base URL in the provider's settings.", provider, reqErr.HTTPStatusCode)
			}
			break
		}
		llm.ClassifyNet(out, reqErr.Err, baseURL)
	case errors.Is(err, goopenai.ErrTooManyEmptyStreamMessages):
		out.Kind = llm.KindMalformed
		out.Sentence = fmt.Sprintf("%s sent a stream deskchat cannot read; the answer stops here.", provider)
	default:
		return llm.Classify(err, provider, baseURL, secrets...) // not go-openai's: a network or JSON failure
	}
	return out.Scrub(secrets...)
}

// classifyStatus sets out's kind and sentence for an HTTP status and the
// provider's message, which must be scrubbed already (see redact): cut to
// length here, a key could be cut in two and no longer be found.
func classifyStatus(out *llm.ProviderError, status int, msg, code, model string) {
	p := out.Provider
	lower := strings.ToLower(msg + " " + code)
	switch {
	case status == 401 || status == 403:
		out.Kind = llm.KindAuth
		out.Sentence = fmt.Sprintf("The API key for %s was rejected. Check the key in the provider's settings.", p)
	case status == 404:
		out.Kind = llm.KindNotFound
		out.Sentence = fmt.Sprintf("%s has no model called %q (or the base URL is wrong). Pick another model or check the provider's settings.", p, model)
	case code == "tool_use_failed":
		out.Kind = llm.KindToolCall
		out.Sentence = toolUseFailed(p)
	case strings.Contains(lower, "context_length") || strings.Contains(lower, "context length") || strings.Contains(lower, "maximum context") || strings.Contains(lower, "too many tokens"):
		out.Kind = llm.KindContextLength
		out.Sentence = fmt.Sprintf("The conversation is too long for %s's context window. Start a new conversation or remove some messages.", model)
	case status == 429:
		out.Kind = llm.KindRateLimited
		out.Sentence = fmt.Sprintf("%s is limiting requests (429). Wait a moment and try again.", p)
	case status >= 500:
		out.Kind = llm.KindServer
		out.Sentence = fmt.Sprintf("%s had a server error (HTTP %d). Try again in a moment.", p, status)
	default:
		out.Kind = llm.KindBadRequest
		out.Sentence = fmt.Sprintf("%s refused the request (HTTP %d).", p, status)
	}
	if msg != "" && out.Kind != llm.KindAuth {
		out.Sentence += " It said: " + asSentence(clip(msg, 300))
	}
}

// extractErrorMessage reads the message from an error object in any of the
// shapes providers use: {"error":{"message":...}}, {"error":"..."},
// {"message":...}.
func extractErrorMessage(body []byte) string {
	var v struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
	}
	if json.Unmarshal(body, &v) != nil {
		return ""
	}
	if len(v.Error) > 0 {
		var obj struct {
			Message  string `json:"message"`
			Metadata struct {
				Raw any `json:"raw"` // OpenRouter: the upstream provider's own words
			} `json:"metadata"`
		}
		if json.Unmarshal(v.Error, &obj) == nil && obj.Message != "" {
			if raw, ok := obj.Metadata.Raw.(string); ok && strings.TrimSpace(raw) != "" && !strings.Contains(obj.Message, raw) {
				return strings.TrimRight(strings.TrimSpace(obj.Message), ".:") + ": " + strings.TrimSpace(raw)
			}
			return obj.Message
		}
		var s string
		if json.Unmarshal(v.Error, &s) == nil {
			return s
		}
	}
	return v.Message
}

func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// asSentence ends a provider's message with a full stop unless it ends with
// punctuation already.
func asSentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsAny(s[len(s)-1:], ".!?…") {
		return s
	}
	return s + "."
}

// inStreamError is an error object a provider sent inside a 200 stream,
// msg being its message (scrubbed) and code its code. Groq's
// tool_use_failed says the model wrote a tool call that does not fit the
// tool's schema (or is not JSON): the model's slip, not the provider's
// failure, and asking again may well go through.
func inStreamError(provider, code, msg string, err error) *llm.ProviderError {
	if code == "tool_use_failed" {
		return &llm.ProviderError{Kind: llm.KindToolCall, Provider: provider, Err: err,
			Sentence: toolUseFailed(provider) + " It said: " + asSentence(clip(msg, 300))}
	}
	return &llm.ProviderError{Kind: llm.KindStreamError, Provider: provider, Err: err,
		Sentence: fmt.Sprintf("%s reported an error: %s", provider, clip(msg, 300))}
}

// toolUseFailed is the sentence for Groq's tool_use_failed, in a stream or
// as an HTTP 400.
func toolUseFailed(provider string) string {
	return fmt.Sprintf("The model wrote a tool call %s could not accept (tool_use_failed); asking again may work.", provider)
}
