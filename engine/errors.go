package engine

import (
	"context"
	"deskchat/store"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"deskchat/internal/redact"
)

// ErrorKind classifies a provider failure.
type ErrorKind string

// Error kinds.
const (
	KindAuth          ErrorKind = "auth"           // 401/403: key rejected
	KindNotFound      ErrorKind = "not_found"      // 404: model or endpoint missing
	KindRateLimited   ErrorKind = "rate_limited"   // 429
	KindContextLength ErrorKind = "context_length" // prompt too long for the model
	KindBadRequest    ErrorKind = "bad_request"    // other 4xx
	KindServer        ErrorKind = "server"         // 5xx
	KindConnection    ErrorKind = "connection"     // could not connect / connection dropped
	KindMalformed     ErrorKind = "malformed"      // the stream could not be understood
	KindStreamError   ErrorKind = "stream_error"   // the provider sent an error inside the stream
	KindIncomplete    ErrorKind = "incomplete"     // the stream ended before the answer finished
	KindConfig        ErrorKind = "config"         // deskchat is not set up for this request
	KindQueueFull     ErrorKind = "queue_full"     // too many requests waiting for the provider
	KindStalled       ErrorKind = "stalled"        // no bytes for the idle timeout
	KindBreakerOpen   ErrorKind = "breaker_open"   // the provider failed repeatedly; paused
)

// ProviderError is a classified failure. Sentence is what the user reads;
// Err is the underlying cause and never reaches the user.
type ProviderError struct {
	Kind     ErrorKind
	Status   int // HTTP status, 0 when none
	Provider string
	Sentence string
	Err      error
	// RetryAfter is the wait the server asked for (Retry-After and
	// x-ratelimit-reset headers), 0 when it gave none.
	RetryAfter time.Duration
}

func (e *ProviderError) Error() string {
	if e.Err == nil {
		return "engine: " + string(e.Kind) + ": " + e.Sentence
	}
	return "engine: " + string(e.Kind) + ": " + e.Err.Error()
}

func (e *ProviderError) Unwrap() error { return e.Err }

// scrub removes secrets (the key sent) and anything shaped like a
// credential from e's sentence and error text (see package redact): a
// provider or proxy may echo the Authorization or api-key header it got.
// It returns e.
func (e *ProviderError) scrub(secrets ...string) *ProviderError {
	e.Sentence = redact.String(e.Sentence, secrets...)
	e.Err = redact.Error(e.Err, secrets...)
	return e
}

// UserMessage returns the sentence to show the user for err.
func UserMessage(err error) string {
	var pe *ProviderError
	if errors.As(err, &pe) {
		return pe.Sentence
	}
	var se *store.Error
	if errors.As(err, &se) || errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrLocked) {
		return store.UserMessage(err)
	}
	if errors.Is(err, context.Canceled) {
		return "Stopped."
	}
	return "Something went wrong while getting the answer."
}

// classify turns any error from a provider call into a *ProviderError. A
// new one is scrubbed of secrets (the key the request sent, when the caller
// knows it) and of anything shaped like a credential, before the
// provider's words are cut to length; a *ProviderError already in err is
// returned as it is (its maker scrubbed it).
func classify(err error, provider, model, baseURL string, secrets ...string) *ProviderError {
	var pe *ProviderError
	if errors.As(err, &pe) {
		return pe
	}
	out := &ProviderError{Provider: provider, Err: err}
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
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
			if msg == "" && out.Kind != KindAuth && out.Kind != KindNotFound {
				out.Sentence = fmt.Sprintf("%s answered with HTTP %d and a page deskchat cannot read. Check the base URL in the provider's settings.", provider, reqErr.HTTPStatusCode)
			}
			break
		}
		classifyNet(out, reqErr.Err, provider, baseURL)
	case errors.Is(err, openai.ErrTooManyEmptyStreamMessages):
		out.Kind = KindMalformed
		out.Sentence = fmt.Sprintf("%s sent a stream deskchat cannot read; the answer stops here.", provider)
	default:
		var synErr *json.SyntaxError
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &synErr) || errors.As(err, &typeErr) || strings.Contains(err.Error(), "unexpected end of JSON") {
			out.Kind = KindMalformed
			out.Sentence = fmt.Sprintf("%s sent a malformed response; the answer stops here.", provider)
			break
		}
		classifyNet(out, err, provider, baseURL)
	}
	return out.scrub(secrets...)
}

// classifyStatus sets out's kind and sentence for an HTTP status and the
// provider's message, which must be scrubbed already (see redact): cut to
// length here, a key could be cut in two and no longer be found.
func classifyStatus(out *ProviderError, status int, msg, code, model string) {
	p := out.Provider
	lower := strings.ToLower(msg + " " + code)
	switch {
	case status == 401 || status == 403:
		out.Kind = KindAuth
		out.Sentence = fmt.Sprintf("The API key for %s was rejected. Check the key in the provider's settings.", p)
	case status == 404:
		out.Kind = KindNotFound
		out.Sentence = fmt.Sprintf("%s has no model called %q (or the base URL is wrong). Pick another model or check the provider's settings.", p, model)
	case strings.Contains(lower, "context_length") || strings.Contains(lower, "context length") || strings.Contains(lower, "maximum context") || strings.Contains(lower, "too many tokens"):
		out.Kind = KindContextLength
		out.Sentence = fmt.Sprintf("The conversation is too long for %s's context window. Start a new conversation or remove some messages.", model)
	case status == 429:
		out.Kind = KindRateLimited
		out.Sentence = fmt.Sprintf("%s is limiting requests (429). Wait a moment and try again.", p)
	case status >= 500:
		out.Kind = KindServer
		out.Sentence = fmt.Sprintf("%s had a server error (HTTP %d). Try again in a moment.", p, status)
	default:
		out.Kind = KindBadRequest
		out.Sentence = fmt.Sprintf("%s refused the request (HTTP %d).", p, status)
	}
	if msg != "" && out.Kind != KindAuth {
		out.Sentence += " It said: " + asSentence(clip(msg, 300))
	}
}

func classifyNet(out *ProviderError, err error, provider, baseURL string) {
	out.Kind = KindConnection
	host := baseURL
	if u, perr := url.Parse(baseURL); perr == nil && u.Host != "" {
		host = u.Host
	}
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &dnsErr):
		out.Sentence = fmt.Sprintf("Cannot find the server %s. Check the base URL of %s and your network.", host, provider)
	case errors.Is(err, syscall.ECONNREFUSED):
		out.Sentence = fmt.Sprintf("Nothing is listening at %s. Check the base URL of %s and that the server is running.", host, provider)
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		out.Sentence = fmt.Sprintf("%s did not answer in time.", provider)
	default:
		out.Sentence = fmt.Sprintf("The connection to %s was lost before the answer was complete.", provider)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
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
