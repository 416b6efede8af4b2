package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deskchat/deskchat/engine/llm"
	"github.com/deskchat/deskchat/engine/tokens"
	"github.com/deskchat/deskchat/store"
)

func putProvider(t *testing.T, st *store.Store, p store.Provider) {
	t.Helper()
	if p.Kind == "" {
		p.Kind = store.KindCompatible
	}
	if p.Model == "" {
		p.Model = "m"
	}
	if err := st.PutProvider(p); err != nil {
		t.Fatal(err)
	}
}

// holdOnlySlot stores provider "one" (model m1, one stream at a time) at a
// server that sends a word and then holds the stream, and starts an answer
// that takes the slot. release ends that answer and waits until it is done.
func holdOnlySlot(t *testing.T, st *store.Store, e *Engine) (release func()) {
	t.Helper()
	srv, hangup := blockingServer(t, "first")
	putProvider(t, st, store.Provider{Name: "one", BaseURL: srv.URL, Model: "m1", MaxConcurrent: 1})
	ctx, cancel := context.WithCancel(context.Background())
	events, err := e.Send(ctx, newConversation(t, st), "a", SendOptions{Provider: "one"})
	if err != nil {
		t.Fatal(err)
	}
	for ev := range events {
		if _, ok := ev.(Delta); ok {
			break
		}
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			cancel()
			<-hangup
			drain(t, events)
		})
	}
	t.Cleanup(release)
	return release
}

func TestQueuedEventsThroughSend(t *testing.T) {
	st := openStore(t)
	e := New(st, Options{})
	release := holdOnlySlot(t, st, e)
	conv2 := newConversation(t, st)
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	ev2, err := e.Send(ctx2, conv2, "b", SendOptions{Provider: "one"})
	if err != nil {
		t.Fatal(err)
	}
	if q, ok := (<-ev2).(Queued); !ok || q.Position != 1 || q.Provider != "one" {
		t.Fatalf("second request: %#v, want Queued #1", q)
	}
	if m, _ := e.Metrics(); len(m) != 1 || m[0].InFlight != 1 || m[0].Queued != 1 {
		t.Errorf("metrics while queued: %+v", m)
	}
	release() // frees the slot
	started := false
	for ev := range ev2 {
		if _, ok := ev.(Started); ok {
			started = true
			break
		}
	}
	if !started {
		t.Fatal("queued request never started")
	}
	cancel2()
	if r := drain(t, ev2); r.final == nil {
		t.Fatal("second request never ended")
	}
}

func TestFallbackWhenThePrimaryFails(t *testing.T) {
	bad, badN := scriptServer(t, status(503))
	good, goodN := scriptServer(t, answer("from the fallback"))
	st := openStore(t)
	zero := 0
	putProvider(t, st, store.Provider{Name: "primary", BaseURL: bad.URL, Model: "big", MaxRetries: &zero, Fallback: "backup"})
	putProvider(t, st, store.Provider{Name: "backup", BaseURL: good.URL, Model: "small", Fallback: "primary"}) // a loop is cut
	e, _ := fakeClockEngine(st)
	conv := newConversation(t, st)

	for i := 0; i < 4; i++ {
		events, err := e.Send(context.Background(), conv, fmt.Sprint("q", i), SendOptions{Provider: "primary"})
		if err != nil {
			t.Fatal(err)
		}
		var fell []FellBack
		relay := make(chan Event, 64)
		go func() {
			defer close(relay)
			for ev := range events {
				if f, ok := ev.(FellBack); ok {
					fell = append(fell, f)
				}
				relay <- ev
			}
		}()
		r := drain(t, relay)
		if _, ok := r.final.(Done); !ok || r.text != "from the fallback" {
			t.Fatalf("request %d: %#v %q", i, r.final, r.text)
		}
		if len(fell) != 1 || fell[0].From != "primary" || fell[0].To != "backup" {
			t.Fatalf("request %d fell back %+v", i, fell)
		}
		if r.started.Provider != "backup" || r.started.Model != "small" {
			t.Errorf("started %+v", r.started)
		}
	}
	// The breaker opened after three failures: the fourth request did not
	// touch the primary at all.
	if badN.Load() != 3 || goodN.Load() != 4 {
		t.Errorf("primary got %d requests (want 3: breaker open for the 4th), backup %d", badN.Load(), goodN.Load())
	}
	msgs, _ := st.Messages(conv)
	last := msgs[len(msgs)-1]
	if last.Provider != "backup" || last.Model != "small" || last.Content != "from the fallback" {
		t.Errorf("stored answer records %s/%s", last.Provider, last.Model)
	}
	conv2, _ := st.Conversation(conv)
	if conv2.Provider != "primary" {
		t.Errorf("the conversation's own choice changed to %s", conv2.Provider)
	}
}

