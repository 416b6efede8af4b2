package engine

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deskchat/deskchat/store"
)

// gatedServer streams "first", then waits for release (or the client to
// hang up) before streaming " second" and finishing. It counts requests,
// and reports each arrival and each hang-up.
type gatedServer struct {
	*httptest.Server
	n       atomic.Int32
	arrived chan struct{}
	release chan struct{}
	hungUp  chan struct{}
}

func newGatedServer(t *testing.T) *gatedServer {
	t.Helper()
	g := &gatedServer{arrived: make(chan struct{}, 16), release: make(chan struct{}), hungUp: make(chan struct{}, 16)}
	g.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.n.Add(1)
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{\"content\":\"first\"}}]}\n\n")
		w.(http.Flusher).Flush()
		g.arrived <- struct{}{}
		select {
		case <-g.release:
		case <-r.Context().Done():
			g.hungUp <- struct{}{}
			return
		}
		fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{\"content\":\" second\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
	}))
	t.Cleanup(g.Close)
	return g
}

// sharedAsk sends the same question from n new conversations: the first
// reaches the server, the others join it in flight.
func sharedAsk(t *testing.T, n int) (*Engine, *store.Store, *gatedServer, []string, []<-chan Event, []context.CancelFunc) {
	t.Helper()
	srv := newGatedServer(t)
	st := openStore(t)
	putProvider(t, st, store.Provider{Name: "p", BaseURL: srv.URL})
	e := New(st, Options{})
	joined := make(chan struct{}, n)
	e.onJoin = func() { joined <- struct{}{} }
	var convs []string
	var evs []<-chan Event
	var cancels []context.CancelFunc
	for i := 0; i < n; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		conv := newConversation(t, st)
		events, err := e.Send(ctx, conv, "the same question", SendOptions{Provider: "p"})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			within(t, srv.arrived) // the leader's request is upstream
		} else {
			within(t, joined)
		}
		convs, evs, cancels = append(convs, conv), append(evs, events), append(cancels, cancel)
	}
	return e, st, srv, convs, evs, cancels
}

func lastAnswer(t *testing.T, st *store.Store, conv string) store.Message {
	t.Helper()
	msgs, err := st.Messages(conv)
	if err != nil {
		t.Fatal(err)
	}
	return msgs[len(msgs)-1]
}

func TestIdenticalRequestsShareOneUpstreamStream(t *testing.T) {
	_, st, srv, convs, evs, _ := sharedAsk(t, 5)
	close(srv.release)
	for i, events := range evs {
		r := drain(t, events)
		if _, ok := r.final.(Done); !ok || r.text != "first second" {
			t.Errorf("caller %d: %#v %q", i, r.final, r.text)
		}
		if r.started == nil || r.started.ConversationID != convs[i] {
			t.Errorf("caller %d started %+v", i, r.started)
		}
		if a := lastAnswer(t, st, convs[i]); a.Content != "first second" || a.State != store.StateDone || a.Provider != "p" {
			t.Errorf("caller %d stored %+v", i, a)
		}
	}
	if n := srv.n.Load(); n != 1 {
		t.Errorf("%d upstream requests, want 1", n)
	}
}

func TestCallersWhoStopLeaveTheOthersTheirAnswer(t *testing.T) {
	_, st, srv, convs, evs, cancels := sharedAsk(t, 3)
	// Each caller that stops has "first" when it stops.
	untilDelta(t, evs[1])
	cancels[1]() // a follower stops
	if r := drain(t, evs[1]); r.text != "" {
		t.Errorf("stopped follower got %q more, %#v", r.text, r.final)
	}
	untilDelta(t, evs[0])
	cancels[0]() // the leader stops: Stopped at once, the upstream goes on
	if r := drain(t, evs[0]); r.final == nil {
		t.Fatal("leader not stopped")
	} else if _, ok := r.final.(Stopped); !ok {
		t.Fatalf("leader ended %#v", r.final)
	}
	close(srv.release)
	if r := drain(t, evs[2]); r.text != "first second" {
		t.Errorf("remaining follower got %q, %#v", r.text, r.final)
	}
	if a := lastAnswer(t, st, convs[1]); a.State != store.StateStopped || a.Content != "first" {
		t.Errorf("stopped follower stored %+v", a)
	}
	// The leader's answer was cut back to what it had when it stopped,
	// before the shared stream ended for the others.
	if a := lastAnswer(t, st, convs[0]); a.State != store.StateStopped || a.Content != "first" {
		t.Errorf("stopped leader stored %+v", a)
	}
	if a := lastAnswer(t, st, convs[2]); a.State != store.StateDone || a.Content != "first second" {
		t.Errorf("remaining follower stored %+v", a)
	}
	if n := srv.n.Load(); n != 1 {
		t.Errorf("%d upstream requests, want 1", n)
	}
}

func TestTheUpstreamClosesWhenEveryCallerHasLeft(t *testing.T) {
	_, _, srv, _, evs, cancels := sharedAsk(t, 2)
	cancels[1]()
	drain(t, evs[1])
	cancels[0]()
	drain(t, evs[0])
	within(t, srv.hungUp) // the server saw the client go
}

