package engine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/deskchat/deskchat/engine/llm"
	"github.com/deskchat/deskchat/internal/secrets"
	"github.com/deskchat/deskchat/store"
)

// echoKey is a key of OpenAI's shape; echoAzureKey has no known shape, so
// only the exact key sent can find it.
const (
	echoKey      = "sk-" + "test-ECHO-0123456789abcdefABCDEF" // split: a fake key, not one for secret scanners to flag
	echoAzureKey = "a0ECHO0123456789abcdef0123456789"
)

// sentCredential is the credential a request carried, as a proxy that
// echoes it would see it: the Authorization header, else Azure's api-key.
func sentCredential(r *http.Request) string {
	if v := r.Header.Get("Authorization"); v != "" {
		return v
	}
	return r.Header.Get("api-key")
}

func jsonError(status int, headers map[string]string, message func(cred string) string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for k, v := range headers {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprint(w, message(sentCredential(r)))
	}
}

func sseEcho(body func(cred string) string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, body(sentCredential(r)))
	}
}

// quoted is s as a JSON string's inside.
func quoted(s string) string { return strings.Trim(fmt.Sprintf("%q", s), `"`) }

// keyEchoCase is one way a provider echoes the key.
type keyEchoCase struct {
	name     string
	handler  http.HandlerFunc
	kind     ErrorKind
	requests int32 // how many requests the engine makes (retries)
}

// keyEchoCases are the ways a provider or proxy echoes the credential it
// got, one per error path.
var keyEchoCases = []keyEchoCase{
	{"400 body", jsonError(400, nil, func(c string) string {
		return `{"error":{"message":"Invalid header Authorization: ` + quoted(c) + `","type":"invalid_request_error"}}`
	}), llm.KindBadRequest, 1},
	{"400 body, the key where the message is cut", jsonError(400, nil, func(c string) string {
		return `{"error":{"message":"` + strings.Repeat("padding ", 35) + quoted(c) + `"}}`
	}), llm.KindBadRequest, 1},
	{"400 body, URL-encoded", jsonError(400, nil, func(c string) string {
		return `{"error":{"message":"proxy refused /v1/chat?auth=` + url.QueryEscape(c) + `"}}`
	}), llm.KindBadRequest, 1},
	{"429 body with Retry-After", jsonError(429, map[string]string{"Retry-After": "1"}, func(c string) string {
		return `{"error":{"message":"Rate limit reached for key ` + quoted(c) + `","code":"rate_limit_exceeded"}}`
	}), llm.KindRateLimited, 3},
	{"500 body after retries", jsonError(500, nil, func(c string) string {
		return `{"error":{"message":"upstream rejected ` + quoted(c) + `"}}`
	}), llm.KindServer, 3},
	{"error string body", jsonError(400, nil, func(c string) string {
		return `{"error":"bad credential ` + quoted(c) + `"}`
	}), llm.KindBadRequest, 1},
	{"HTML error page", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprintf(w, "<html><body><h1>502</h1><pre>Authorization: %s</pre></body></html>", sentCredential(r))
	}, llm.KindServer, 3},
	{"mid-stream error object", sseEcho(func(c string) string {
		return "data: {\"choices\":[{\"delta\":{\"content\":\"partial \"}}]}\n\n" +
			`data: {"error":{"message":"key ` + quoted(c) + ` was revoked","code":500}}` + "\n\n"
	}), llm.KindStreamError, 1},
	{"error after finish_reason (OpenRouter)", sseEcho(func(c string) string {
		return "data: {\"choices\":[{\"delta\":{\"content\":\"partial\"},\"finish_reason\":\"stop\"}]}\n\n" +
			`data: {"choices":[],"error":{"message":"Provider returned error","metadata":{"raw":"upstream saw ` + quoted(c) + `"}}}` + "\n\n"
	}), llm.KindStreamError, 1},
	{"event: error (Groq)", sseEcho(func(c string) string {
		return "data: {\"choices\":[{\"delta\":{\"content\":\"partial \"}}]}\n\n" +
			"event: error\n" + `data: {"error":{"message":"Invalid API Key ` + quoted(c) + `","type":"invalid_request_error"}}` + "\n\n"
	}), llm.KindStreamError, 1},
}