func TestBreakerHalfOpenProbe(t *testing.T) {
	g := newGate(store.Provider{Name: "p"})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < breakerThreshold; i++ {
		if !g.allow(now) {
			t.Fatalf("breaker open after %d failures", i)
		}
		g.failed(now)
	}
	if g.allow(now.Add(breakerCooldown - time.Second)) {
		t.Fatal("breaker closed during the cool-down")
	}
	probeAt := now.Add(breakerCooldown)
	if !g.allow(probeAt) {
		t.Fatal("no half-open probe after the cool-down")
	}
	if g.allow(probeAt) {
		t.Fatal("a second request went through while the probe was out")
	}
	g.failed(probeAt) // the probe failed: open again for a full cool-down
	if g.allow(probeAt.Add(breakerCooldown - time.Second)) {
		t.Fatal("breaker closed after a failed probe")
	}
	if !g.allow(probeAt.Add(breakerCooldown)) {
		t.Fatal("no second probe")
	}
	g.succeeded()
	// Twice: a half-open breaker lets one probe through, a closed one every
	// request.
	for i := range 2 {
		if !g.allow(probeAt.Add(breakerCooldown)) {
			t.Fatalf("request %d refused: breaker not closed after a successful probe", i+1)
		}
	}
}

func TestBreakerOpenWithoutFallbackSaysSo(t *testing.T) {
	bad, n := scriptServer(t, status(500))
	st := openStore(t)
	zero := 0
	putProvider(t, st, store.Provider{Name: "flaky", BaseURL: bad.URL, MaxRetries: &zero})
	e, _ := fakeClockEngine(st)
	var last result
	for i := 0; i < breakerThreshold+1; i++ {
		events, err := e.Send(context.Background(), newConversation(t, st), "q", SendOptions{Provider: "flaky"})
		if err != nil {
			t.Fatal(err)
		}
		last = drain(t, events)
	}
	f, ok := last.final.(Failed)
	if !ok || !strings.Contains(f.Sentence, "flaky failed several times in a row") {
		t.Fatalf("%#v", last.final)
	}
	if n.Load() != breakerThreshold {
		t.Errorf("%d requests reached the provider, want %d", n.Load(), breakerThreshold)
	}
}

func TestRateLimitWaitsAndSays(t *testing.T) {
	srv, _ := scriptServer(t, answer("ok"))
	st := openStore(t)
	putProvider(t, st, store.Provider{Name: "slow", BaseURL: srv.URL, RequestsPerMinute: 6})
	e, ft := fakeClockEngine(st)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	e.now = func() time.Time { return base } // the clock does not move: the bucket does not refill
	var limited []RateLimited
	for i := 0; i < 3; i++ {
		events, err := e.Send(context.Background(), newConversation(t, st), "q", SendOptions{Provider: "slow", NoCache: true})
		if err != nil {
			t.Fatal(err)
		}
		for ev := range events {
			if r, ok := ev.(RateLimited); ok {
				limited = append(limited, r)
			}
		}
	}
	// 6 a minute with burst 1: the 2nd waits 10 s, the 3rd 20 s.
	if len(limited) != 2 || !limited[0].Until.Equal(base.Add(10*time.Second)) || !limited[1].Until.Equal(base.Add(20*time.Second)) {
		t.Fatalf("rate limited events %+v", limited)
	}
	if w := ft.recorded(); len(w) != 2 || w[0] != 10*time.Second || w[1] != 20*time.Second {
		t.Errorf("waits %v", w)
	}
}

