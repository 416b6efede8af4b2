package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/deskchat/deskchat/internal/redact"
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
	KindNoVision      ErrorKind = "no_vision"      // the model does not take images
	KindAttachment    ErrorKind = "attachment"     // an attached file cannot be sent (missing, damaged)
	KindToolCall      ErrorKind = "tool_call"      // the provider rejected the model's own tool call (Groq's tool_use_failed)
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

// Scrub removes secrets (the key sent) and anything shaped like a
// credential from e's sentence and error text (see package redact): a
// provider or proxy may echo the Authorization or api-key header it got.
// It returns e.
func (e *ProviderError) Scrub(secrets ...string) *ProviderError {
	e.Sentence = redact.String(e.Sentence, secrets...)
	e.Err = redact.Error(e.Err, secrets...)
	return e
}

// Classify turns an error no adapter classified (a dropped connection, a
// body that is not JSON) into a *ProviderError, scrubbed of secrets and of
// anything shaped like a credential; a *ProviderError already in err is
// returned as it is (its maker scrubbed it). baseURL names the server in
// the sentence ("" when unknown).
func Classify(err error, provider, baseURL string, secrets ...string) *ProviderError {
	var pe *ProviderError
	if errors.As(err, &pe) {
		return pe
	}
	out := &ProviderError{Provider: provider, Err: err}
	var synErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &synErr) || errors.As(err, &typeErr) || strings.Contains(err.Error(), "unexpected end of JSON") {
		out.Kind = KindMalformed
		out.Sentence = fmt.Sprintf("%s sent a malformed response; the answer stops here.", provider)
		return out.Scrub(secrets...)
	}
	ClassifyNet(out, err, baseURL)
	return out.Scrub(secrets...)
}

// ClassifyNet sets out's kind (KindConnection) and sentence for a network
// failure err of the provider out.Provider at baseURL.
func ClassifyNet(out *ProviderError, err error, baseURL string) {
	provider := out.Provider
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
	case errors.Is(err, context.DeadlineExceeded) || IsTimeout(err):
		out.Sentence = fmt.Sprintf("%s did not answer in time.", provider)
	default:
		out.Sentence = fmt.Sprintf("The connection to %s was lost before the answer was complete.", provider)
	}
}

// IsTimeout reports whether err is a network timeout.
func IsTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