// untilDelta reads events up to the first Delta, which must be "first".
func untilDelta(t *testing.T, events <-chan Event) {
	t.Helper()
	for {
		ev, ok := within2(t, events)
		if !ok {
			t.Fatal("events ended before the first text")
		}
		if d, ok := ev.(Delta); ok {
			if d.Text != "first" {
				t.Fatalf("first text %q", d.Text)
			}
			return
		}
	}
}

// within2 receives from ch, failing the test after 10 s rather than hanging.
func within2[T any](t *testing.T, ch <-chan T) (T, bool) {
	t.Helper()
	select {
	case v, ok := <-ch:
		return v, ok
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting")
		panic("unreachable")
	}
}

// within waits for ch, failing the test after 10 s rather than hanging.
func within[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting")
		panic("unreachable")
	}
}

// drainAll is drain that also returns every event, in order.
func drainAll(t *testing.T, events <-chan Event) (result, []Event) {
	t.Helper()
	var all []Event
	relay := make(chan Event, 64)
	go func() {
		defer close(relay)
		for ev := range events {
			all = append(all, ev)
			relay <- ev
		}
	}()
	r := drain(t, relay)
	return r, all
}

func TestALateCallerGetsTheTextThatAlreadyArrived(t *testing.T) {
	srv := newGatedServer(t)
	st := openStore(t)
	putProvider(t, st, store.Provider{Name: "p", BaseURL: srv.URL})
	e := New(st, Options{})
	joined := make(chan struct{}, 1)
	e.onJoin = func() { joined <- struct{}{} }
	ctx := context.Background()

	first, second := newConversation(t, st), newConversation(t, st)
	leader, err := e.Send(ctx, first, "the same question", SendOptions{Provider: "p"})
	if err != nil {
		t.Fatal(err)
	}
	// The leader has received "first" before the second caller asks.
	var lead result
	for ev := range leader {
		if d, ok := ev.(Delta); ok {
			lead.text += d.Text
			break
		}
	}
	if lead.text != "first" {
		t.Fatalf("leader got %q before the join", lead.text)
	}
	late, err := e.Send(ctx, second, "the same question", SendOptions{Provider: "p"})
	if err != nil {
		t.Fatal(err)
	}
	within(t, joined)
	close(srv.release)
	if r := drain(t, late); r.text != "first second" {
		t.Errorf("late caller got %q, %#v", r.text, r.final)
	}
	if r := drain(t, leader); lead.text+r.text != "first second" {
		t.Errorf("leader got %q", lead.text+r.text)
	}
	for _, conv := range []string{first, second} {
		if a := lastAnswer(t, st, conv); a.Content != "first second" || a.State != store.StateDone {
			t.Errorf("%s stored %+v", conv, a)
		}
	}
	if n := srv.n.Load(); n != 1 {
		t.Errorf("%d upstream requests, want 1", n)
	}
}