func TestA429PausesTheProviderForOtherRequests(t *testing.T) {
	srv, _ := scriptServer(t, status(429, "Retry-After", "5"), answer("ok"))
	st := openStore(t)
	putProvider(t, st, store.Provider{Name: "p", BaseURL: srv.URL})
	e, _ := fakeClockEngine(st)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	e.now = func() time.Time { return base }
	events, _ := e.Send(context.Background(), newConversation(t, st), "q", SendOptions{Provider: "p"})
	drain(t, events)
	events, _ = e.Send(context.Background(), newConversation(t, st), "q2", SendOptions{Provider: "p"})
	var rl *RateLimited
	for ev := range events {
		if r, ok := ev.(RateLimited); ok {
			rl = &r
		}
	}
	if rl == nil || !rl.Until.Equal(base.Add(5*time.Second)) {
		t.Fatalf("second request not paused until the 429's Retry-After: %+v", rl)
	}
}

func TestTokensPerMinuteLimit(t *testing.T) {
	g := newGate(store.Provider{Name: "p", TokensPerMinute: 6000})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if d, _ := g.reserve(now, 5000); d != 0 {
		t.Fatalf("first request waited %v", d)
	}
	// 100 tokens a second refill: 4,000 more need 30 s after the bucket's 1,000 left.
	if d, _ := g.reserve(now, 4000); d != 30*time.Second {
		t.Fatalf("second request waits %v, want 30s", d)
	}
	// A request larger than the whole bucket is clamped, never refused.
	if d, undo := g.reserve(now, 1e6); d <= 0 {
		t.Fatalf("oversized request: %v", d)
	} else {
		undo()
	}
}

// TestLimiterSchedule checks a 600 requests/min limit over 1,000 requests on
// a fake clock against the ideal schedule (one every 100 ms).
func TestLimiterSchedule(t *testing.T) {
	if dev := limiterDeviation(1000, 600); dev > 0.01 {
		t.Fatalf("deviation %.4f from the ideal schedule", dev)
	}
}

// limiterDeviation sends n requests through an rpm limit as fast as the
// limiter allows on a fake clock and returns the largest relative deviation of
// the elapsed time from the ideal n/rpm minutes.
func limiterDeviation(n, rpm int) float64 {
	g := newGate(store.Provider{Name: "p", RequestsPerMinute: rpm})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	start := now
	worst := 0.0
	for i := 0; i < n; i++ {
		d, _ := g.reserve(now, 0)
		now = now.Add(d)
		ideal := time.Duration(i) * time.Minute / time.Duration(rpm)
		if i > 0 {
			worst = math.Max(worst, math.Abs(float64(now.Sub(start)-ideal))/float64(ideal))
		}
	}
	return worst
}

func TestStalledStreamFails(t *testing.T) {
	srv, _ := blockingServer(t, "so far")
	st := openStore(t)
	e := New(st, Options{IdleTimeout: 50 * time.Millisecond})
	conv := newConversation(t, st)
	events, err := e.Send(context.Background(), conv, "q", SendOptions{Endpoint: endpoint(srv.URL)})
	if err != nil {
		t.Fatal(err)
	}
	r := drain(t, events)
	f, ok := r.final.(Failed)
	if !ok || !strings.Contains(f.Sentence, "test stopped responding") {
		t.Fatalf("%#v", r.final)
	}
	msgs, _ := st.Messages(conv)
	if msgs[1].State != store.StateFailed || msgs[1].Content != "so far" {
		t.Errorf("stored %+v", msgs[1])
	}
}

func TestKeepAlivesAreNotAStall(t *testing.T) {
	release := make(chan struct{})
	ticks := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n")
		w.(http.Flusher).Flush()
		for {
			select {
			case <-release:
				fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{\"content\":\"b\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
				return
			case <-ticks:
				fmt.Fprint(w, ": OPENROUTER PROCESSING\n\n")
				w.(http.Flusher).Flush()
			}
		}
	}))
	defer srv.Close()
	st := openStore(t)
	idle := 300 * time.Millisecond
	e := New(st, Options{IdleTimeout: idle})
	events, err := e.Send(context.Background(), newConversation(t, st), "q", SendOptions{Endpoint: endpoint(srv.URL)})
	if err != nil {
		t.Fatal(err)
	}
	// Keep-alives every 100 ms for three idle timeouts, then the rest.
	tk := time.NewTicker(idle / 3)
	defer tk.Stop()
	deadline := time.After(3 * idle)
	for waiting := true; waiting; {
		select {
		case <-tk.C:
			ticks <- struct{}{}
		case <-deadline:
			waiting = false
		}
	}
	close(release)
	r := drain(t, events)
	if _, ok := r.final.(Done); !ok || r.text != "ab" {
		t.Fatalf("%#v %q", r.final, r.text)
	}
}

