package openai

import (
	"net/http"
	"testing"
	"time"
)

func TestServerDelay(t *testing.T) {
	// Date header of the OpenRouter 429 recording (shared/fixtures/errors/openrouter_429_ratelimit_headers).
	now, _ := http.ParseTime("Fri, 08 Aug 2025 15:40:34 GMT")
	tests := []struct {
		headers []string
		want    time.Duration
	}{
		{[]string{"Retry-After-Ms", "250"}, 250 * time.Millisecond},
		{[]string{"Retry-After", "7"}, 7 * time.Second},
		{[]string{"Retry-After", "1.5"}, 1500 * time.Millisecond},
		{[]string{"Retry-After", "Fri, 08 Aug 2025 15:40:44 GMT"}, 10 * time.Second},
		{[]string{"X-Ratelimit-Reset-Requests", "6ms"}, 6 * time.Millisecond},
		{[]string{"X-Ratelimit-Reset-Tokens", "1m30s", "X-Ratelimit-Reset-Requests", "2s"}, 90 * time.Second},
		{[]string{"X-Ratelimit-Reset-Requests", "24h6m34s"}, 24*time.Hour + 6*time.Minute + 34*time.Second},
		{[]string{"X-Ratelimit-Reset", "1754667660000"}, 26 * time.Second}, // epoch ms (OpenRouter)
		{[]string{"Retry-After", "-5"}, 0},
		{[]string{"Retry-After", "1e99"}, 0},
		{[]string{"Retry-After", "whenever"}, 0},
		{[]string{"Retry-After", "Fri, 08 Aug 2025 15:00:00 GMT"}, 0}, // in the past
		{[]string{"X-Ratelimit-Reset-Requests", "-3s"}, 0},
		{nil, 0},
	}
	for _, tt := range tests {
		h := http.Header{}
		for i := 0; i+1 < len(tt.headers); i += 2 {
			h.Set(tt.headers[i], tt.headers[i+1])
		}
		if got := serverDelay(h, now); got != tt.want {
			t.Errorf("%v: %v, want %v", tt.headers, got, tt.want)
		}
	}
}