func TestManyIdenticalCallersAtOnceShareOneStream(t *testing.T) {
	const n = 40
	srv := newGatedServer(t)
	st := openStore(t)
	putProvider(t, st, store.Provider{Name: "p", BaseURL: srv.URL})
	e := New(st, Options{})
	joined := make(chan struct{}, n)
	e.onJoin = func() { joined <- struct{}{} }
	convs := make([]string, n)
	for i := range convs {
		convs[i] = newConversation(t, st)
	}
	evs := make([]<-chan Event, n)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ { // all at once: whoever comes first leads
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			ev, err := e.Send(context.Background(), convs[i], "the same question", SendOptions{Provider: "p"})
			evs[i] = ev
			errs <- err
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	within(t, srv.arrived)
	for i := 0; i < n-1; i++ {
		within(t, joined)
	}
	close(srv.release)
	for i := range evs {
		if r := drain(t, evs[i]); r.text != "first second" {
			t.Errorf("caller %d got %q, %#v", i, r.text, r.final)
		}
		if a := lastAnswer(t, st, convs[i]); a.Content != "first second" || a.State != store.StateDone {
			t.Errorf("caller %d stored %+v", i, a)
		}
	}
	if got := srv.n.Load(); got != 1 {
		t.Errorf("%d upstream requests, want 1", got)
	}
}

func TestRequestsThatDifferAreNotShared(t *testing.T) {
	srv := newGatedServer(t)
	st := openStore(t)
	putProvider(t, st, store.Provider{Name: "p", BaseURL: srv.URL, MaxConcurrent: 20})
	putProvider(t, st, store.Provider{Name: "q", BaseURL: srv.URL + "/other"})
	e := New(st, Options{})
	e.onJoin = func() { t.Error("a different request joined") }
	warm, cool := float32(0.9), float32(0.1)
	var evs []<-chan Event
	for _, tc := range []struct {
		text string
		opts SendOptions
	}{
		{"question", SendOptions{Provider: "p"}},
		{"question", SendOptions{Provider: "p", Model: "m2"}},                // model
		{"question", SendOptions{Provider: "p", Temperature: &warm}},         // sampling
		{"question", SendOptions{Provider: "p", Temperature: &cool}},         // sampling
		{"question", SendOptions{Provider: "p", MaxTokens: 50}},              // sampling
		{"question", SendOptions{Provider: "q"}},                             // endpoint
		{"question", SendOptions{Provider: "p", System: "Be brief."}},        // messages
		{"another question", SendOptions{Provider: "p"}},                     // messages
		{"question", SendOptions{Provider: "p", NoCache: true}},              // asked not to share
		{"question", SendOptions{Provider: "p", Model: "m2", NoCache: true}}, // ditto
	} {
		ev, err := e.Send(context.Background(), newConversation(t, st), tc.text, tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		within(t, srv.arrived)
		evs = append(evs, ev)
	}
	close(srv.release)
	for i, ev := range evs {
		if r := drain(t, ev); r.text != "first second" {
			t.Errorf("request %d got %q, %#v", i, r.text, r.final)
		}
	}
	if got := srv.n.Load(); got != int32(len(evs)) {
		t.Errorf("%d upstream requests, want %d", got, len(evs))
	}
}

func TestCallersJoiningAFallbackHearWhatHappened(t *testing.T) {
	bad, badN := scriptServer(t, status(503))
	good := newGatedServer(t)
	st := openStore(t)
	one := 1
	putProvider(t, st, store.Provider{Name: "primary", BaseURL: bad.URL, MaxRetries: &one, Fallback: "backup"})
	putProvider(t, st, store.Provider{Name: "backup", BaseURL: good.URL, Model: "small"})
	e, _ := fakeClockEngine(st)
	joined := make(chan struct{}, 1)
	e.onJoin = func() { joined <- struct{}{} }
	first, second := newConversation(t, st), newConversation(t, st)
	leader, err := e.Send(context.Background(), first, "q", SendOptions{Provider: "primary"})
	if err != nil {
		t.Fatal(err)
	}
	within(t, good.arrived) // the primary failed twice; the backup is answering
	follower, err := e.Send(context.Background(), second, "q", SendOptions{Provider: "primary"})
	if err != nil {
		t.Fatal(err)
	}
	within(t, joined)
	close(good.release)
	for name, ch := range map[string]<-chan Event{"leader": leader, "follower": follower} {
		r, all := drainAll(t, ch)
		var states []string
		for _, ev := range all {
			switch ev := ev.(type) {
			case Retrying:
				states = append(states, fmt.Sprintf("retrying %d", ev.Attempt))
			case FellBack:
				states = append(states, "fell back "+ev.From+" → "+ev.To)
			}
		}
		if fmt.Sprint(states) != "[retrying 1 fell back primary → backup]" {
			t.Errorf("%s heard %v", name, states)
		}
		if r.text != "first second" || r.started == nil || r.started.Provider != "backup" || r.started.Model != "small" {
			t.Errorf("%s got %q from %+v", name, r.text, r.started)
		}
	}
	for _, conv := range []string{first, second} {
		if a := lastAnswer(t, st, conv); a.Provider != "backup" || a.Model != "small" || a.Content != "first second" {
			t.Errorf("stored %+v", a)
		}
	}
	if badN.Load() != 2 || good.n.Load() != 1 {
		t.Errorf("primary %d requests (want 2), backup %d (want 1)", badN.Load(), good.n.Load())
	}
}

func TestAFlightEveryoneLeftTakesNoOneElse(t *testing.T) {
	f := newFlight(func() {})
	if !f.join() {
		t.Fatal("join of a live flight failed")
	}
	f.leave()
	f.leave() // the last reader is gone: the upstream is being cancelled
	if f.join() {
		t.Error("a new caller joined a flight whose upstream is being cancelled")
	}
}

func TestAStoppedSoleCallerDoesNotSpoilTheNextIdenticalRequest(t *testing.T) {
	srv := newGatedServer(t)
	st := openStore(t)
	putProvider(t, st, store.Provider{Name: "p", BaseURL: srv.URL})
	e := New(st, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	ev, err := e.Send(ctx, newConversation(t, st), "q", SendOptions{Provider: "p"})
	if err != nil {
		t.Fatal(err)
	}
	within(t, srv.arrived)
	// The next identical request comes while the first caller's leaving is
	// under way: it joins before, or starts its own stream after, never a
	// flight being cancelled. The server lets every stream finish from now
	// on, so the stopped caller may also have received the whole answer.
	cancel()
	ev2, err := e.Send(context.Background(), newConversation(t, st), "q", SendOptions{Provider: "p"})
	if err != nil {
		t.Fatal(err)
	}
	close(srv.release)
	if r := drain(t, ev); r.final == nil {
		t.Fatal("no final event")
	}
	if r := drain(t, ev2); r.text != "first second" {
		t.Errorf("next caller got %q, %#v", r.text, r.final)
	}
}
