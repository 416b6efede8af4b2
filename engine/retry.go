package engine

import (
	"math"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/deskchat/deskchat/engine/llm"
)

// Retry policy, as openai-python applies it.
const (
	DefaultMaxRetries = 2
	initialBackoff    = 500 * time.Millisecond
	maxBackoff        = 8 * time.Second
	// maxServerDelay is the longest server-requested wait that is honoured;
	// a longer one fails the request and says when to try again.
	maxServerDelay = 60 * time.Second
)

// backoff returns the wait before retry number attempt (0-based):
// min(0.5·2ⁿ s, 8 s) reduced by up to 25% jitter. jitter is in [0, 1).
func backoff(attempt int, jitter float64) time.Duration {
	d := float64(initialBackoff) * math.Pow(2, float64(attempt))
	if d > float64(maxBackoff) {
		d = float64(maxBackoff)
	}
	return time.Duration(d * (1 - 0.25*jitter))
}

// retryable says whether a failure before the first token may be retried:
// 408, 409, 429, 5xx and connection errors.
func retryable(pe *ProviderError) bool {
	switch pe.Kind {
	case llm.KindConnection:
		return true
	case llm.KindRateLimited, llm.KindServer:
		return true
	}
	return pe.Status == http.StatusRequestTimeout || pe.Status == http.StatusConflict ||
		pe.Status == http.StatusTooManyRequests || pe.Status >= 500
}

// jitter returns a random number in [0, 1).
func jitter() float64 { return rand.Float64() }