// TestKeysEchoedByAProviderAreNeverShownOrStored: whatever path a provider
// or proxy echoes the credential through, the key is in no sentence, no
// error text, and not in the history file's raw bytes after it is closed.
// Both the Bearer key (OpenAI's shape) and Azure's api-key (no known
// shape) are tried.
func TestKeysEchoedByAProviderAreNeverShownOrStored(t *testing.T) {
	for _, c := range keyEchoCases {
		for _, kind := range []string{store.KindCompatible, store.KindAzure} {
			t.Run(c.name+"/"+kind, func(t *testing.T) {
				e, st, key, n := echoRig(t, c, kind)

				conv := newConversation(t, st)
				events, err := e.Send(context.Background(), conv, "hello", SendOptions{Provider: "echo"})
				if err != nil {
					t.Fatalf("Send: %v", err)
				}
				res := drain(t, events)
				f, ok := res.final.(Failed)
				if !ok {
					t.Fatalf("final event %#v, want Failed", res.final)
				}
				var pe *ProviderError
				if !errors.As(f.Err, &pe) || pe.Kind != c.kind {
					t.Fatalf("error %v, want a %s *ProviderError", f.Err, c.kind)
				}
				if got := n.Load(); got != c.requests {
					t.Errorf("%d requests, want %d", got, c.requests)
				}
				assertNoKey(t, "the sentence", f.Sentence, key)
				assertNoKey(t, "the error's text", f.Err.Error(), key)
				msgs, err := st.Messages(conv)
				if err != nil {
					t.Fatal(err)
				}
				stored := msgs[len(msgs)-1]
				if stored.State != store.StateFailed || stored.Error != f.Sentence {
					t.Errorf("stored %s %q, want failed with %q", stored.State, stored.Error, f.Sentence)
				}
				assertNoKeyOnDisk(t, st, key)
			})
		}
	}
}

// echoRig is an engine whose provider "echo" (of kind) is a server that
// echoes its key as c does, with its key (by kind) and the count of
// requests the server got. Retries wait on fake timers.
func echoRig(t *testing.T, c keyEchoCase, kind string) (*Engine, *store.Store, string, *atomic.Int32) {
	t.Helper()
	key := echoKey
	if kind == store.KindAzure {
		key = echoAzureKey
	}
	n := &atomic.Int32{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		c.handler(w, r)
	}))
	t.Cleanup(srv.Close)
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e := New(st, Options{Keys: &secrets.Resolver{Getenv: func(string) string { return key }}})
	ft := &fakeTimers{}
	e.timer, e.jitter = ft.timer, func() float64 { return 0 }
	putProvider(t, st, store.Provider{Name: "echo", Kind: kind, BaseURL: srv.URL + "/v1", KeySource: store.KeyFromEnv, KeyEnv: "ECHO_KEY"})
	return e, st, key, n
}

// assertNoKeyOnDisk closes st and fails when its file holds key.
func assertNoKeyOnDisk(t *testing.T, st *store.Store, key string) {
	t.Helper()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(st.FilePath())
	if err != nil {
		t.Fatal(err)
	}
	assertNoKey(t, "the history file", string(raw), key)
}

// assertNoKey fails when text holds key or a 12-character piece of it (a
// key cut in two where a message is shortened).
func assertNoKey(t *testing.T, what, text, key string) {
	t.Helper()
	for i := 0; i+12 <= len(key); i += 4 {
		if piece := key[i : i+12]; strings.Contains(text, piece) {
			t.Errorf("%s holds the key (%q): %.400q", what, piece, text)
			return
		}
	}
	if strings.Contains(text, url.QueryEscape(key)) {
		t.Errorf("%s holds the URL-encoded key", what)
	}
}
