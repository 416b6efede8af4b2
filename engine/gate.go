package engine

import (
	"context"
	"encoding/json"
	"math"
	"slices"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/deskchat/deskchat/store"
)

// Circuit breaker settings.
const (
	breakerThreshold = 3                // consecutive failed requests that open it
	breakerCooldown  = 30 * time.Second // before a half-open probe
)

// gate is everything the engine keeps per provider: the queue, the rate
// limiters, a pause learned from 429s, the circuit breaker and the metrics.
type gate struct {
	name string
	q    *queue

	mu          sync.Mutex
	rpm, tpm    int
	req, tok    *rate.Limiter // nil: unlimited
	pausedUntil time.Time
	br          breaker
	m           counters
	persisted   time.Time // when the counters last went into a commit
}

// metricsEvery is how often a busy provider's metrics are written with its
// requests: they are some 3 KB of JSON (the recent time-to-first-token
// samples), which a burst of a thousand answers need not write a thousand
// times.
const metricsEvery = 250 * time.Millisecond

// persistDue says whether a request ending now should store the counters:
// when metricsEvery has passed since they were last stored, or when no
// other request of the provider runs or waits (so that the last of a burst,
// and a lone request such as ask's, always does).
func (g *gate) persistDue(now time.Time) bool {
	in, waiting := g.q.stats()
	g.mu.Lock()
	defer g.mu.Unlock()
	if in+waiting > 0 && now.Sub(g.persisted) < metricsEvery {
		return false
	}
	g.persisted = now
	return true
}

func newGate(cfg store.Provider) *gate {
	g := &gate{name: cfg.Name, q: newQueue(cfg.Name, cfg.MaxConcurrent, cfg.MaxQueued), m: counters{Errors: map[ErrorKind]int64{}}}
	g.configure(cfg)
	return g
}

// configure applies the provider's current limits.
func (g *gate) configure(cfg store.Provider) {
	g.q.setLimits(cfg.MaxConcurrent, cfg.MaxQueued)
	g.mu.Lock()
	defer g.mu.Unlock()
	if cfg.RequestsPerMinute != g.rpm {
		g.rpm, g.req = cfg.RequestsPerMinute, nil
		if g.rpm > 0 {
			// Burst 1: requests are spaced evenly, never bunched.
			g.req = rate.NewLimiter(rate.Limit(float64(g.rpm)/60), 1)
		}
	}
	if cfg.TokensPerMinute != g.tpm {
		g.tpm, g.tok = cfg.TokensPerMinute, nil
		if g.tpm > 0 {
			g.tok = rate.NewLimiter(rate.Limit(float64(g.tpm)/60), g.tpm)
		}
	}
}

// reserve books a request of n tokens at now and returns how long to wait
// before sending it, and a function that gives the booking back.
func (g *gate) reserve(now time.Time, tokens int) (time.Duration, func()) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var delay time.Duration
	var undo []func()
	if g.pausedUntil.After(now) {
		delay = g.pausedUntil.Sub(now)
	}
	if g.req != nil {
		r := g.req.ReserveN(now, 1)
		delay = max(delay, r.DelayFrom(now))
		undo = append(undo, func() { r.CancelAt(now) })
	}
	if g.tok != nil && tokens > 0 {
		r := g.tok.ReserveN(now, min(tokens, g.tok.Burst()))
		delay = max(delay, r.DelayFrom(now))
		undo = append(undo, func() { r.CancelAt(now) })
	}
	return delay, func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		for _, u := range undo {
			u()
		}
	}
}

// pause stops new requests to the provider until t (learned from a 429).
func (g *gate) pause(t time.Time) {
	g.mu.Lock()
	if t.After(g.pausedUntil) {
		g.pausedUntil = t
	}
	g.mu.Unlock()
}

// breaker is a circuit breaker: closed, open until a time, then half-open
// with one probe request in flight.
type breaker struct {
	failures  int
	openUntil time.Time
	probing   bool
}

// allow says whether a request may go to the provider now.
func (g *gate) allow(now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	b := &g.br
	if b.failures < breakerThreshold {
		return true
	}
	if now.Before(b.openUntil) || b.probing {
		return false
	}
	b.probing = true // half-open: this request is the probe
	return true
}

// A nil gate stands for no provider of our own (a coalesced answer riding on
// another request's stream): it records nothing.

func (g *gate) succeeded() {
	if g == nil {
		return
	}
	g.mu.Lock()
	g.br = breaker{}
	g.mu.Unlock()
}

func (g *gate) failed(now time.Time) {
	if g == nil {
		return
	}
	g.mu.Lock()
	b := &g.br
	b.failures++
	b.probing = false
	if b.failures >= breakerThreshold {
		b.openUntil = now.Add(breakerCooldown)
	}
	g.mu.Unlock()
}

