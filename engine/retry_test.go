package engine

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deskchat/deskchat/store"
)

// fakeTimers makes every engine wait fire at once and records the durations
// asked for.
type fakeTimers struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (f *fakeTimers) timer(d time.Duration) (<-chan time.Time, func() bool) {
	f.mu.Lock()
	f.waits = append(f.waits, d)
	f.mu.Unlock()
	c := make(chan time.Time, 1)
	c <- time.Now()
	return c, func() bool { return true }
}

func (f *fakeTimers) recorded() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.waits...)
}

func fakeClockEngine(st *store.Store) (*Engine, *fakeTimers) {
	e := New(st, Options{})
	ft := &fakeTimers{}
	e.timer = ft.timer
	e.jitter = func() float64 { return 0 }
	return e, ft
}

// scriptServer answers the n-th request with script[n] (the last entry
// repeats) and counts the requests.
func scriptServer(t *testing.T, script ...http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if i >= len(script) {
			i = len(script) - 1
		}
		script[i](w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func status(code int, headers ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"error":{"message":"status %d","type":"x"}}`, code)
	}
}

func answer(text string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprintf(w, "data: {\"choices\":[{\"delta\":{\"content\":%q},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n", text)
	}
}

func collectRetries(t *testing.T, events <-chan Event) ([]Retrying, result) {
	t.Helper()
	var retries []Retrying
	relay := make(chan Event, 64)
	go func() {
		defer close(relay)
		for ev := range events {
			if r, ok := ev.(Retrying); ok {
				retries = append(retries, r)
			}
			relay <- ev
		}
	}()
	r := drain(t, relay)
	return retries, r
}

func TestRetryPolicy(t *testing.T) {
	tests := []struct {
		name         string
		script       []http.HandlerFunc
		wantAttempts int32
		wantWaits    []time.Duration
		wantReasons  []string
		wantFinal    string // "done" or a fragment of the failure sentence
	}{
		{"500 then success", []http.HandlerFunc{status(500), status(503), answer("ok")}, 3,
			[]time.Duration{500 * time.Millisecond, time.Second}, []string{"server error 500", "server error 503"}, "done"},
		{"500 forever", []http.HandlerFunc{status(500)}, 3,
			[]time.Duration{500 * time.Millisecond, time.Second}, nil, "server error (HTTP 500)"},
		{"429 with Retry-After seconds", []http.HandlerFunc{status(429, "Retry-After", "3"), answer("ok")}, 2,
			[]time.Duration{3 * time.Second}, []string{"429 rate limited"}, "done"},
		{"429 with retry-after-ms", []http.HandlerFunc{status(429, "Retry-After-Ms", "1500", "Retry-After", "2"), answer("ok")}, 2,
			[]time.Duration{1500 * time.Millisecond}, nil, "done"},
		{"429 asking for too long", []http.HandlerFunc{status(429, "Retry-After", "120")}, 1,
			nil, nil, "asks to wait 2 min before the next request. Try again after"},
		{"429 with nonsense Retry-After", []http.HandlerFunc{status(429, "Retry-After", "-7"), status(429, "Retry-After", "soon"), answer("ok")}, 3,
			[]time.Duration{500 * time.Millisecond, time.Second}, nil, "done"},
		{"408 and 409 retried", []http.HandlerFunc{status(408), status(409), answer("ok")}, 3,
			[]time.Duration{500 * time.Millisecond, time.Second}, []string{"HTTP 408", "HTTP 409"}, "done"},
		{"400 not retried", []http.HandlerFunc{status(400)}, 1, nil, nil, "refused the request (HTTP 400)"},
		{"401 not retried", []http.HandlerFunc{status(401)}, 1, nil, nil, "was rejected"},
		{"failure after the first token not retried", []http.HandlerFunc{func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{\"content\":\"par\"}}]}\n\n")
		}}, 1, nil, nil, "closed the connection"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, n := scriptServer(t, tt.script...)
			st := openStore(t)
			e, ft := fakeClockEngine(st)
			conv := newConversation(t, st)
			events, err := e.Send(context.Background(), conv, "q", SendOptions{Endpoint: endpoint(srv.URL)})
			if err != nil {
				t.Fatal(err)
			}
			retries, r := collectRetries(t, events)
			if got := n.Load(); got != tt.wantAttempts {
				t.Errorf("%d upstream attempts, want %d", got, tt.wantAttempts)
			}
			if fmt.Sprint(ft.recorded()) != fmt.Sprint(tt.wantWaits) {
				t.Errorf("waits %v, want %v", ft.recorded(), tt.wantWaits)
			}
			if len(retries) != len(tt.wantWaits) {
				t.Fatalf("%d retrying events, want %d", len(retries), len(tt.wantWaits))
			}
			for i, rt := range retries {
				if rt.Attempt != i+1 || rt.After != tt.wantWaits[i] {
					t.Errorf("retry event %d: %+v", i, rt)
				}
				if tt.wantReasons != nil && rt.Reason != tt.wantReasons[i] {
					t.Errorf("retry reason %q, want %q", rt.Reason, tt.wantReasons[i])
				}
			}
			switch f := r.final.(type) {
			case Done:
				if tt.wantFinal != "done" {
					t.Errorf("done, want failure %q", tt.wantFinal)
				}
			case Failed:
				if !strings.Contains(f.Sentence, tt.wantFinal) {
					t.Errorf("failed with %q, want %q", f.Sentence, tt.wantFinal)
				}
				msgs, _ := st.Messages(conv)
				if len(msgs) != 2 || msgs[0].Content != "q" || msgs[1].State != store.StateFailed {
					t.Errorf("stored %+v", msgs)
				}
			default:
				t.Errorf("final %#v", r.final)
			}
		})
	}
}

func TestRetryWaitIsCancellable(t *testing.T) {
	srv, n := scriptServer(t, status(503))
	st := openStore(t)
	e := New(st, Options{})
	e.jitter = func() float64 { return 0 }
	blocked := make(chan struct{})
	e.timer = func(time.Duration) (<-chan time.Time, func() bool) {
		close(blocked)
		return make(chan time.Time), func() bool { return true } // never fires
	}
	ctx, cancel := context.WithCancel(context.Background())
	events, err := e.Send(ctx, newConversation(t, st), "q", SendOptions{Endpoint: endpoint(srv.URL)})
	if err != nil {
		t.Fatal(err)
	}
	<-blocked
	cancel()
	r := drain(t, events)
	if _, ok := r.final.(Stopped); !ok {
		t.Fatalf("final %#v", r.final)
	}
	if n.Load() != 1 {
		t.Errorf("%d attempts", n.Load())
	}
}

func TestMaxRetriesIsConfigurable(t *testing.T) {
	srv, n := scriptServer(t, status(502))
	st := openStore(t)
	zero, five := 0, 5
	for _, tc := range []struct {
		retries *int
		want    int32
	}{{&zero, 1}, {&five, 6}} {
		n.Store(0)
		name := fmt.Sprintf("p%d", *tc.retries)
		st.PutProvider(store.Provider{Name: name, Kind: store.KindCompatible, BaseURL: srv.URL, Model: "m", MaxRetries: tc.retries})
		e, _ := fakeClockEngine(st)
		events, err := e.Send(context.Background(), newConversation(t, st), "q", SendOptions{Provider: name})
		if err != nil {
			t.Fatal(err)
		}
		drain(t, events)
		if n.Load() != tc.want {
			t.Errorf("max_retries %d: %d attempts, want %d", *tc.retries, n.Load(), tc.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second}
	for i, w := range want {
		if got := backoff(i, 0); got != w {
			t.Errorf("attempt %d: %v, want %v", i, got, w)
		}
		if got := backoff(i, 0.999999); got <= w*3/4-time.Millisecond || got > w*3/4+time.Millisecond {
			t.Errorf("attempt %d with full jitter: %v, want about %v", i, got, w*3/4)
		}
	}
}
