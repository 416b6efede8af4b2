package engine

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"deskchat/store"
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
			<-srv.arrived // the leader's request is upstream
		} else {
			<-joined
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
	cancels[1]() // a follower stops
	if r := drain(t, evs[1]); r.text != "first" {
		t.Errorf("stopped follower got %q, %#v", r.text, r.final)
	}
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
	<-srv.hungUp // the server saw the client go
}