// reopensAt is when an open breaker lets the next probe through.
func (g *gate) reopensAt() time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.br.openUntil
}

// counters are the cumulative metrics of one provider. They are persisted in
// the store, so `deskchat stats` sees every process's requests.
type counters struct {
	Requests     int64               `json:"requests"`
	Retries      int64               `json:"retries"`
	Errors       map[ErrorKind]int64 `json:"errors"`
	TokensIn     int64               `json:"tokens_in"`
	TokensOut    int64               `json:"tokens_out"`
	StreamMillis int64               `json:"stream_ms"` // first token to end, summed
	TTFTMillis   []int64             `json:"ttft_ms"`   // the most recent samples
	loaded       bool
}

const ttftSamples = 512

// Metrics describe one provider, for the UI and `deskchat stats`.
type Metrics struct {
	Provider        string              `json:"provider"`
	InFlight        int                 `json:"in_flight"`
	Queued          int                 `json:"queued"`
	Requests        int64               `json:"requests"`
	Retries         int64               `json:"retries"`
	Errors          map[ErrorKind]int64 `json:"errors"`
	TTFTP50Millis   int64               `json:"ttft_p50_ms"`
	TTFTP95Millis   int64               `json:"ttft_p95_ms"`
	TokensPerSecond float64             `json:"tokens_per_second"`
	TokensIn        int64               `json:"tokens_in"`
	TokensOut       int64               `json:"tokens_out"`
}

func (g *gate) metrics() Metrics {
	in, waiting := g.q.stats()
	g.mu.Lock()
	defer g.mu.Unlock()
	m := Metrics{Provider: g.name, InFlight: in, Queued: waiting, Requests: g.m.Requests, Retries: g.m.Retries,
		Errors: map[ErrorKind]int64{}, TokensIn: g.m.TokensIn, TokensOut: g.m.TokensOut}
	for k, v := range g.m.Errors {
		m.Errors[k] = v
	}
	m.TTFTP50Millis, m.TTFTP95Millis = percentile(g.m.TTFTMillis, 50), percentile(g.m.TTFTMillis, 95)
	if g.m.StreamMillis > 0 {
		m.TokensPerSecond = math.Round(float64(g.m.TokensOut)/(float64(g.m.StreamMillis)/1000)*10) / 10
	}
	return m
}

func percentile(samples []int64, p int) int64 {
	if len(samples) == 0 {
		return 0
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[max(i-1, 0)]
}

// request outcome, recorded when a request ends.
type outcome struct {
	retries        int
	errKind        ErrorKind // "" on success
	ttft           time.Duration
	streamed       time.Duration
	tokensIn, tout int
}

func (g *gate) record(o outcome) {
	if g == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.m.Requests++
	g.m.Retries += int64(o.retries)
	if o.errKind != "" {
		g.m.Errors[o.errKind]++
	}
	if o.ttft > 0 {
		g.m.TTFTMillis = append(g.m.TTFTMillis, o.ttft.Milliseconds())
		if len(g.m.TTFTMillis) > ttftSamples {
			g.m.TTFTMillis = g.m.TTFTMillis[len(g.m.TTFTMillis)-ttftSamples:]
		}
	}
	g.m.StreamMillis += o.streamed.Milliseconds()
	g.m.TokensIn += int64(o.tokensIn)
	g.m.TokensOut += int64(o.tout)
}

// addTokens counts tokens of a request already recorded.
func (g *gate) addTokens(in, out int) {
	if g == nil {
		return
	}
	g.mu.Lock()
	g.m.TokensIn += int64(in)
	g.m.TokensOut += int64(out)
	g.mu.Unlock()
}

func (g *gate) marshalCounters() ([]byte, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return json.Marshal(g.m)
}

// loadCounters merges persisted counters into a fresh gate.
func (g *gate) loadCounters(data []byte) {
	var c counters
	if json.Unmarshal(data, &c) != nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.m.loaded {
		return
	}
	g.m.loaded = true
	g.m.Requests += c.Requests
	g.m.Retries += c.Retries
	for k, v := range c.Errors {
		g.m.Errors[k] += v
	}
	g.m.TokensIn += c.TokensIn
	g.m.TokensOut += c.TokensOut
	g.m.StreamMillis += c.StreamMillis
	g.m.TTFTMillis = append(c.TTFTMillis, g.m.TTFTMillis...)
}

// waitAdmission waits for the provider's pause and rate limits, telling the
// caller when it has to wait.
func (e *Engine) waitAdmission(ctx context.Context, g *gate, tokens int, emit sink) error {
	now := e.now()
	delay, undo := g.reserve(now, tokens)
	if delay <= 0 {
		return nil
	}
	emit(RateLimited{Provider: g.name, Until: now.Add(delay)})
	if err := e.wait(ctx, delay); err != nil {
		undo()
		return err
	}
	return nil
}