// TestNoCrossTalk streams 200 conversations at once through one provider,
// each with its own content; every conversation ends with exactly its text.
func TestNoCrossTalk(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Messages []struct{ Content string } `json:"messages"`
		}
		if err := jsonDecode(r, &body); err != nil || len(body.Messages) == 0 {
			w.WriteHeader(400)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		prompt := body.Messages[len(body.Messages)-1].Content
		for i := 0; i < 20; i++ {
			fmt.Fprintf(w, "data: {\"choices\":[{\"delta\":{\"content\":\"%s/%d \"}}]}\n\n", prompt, i)
			w.(http.Flusher).Flush()
		}
		fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
	}))
	defer srv.Close()
	st := openStore(t)
	putProvider(t, st, store.Provider{Name: "p", BaseURL: srv.URL, MaxConcurrent: 50, MaxQueued: 200})
	e := New(st, Options{})
	const n = 200
	convs := make([]string, n)
	for i := range convs {
		convs[i] = newConversation(t, st)
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			events, err := e.Send(context.Background(), convs[i], fmt.Sprintf("c%03d", i), SendOptions{Provider: "p"})
			if err != nil {
				errs <- err
				return
			}
			text := ""
			var final Event
			for ev := range events {
				switch ev := ev.(type) {
				case Delta:
					text += ev.Text
				case Done, Failed, Stopped:
					final = ev
				}
			}
			if _, ok := final.(Done); !ok {
				errs <- fmt.Errorf("conversation %d ended %#v", i, final)
			} else if text != expectedCrossTalk(i) {
				errs <- fmt.Errorf("conversation %d streamed %q", i, text)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i, id := range convs {
		msgs, err := st.Messages(id)
		if err != nil || len(msgs) != 2 || msgs[1].Content != expectedCrossTalk(i) || msgs[1].State != store.StateDone {
			t.Fatalf("conversation %d stored %+v", i, msgs)
		}
	}
	m, _ := e.Metrics()
	if len(m) != 1 || m[0].Requests != n || m[0].InFlight != 0 || m[0].Queued != 0 {
		t.Errorf("metrics %+v", m)
	}
}

func expectedCrossTalk(i int) string {
	var b strings.Builder
	for k := 0; k < 20; k++ {
		fmt.Fprintf(&b, "c%03d/%d ", i, k)
	}
	return b.String()
}

func TestMetricsArePersistedAcrossEngines(t *testing.T) {
	srv, _ := scriptServer(t, status(500), answer("ok"))
	dir := t.TempDir()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	putProvider(t, st, store.Provider{Name: "p", BaseURL: srv.URL})
	e, _ := fakeClockEngine(st)
	for i := 0; i < 2; i++ {
		events, _ := e.Send(context.Background(), newConversation(t, st), "q", SendOptions{Provider: "p", NoCache: true})
		drain(t, events)
	}
	st.Close()

	st, _ = store.Open(dir)
	defer st.Close()
	m, err := New(st, Options{}).Metrics()
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 1 || m[0].Provider != "p" || m[0].Requests != 2 || m[0].Retries != 1 || m[0].Errors[llm.KindServer] != 0 {
		t.Fatalf("metrics %+v", m)
	}
}

func jsonDecode(r *http.Request, v any) error { return json.NewDecoder(r.Body).Decode(v) }

// The cap holds exactly: what is stored is the first MaxAnswerBytes of
// what was sent, whatever the chunks' sizes.
func TestEndlessAndHugeStreamsAreCutWithASentence(t *testing.T) {
	big := strings.Repeat("x", 10<<20)
	want := map[string]string{"a 10 MB chunk": big[:MaxAnswerBytes], "a stream that never ends": strings.Repeat("y", MaxAnswerBytes)}
	for name, handler := range map[string]http.HandlerFunc{
		"a 10 MB chunk": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprintf(w, "data: {\"choices\":[{\"delta\":{\"content\":%q}}]}\n\ndata: [DONE]\n\n", big)
		},
		"a stream that never ends": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			chunk := fmt.Sprintf("data: {\"choices\":[{\"delta\":{\"content\":%q}}]}\n\n", strings.Repeat("y", 4096))
			for r.Context().Err() == nil {
				if _, err := io.WriteString(w, chunk); err != nil {
					return
				}
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(handler)
			defer srv.Close()
			st := openStore(t)
			conv := newConversation(t, st)
			events, err := New(st, Options{}).Send(context.Background(), conv, "q", SendOptions{Endpoint: endpoint(srv.URL)})
			if err != nil {
				t.Fatal(err)
			}
			r := drain(t, events)
			f, ok := r.final.(Failed)
			if !ok || !strings.Contains(f.Sentence, "sent more than 8 MB for one answer") {
				t.Fatalf("final %#v", r.final)
			}
			msgs, _ := st.Messages(conv)
			if len(msgs) != 2 || msgs[0].Content != "q" || msgs[1].State != store.StateFailed || msgs[1].Content != want[name] {
				t.Errorf("stored %d messages; answer %s with %d bytes", len(msgs), msgs[len(msgs)-1].State, len(msgs[len(msgs)-1].Content))
			}
		})
	}
}

