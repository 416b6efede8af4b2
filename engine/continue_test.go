package engine

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deskchat/deskchat/store"
)

// unfinished stores a question and an answer left in state, as a crash
// (interrupted), a stop or a failure leaves them.
func unfinished(t *testing.T, st *store.Store, state store.State, text string) (conv string, seq uint64) {
	t.Helper()
	conv = newConversation(t, st)
	if _, err := st.AppendMessage(store.Message{ConversationID: conv, Role: store.RoleUser, Content: "Say hello to the world."}); err != nil {
		t.Fatal(err)
	}
	a, err := st.AppendMessage(store.Message{ConversationID: conv, Role: store.RoleAssistant, Content: text, State: state, Error: "it broke", Provider: "test", Model: "m"})
	if err != nil {
		t.Fatal(err)
	}
	return conv, a.Seq
}

func TestContinueAppendsToTheSavedText(t *testing.T) {
	for _, state := range []store.State{store.StateInterrupted, store.StateStopped, store.StateFailed} {
		t.Run(string(state), func(t *testing.T) {
			srv, j := sseServer(t, []byte("data: {\"choices\":[{\"delta\":{\"content\":\"ld!\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"))
			st := openStore(t)
			e := New(st, Options{})
			conv, seq := unfinished(t, st, state, "Hello, wor")

			events, err := e.Continue(context.Background(), conv, seq, SendOptions{Endpoint: endpoint(srv.URL)})
			if err != nil {
				t.Fatal(err)
			}
			r := drain(t, events)
			if _, ok := r.final.(Done); !ok {
				t.Fatalf("final %#v", r.final)
			}
			if r.text != "ld!" {
				t.Errorf("deltas %q, want the new text only", r.text)
			}
			if r.started == nil || r.started.AssistantSeq != seq {
				t.Errorf("started %+v, want the continued answer %d", r.started, seq)
			}
			msgs, _ := st.Messages(conv)
			if len(msgs) != 2 || msgs[1].Content != "Hello, world!" || msgs[1].State != store.StateDone || msgs[1].Error != "" {
				t.Fatalf("stored %+v", msgs)
			}
			// The request: the question, the answer so far, then the
			// instruction to go on.
			sent, _ := j.last()["messages"].([]any)
			if len(sent) < 3 {
				t.Fatalf("sent %v", sent)
			}
			last3 := sent[len(sent)-3:]
			want := []struct{ role, content string }{{"user", "Say hello to the world."}, {"assistant", "Hello, wor"}, {"user", continuePrompt}}
			for i, w := range want {
				m := last3[i].(map[string]any)
				if m["role"] != w.role || m["content"] != w.content {
					t.Errorf("message %d sent %v, want %s %q", i, m, w.role, w.content)
				}
			}
		})
	}
}

func TestContinueRefusesWhatIsNotAnUnfinishedLastAnswer(t *testing.T) {
	srv, j := sseServer(t, []byte("data: [DONE]\n\n"))
	st := openStore(t)
	e := New(st, Options{})

	done, doneSeq := unfinished(t, st, store.StateDone, "complete")
	mid, midSeq := unfinished(t, st, store.StateInterrupted, "cut")
	st.AppendMessage(store.Message{ConversationID: mid, Role: store.RoleUser, Content: "a later question"})

	for name, c := range map[string]struct {
		conv string
		seq  uint64
	}{"finished": {done, doneSeq}, "not the last": {mid, midSeq}, "a question": {done, doneSeq - 1}, "missing": {done, 99}} {
		t.Run(name, func(t *testing.T) {
			before, _ := st.Messages(c.conv)
			if _, err := e.Continue(context.Background(), c.conv, c.seq, SendOptions{Endpoint: endpoint(srv.URL)}); err == nil {
				t.Fatal("continued")
			} else if s := UserMessage(err); s == "" {
				t.Fatal("no sentence")
			}
			after, _ := st.Messages(c.conv)
			if len(after) != len(before) || !reflect.DeepEqual(after[len(after)-1], before[len(before)-1]) {
				t.Fatalf("store changed: %+v → %+v", before, after)
			}
		})
	}
	if len(j.reqs) != 0 {
		t.Fatalf("%d requests sent", len(j.reqs))
	}
}

// Stopped before any provider answered, a continued answer keeps its text.
func TestContinueStoppedBeforeItStartsKeepsTheText(t *testing.T) {
	st := openStore(t)
	e := New(st, Options{})
	holdOnlySlot(t, st, e)
	conv, seq := unfinished(t, st, store.StateInterrupted, "half")
	ctx2, cancel2 := context.WithCancel(context.Background())
	ev2, err := e.Continue(ctx2, conv, seq, SendOptions{Provider: "one"})
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := st.Message(conv, seq); m.State != store.StateStreaming {
		t.Fatalf("while queued: %+v", m)
	}
	if _, ok := (<-ev2).(Queued); !ok {
		t.Fatal("not queued")
	}
	cancel2()
	if r := drain(t, ev2); !isStopped(r.final) {
		t.Fatalf("final %#v", r.final)
	}
	if m, err := st.Message(conv, seq); err != nil || m.Content != "half" || m.State != store.StateStopped {
		t.Fatalf("after stop: %+v, %v", m, err)
	}
}

func isStopped(ev Event) bool {
	_, ok := ev.(Stopped)
	return ok
}

// Send stores the question while the job already runs; when that commit
// fails, Send returns the store's sentence, the upstream request (if it got
// that far) is cancelled, and nothing is stored or billed.
func TestSendWhoseQuestionCannotBeStoredStopsTheJob(t *testing.T) {
	srv, hangup := blockingServer(t, "never shown")
	st := openStore(t)
	e := New(st, Options{})
	conv := newConversation(t, st)
	arrived := make(chan struct{})
	e.beforeSave = func() {
		// The job runs: wait until its request reaches the provider, then
		// make the commit fail.
		select {
		case <-arrived:
		case <-time.After(5 * time.Second):
			t.Error("the request did not go out while the question was being stored")
		}
		if err := st.DeleteConversation(conv); err != nil {
			t.Error(err)
		}
	}
	wrapped := httptestProxy(t, srv.URL, arrived)
	events, err := e.Send(context.Background(), conv, "q", SendOptions{Endpoint: endpoint(wrapped)})
	if err == nil || events != nil {
		t.Fatalf("Send: %v, %v; want an error and no channel", events, err)
	}
	if s := UserMessage(err); !strings.Contains(s, "no longer exists") {
		t.Errorf("sentence %q", s)
	}
	select {
	case <-hangup:
	case <-time.After(5 * time.Second):
		t.Fatal("the upstream request was not cancelled")
	}
	if recs, _ := st.Usage(time.Time{}, time.Now().Add(time.Hour)); len(recs) != 0 {
		t.Errorf("billed: %+v", recs)
	}
	if convs, _ := st.Conversations(); len(convs) != 0 {
		t.Errorf("stored: %+v", convs)
	}
}

// httptestProxy forwards to target and closes arrived when the first
// request comes in.
func httptestProxy(t *testing.T, target string, arrived chan struct{}) string {
	t.Helper()
	var once sync.Once
	u, _ := url.Parse(target)
	p := httputil.NewSingleHostReverseProxy(u)
	p.FlushInterval = -1
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(arrived) })
		p.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
