package openai

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// serverDelay reads how long the server asks us to wait, from (in order)
// retry-after-ms, Retry-After (seconds or an HTTP date) and the
// x-ratelimit-reset-* headers (durations like "6ms", "1m30s", "24h6m34s",
// or epoch milliseconds as OpenRouter sends them). It returns 0 when no
// header gives a usable positive delay. Nonsense values are ignored.
func serverDelay(h http.Header, now time.Time) time.Duration {
	if h == nil {
		return 0
	}
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 && ms < 1e12 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if s, err := strconv.ParseFloat(v, 64); err == nil {
			if s > 0 && s < 1e9 {
				return time.Duration(s * float64(time.Second))
			}
		} else if t, err := http.ParseTime(v); err == nil {
			if d := t.Sub(now); d > 0 {
				return d
			}
		}
	}
	var longest time.Duration
	for _, k := range []string{"X-Ratelimit-Reset-Requests", "X-Ratelimit-Reset-Tokens", "X-Ratelimit-Reset"} {
		if d := parseReset(h.Get(k), now); d > longest {
			longest = d
		}
	}
	return longest
}

// parseReset reads one x-ratelimit-reset value.
func parseReset(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		switch {
		case n > 1e12: // epoch milliseconds
			return time.UnixMilli(n).Sub(now)
		case n > 1e9: // epoch seconds
			return time.Unix(n, 0).Sub(now)
		case n > 0: // plain seconds
			return time.Duration(n) * time.Second
		}
		return 0
	}
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return d
	}
	return 0
}