// handClock is a clock the test moves by hand, safe for concurrent use.
type handClock struct{ ns atomic.Int64 }

func newHandClock() *handClock {
	c := &handClock{}
	c.ns.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}
func (c *handClock) now() time.Time      { return time.Unix(0, c.ns.Load()) }
func (c *handClock) add(d time.Duration) { c.ns.Add(int64(d)) }

func TestMetricsMeasureFirstTokenSpeedAndTokens(t *testing.T) {
	clock := newHandClock()
	var firstDelay atomic.Int64
	next := make(chan struct{})
	usage := `,"usage":{"prompt_tokens":5,"completion_tokens":20}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		withUsage := r.URL.Path != "/silent/chat/completions"
		w.Header().Set("Content-Type", "text/event-stream")
		clock.add(time.Duration(firstDelay.Load())) // the provider thinking
		fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{\"content\":\"one two three\"}}]}\n\n")
		w.(http.Flusher).Flush()
		<-next // the test moves the clock while the answer streams
		u := ""
		if withUsage {
			u = usage
		}
		fmt.Fprintf(w, "data: {\"choices\":[{\"delta\":{\"content\":\" four five\"},\"finish_reason\":\"stop\"}]%s}\n\ndata: [DONE]\n\n", u)
	}))
	t.Cleanup(srv.Close)
	st := openStore(t)
	putProvider(t, st, store.Provider{Name: "p", BaseURL: srv.URL})
	putProvider(t, st, store.Provider{Name: "silent", BaseURL: srv.URL + "/silent"}) // sends no usage
	e := New(st, Options{})
	e.now = clock.now

	ask := func(provider string, ttft time.Duration) {
		t.Helper()
		firstDelay.Store(int64(ttft))
		events, err := e.Send(context.Background(), newConversation(t, st), "q", SendOptions{Provider: provider, NoCache: true})
		if err != nil {
			t.Fatal(err)
		}
		for ev := range events {
			if _, ok := ev.(Delta); ok {
				break // the first token has been timed
			}
		}
		clock.add(2 * time.Second)
		close(next)
		if r := drain(t, events); r.final == nil {
			t.Fatal("no final event")
		} else if _, ok := r.final.(Done); !ok {
			t.Fatalf("%#v", r.final)
		}
		next = make(chan struct{})
	}
	for i := 1; i <= 10; i++ {
		ask("p", time.Duration(i)*100*time.Millisecond)
	}
	ask("silent", 50*time.Millisecond)

	m, err := e.Metrics()
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 2 {
		t.Fatalf("metrics %+v", m)
	}
	p, silent := m[0], m[1]
	if p.Requests != 10 || p.TTFTP50Millis != 500 || p.TTFTP95Millis != 1000 || p.TokensIn != 50 || p.TokensOut != 200 || p.TokensPerSecond != 10 {
		t.Errorf("p: %+v; want 10 requests, TTFT p50 500 ms, p95 1000 ms, 50 tokens in, 200 out, 10 tokens/s", p)
	}
	// Without usage from the provider, deskchat's own count, as in the
	// ledger.
	out, _ := tokens.Count("m", "one two three four five")
	if silent.Requests != 1 || silent.TTFTP50Millis != 50 || silent.TokensOut != int64(out) || silent.TokensIn < 1 ||
		silent.TokensPerSecond != float64(out)/2 {
		t.Errorf("silent: %+v; want some tokens in, %d out, %g tokens/s", silent, out, float64(out)/2)
	}
}

// stepTimers are engine timers on a handClock that fire only when the driver
// moves the clock to their deadline.
type stepTimers struct {
	clock *handClock
	mu    sync.Mutex
	wake  chan struct{} // signalled on every new timer
	heap  []stepTimer
}

type stepTimer struct {
	at time.Time
	c  chan time.Time
}

func (s *stepTimers) timer(d time.Duration) (<-chan time.Time, func() bool) {
	c := make(chan time.Time, 1)
	s.mu.Lock()
	s.heap = append(s.heap, stepTimer{s.clock.now().Add(d), c})
	s.mu.Unlock()
	s.wake <- struct{}{}
	return c, func() bool { return true }
}

// fireEarliest moves the clock to the earliest deadline and fires that timer.
func (s *stepTimers) fireEarliest() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.heap) == 0 {
		return false
	}
	sort.Slice(s.heap, func(i, j int) bool { return s.heap[i].at.Before(s.heap[j].at) })
	t := s.heap[0]
	s.heap = s.heap[1:]
	if d := t.at.Sub(s.clock.now()); d > 0 {
		s.clock.add(d)
	}
	t.c <- t.at
	return true
}

// engineLimiterSchedule sends n requests at once through Engine.Send to a
// provider limited to rpm requests a minute, on a fake clock, and measures
// when each reaches the server. It returns the largest relative deviation
// of an arrival from the ideal schedule (one every minute/rpm) and the
// relative error of the observed rate against rpm.
func engineLimiterSchedule(tb testing.TB, n, rpm int) (worst, rateErr float64) {
	tb.Helper()
	clock := newHandClock()
	arrivals := make(chan time.Time, n)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrivals <- clock.now()
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: {\"choices\":[{\"delta\":{\"content\":\"ok\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
	}))
	defer srv.Close()
	st, err := store.Open(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	defer st.Close()
	if err := st.PutProvider(store.Provider{Name: "p", Kind: store.KindCompatible, BaseURL: srv.URL, Model: "m",
		RequestsPerMinute: rpm, MaxConcurrent: n, MaxQueued: n}); err != nil {
		tb.Fatal(err)
	}
	e := New(st, Options{})
	st2 := &stepTimers{clock: clock, wake: make(chan struct{}, n)}
	e.now, e.timer = clock.now, st2.timer
	convs := make([]string, n)
	for i := range convs {
		c, err := st.CreateConversation(store.Conversation{})
		if err != nil {
			tb.Fatal(err)
		}
		convs[i] = c.ID
	}
	var wg sync.WaitGroup
	failed := make(chan Event, n)
	for i := 0; i < n; i++ {
		events, err := e.Send(context.Background(), convs[i], fmt.Sprint("question ", i), SendOptions{Provider: "p", NoCache: true})
		if err != nil {
			tb.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ev := range events {
				if _, ok := ev.(Done); !ok && isFinal(ev) {
					failed <- ev
				}
			}
		}()
	}
	// Every request either went straight through or waits on a timer;
	// then the clock moves from deadline to deadline, each time once the
	// request it released has reached the server.
	var at []time.Time
	timeout := time.After(60 * time.Second)
	for settled := 0; settled < n; {
		select {
		case <-st2.wake:
		case a := <-arrivals:
			at = append(at, a)
		case <-timeout:
			tb.Fatalf("%d of %d requests settled", settled, n)
		}
		settled++
	}
	for st2.fireEarliest() {
		select {
		case a := <-arrivals:
			at = append(at, a)
		case <-timeout:
			tb.Fatalf("%d of %d requests arrived", len(at), n)
		}
	}
	wg.Wait()
	close(failed)
	for ev := range failed {
		tb.Fatalf("a request ended %#v", ev)
	}
	if len(at) != n {
		tb.Fatalf("%d arrivals, want %d", len(at), n)
	}
	sort.Slice(at, func(i, j int) bool { return at[i].Before(at[j]) })
	step := time.Minute / time.Duration(rpm)
	for i := 1; i < n; i++ {
		ideal := time.Duration(i) * step
		worst = math.Max(worst, math.Abs(float64(at[i].Sub(at[0])-ideal))/float64(ideal))
	}
	observed := float64(n-1) / at[n-1].Sub(at[0]).Minutes()
	return worst, math.Abs(observed-float64(rpm)) / float64(rpm)
}

// TestLimiterScheduleThroughTheEngine sends 120 requests at once through a
// 600 requests/min limit: they reach the server one every 100 ms.
func TestLimiterScheduleThroughTheEngine(t *testing.T) {
	worst, rateErr := engineLimiterSchedule(t, 120, 600)
	if worst > 0.01 || rateErr > 0.01 {
		t.Fatalf("deviation %.4f from the ideal schedule, rate error %.4f", worst, rateErr)
	}
}

// The answer exists in the store from the moment Send returns, while the
// request still waits for a slot: it shows as streaming and would be
// recovered as interrupted after a crash. Stopped before any provider
// answered, it is removed again.
func TestAQueuedAnswerIsStoredAndRemovedWhenStoppedBeforeItStarts(t *testing.T) {
	st := openStore(t)
	e := New(st, Options{})
	holdOnlySlot(t, st, e)
	conv2 := newConversation(t, st)
	ctx2, cancel2 := context.WithCancel(context.Background())
	ev2, err := e.Send(ctx2, conv2, "b", SendOptions{Provider: "one"})
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := st.Messages(conv2)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 || msgs[0].Role != store.RoleUser || msgs[1].Role != store.RoleAssistant ||
		msgs[1].State != store.StateStreaming || msgs[1].Content != "" || msgs[1].Provider != "one" || msgs[1].Model != "m1" {
		t.Fatalf("stored right after Send: %+v", msgs)
	}
	if q, ok := (<-ev2).(Queued); !ok || q.Position != 1 {
		t.Fatalf("second request: %#v, want Queued #1", q)
	}
	cancel2()
	if r := drain(t, ev2); r.final == nil {
		t.Fatal("no final event")
	} else if _, ok := r.final.(Stopped); !ok {
		t.Fatalf("final %#v, want Stopped", r.final)
	}
	msgs, _ = st.Messages(conv2)
	if len(msgs) != 1 || msgs[0].Role != store.RoleUser {
		t.Fatalf("after stopping while queued: %+v; want the question alone", msgs)
	}
}

// A burst writes its provider's metrics rarely (at most every
// metricsEvery), but its last request always does: the store ends with
// every request counted.
func TestABurstEndsWithItsMetricsStored(t *testing.T) {
	srv, _ := sseServer(t, []byte("data: {\"choices\":[{\"delta\":{\"content\":\"ok\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"))
	dir := t.TempDir()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	putProvider(t, st, store.Provider{Name: "p", BaseURL: srv.URL, MaxConcurrent: 2})
	e, _ := fakeClockEngine(st) // the clock stands still: only the last request is due
	const n = 12
	var all []<-chan Event
	for i := 0; i < n; i++ {
		events, err := e.Send(context.Background(), newConversation(t, st), fmt.Sprint("q", i), SendOptions{Provider: "p", NoCache: true})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, events)
	}
	for _, events := range all {
		if r := drain(t, events); r.text != "ok" {
			t.Fatalf("%q %#v", r.text, r.final)
		}
	}
	st.Close()
	st, _ = store.Open(dir)
	defer st.Close()
	m, err := New(st, Options{}).Metrics()
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 1 || m[0].Requests != n {
		t.Fatalf("metrics %+v, want %d requests", m, n)
	}
}
