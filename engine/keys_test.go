package engine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/zalando/go-keyring"

	"github.com/deskchat/deskchat/engine/llm"
	"github.com/deskchat/deskchat/internal/secrets"
	"github.com/deskchat/deskchat/store"
)

// authServer answers every chat request with "hi" as SSE and records the
// Authorization headers it saw.
type authServer struct {
	*httptest.Server
	mu    sync.Mutex
	auths []string
}

func newAuthServer(t *testing.T) *authServer {
	t.Helper()
	a := &authServer{}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.auths = append(a.auths, r.Header.Get("Authorization"))
		a.mu.Unlock()
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *authServer) seen() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.auths...)
}

// askOnce sends one question to the provider called name and waits for the
// answer.
func askOnce(t *testing.T, e *Engine, st *store.Store, name string) (result, error) {
	t.Helper()
	events, err := e.Send(context.Background(), newConversation(t, st), "hello", SendOptions{Provider: name})
	if err != nil {
		return result{}, err
	}
	return drain(t, events), nil
}

// dbHolds reports whether the store's file contains s anywhere.
func dbHolds(t *testing.T, st *store.Store, s string) bool {
	t.Helper()
	b, err := os.ReadFile(st.FilePath())
	if err != nil {
		t.Fatal(err)
	}
	return strings.Contains(string(b), s)
}

func TestAKeychainKeyIsSentAsTheBearerToken(t *testing.T) {
	keyring.MockInit()
	const key = "sk-keychain-7f3a"
	if err := secrets.Save(secrets.System(), "vault", key); err != nil {
		t.Fatal(err)
	}
	srv := newAuthServer(t)
	st := openStore(t)
	if err := st.PutProvider(store.Provider{Name: "vault", Kind: store.KindCompatible, BaseURL: srv.URL, Model: "m", KeySource: store.KeyFromKeychain}); err != nil {
		t.Fatal(err)
	}
	r, err := askOnce(t, New(st, Options{}), st, "vault")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := r.final.(Done); !ok || r.text != "hi" {
		t.Fatalf("final %#v text %q", r.final, r.text)
	}
	if got := srv.seen(); len(got) != 1 || got[0] != "Bearer "+key {
		t.Fatalf("the server saw Authorization %q, want Bearer <the keychain's key>", got)
	}
	if !dbHolds(t, st, "keychain") { // the check below can see the record
		t.Fatal("the history file does not hold the provider record")
	}
	if dbHolds(t, st, key) {
		t.Error("the key was written to the history file")
	}
}

func TestAMissingKeychainKeyIsASentenceAndStoresNothing(t *testing.T) {
	keyring.MockInit()
	srv := newAuthServer(t)
	st := openStore(t)
	if err := st.PutProvider(store.Provider{Name: "vault", Kind: store.KindCompatible, BaseURL: srv.URL, Model: "m", KeySource: store.KeyFromKeychain}); err != nil {
		t.Fatal(err)
	}
	conv := newConversation(t, st)
	_, err := New(st, Options{}).Send(context.Background(), conv, "hello", SendOptions{Provider: "vault"})
	var pe *ProviderError
	if !errors.As(err, &pe) || pe.Kind != llm.KindConfig {
		t.Fatalf("got %v, want a config error", err)
	}
	if msg := UserMessage(err); msg != "No API key for vault is in the keychain: enter it in Settings → Providers." {
		t.Errorf("UserMessage %q", msg)
	}
	if !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("the cause is lost: %v", err)
	}
	if msgs, _ := st.Messages(conv); len(msgs) != 0 {
		t.Errorf("a send without a key stored %d messages", len(msgs))
	}
	if n := len(srv.seen()); n != 0 {
		t.Errorf("the provider was called %d times without a key", n)
	}
}

func TestAKeyCommandProviderAnswersAndItsKeyIsRememberedUntilForgotten(t *testing.T) {
	srv := newAuthServer(t)
	st := openStore(t)
	runs := filepath.Join(t.TempDir(), "runs")
	// The command assembles the key so that the record (which holds the
	// command) does not contain it.
	cmd := fmt.Sprintf("echo run >> '%s'; printf 'sk-from-%%s\\nlogin: me\\n' pass", runs)
	if err := st.PutProvider(store.Provider{Name: "pm", Kind: store.KindCompatible, BaseURL: srv.URL, Model: "m", KeySource: store.KeyFromCommand, KeyCommand: cmd}); err != nil {
		t.Fatal(err)
	}
	e := New(st, Options{})
	countRuns := func() int {
		b, _ := os.ReadFile(runs)
		return strings.Count(string(b), "run\n")
	}
	for i := 0; i < 2; i++ {
		r, err := askOnce(t, e, st, "pm")
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := r.final.(Done); !ok {
			t.Fatalf("final %#v", r.final)
		}
	}
	if n := countRuns(); n != 1 {
		t.Errorf("the key command ran %d times for two requests, want 1", n)
	}
	e.ForgetKey("pm")
	if _, err := askOnce(t, e, st, "pm"); err != nil {
		t.Fatal(err)
	}
	if n := countRuns(); n != 2 {
		t.Errorf("after ForgetKey the command ran %d times in all, want 2", n)
	}
	for _, a := range srv.seen() {
		if a != "Bearer sk-from-pass" {
			t.Errorf("Authorization %q, want the command's first line", a)
		}
	}
	if dbHolds(t, st, "sk-from-pass") {
		t.Error("the key was written to the history file")
	}
}

// mapKeyring is a Keyring of its own, to show that Options.Keys is used.
type mapKeyring map[string]string

func (m mapKeyring) Get(_, user string) (string, error) {
	if v, ok := m[user]; ok {
		return v, nil
	}
	return "", keyring.ErrNotFound
}
func (m mapKeyring) Set(_, user, secret string) error { m[user] = secret; return nil }
func (m mapKeyring) Delete(_, user string) error      { delete(m, user); return nil }

func TestAPIKey(t *testing.T) {
	keyring.MockInitWithError(errors.New("The name org.freedesktop.secrets was not provided by any .service files"))
	e := New(openStore(t), Options{Keys: &secrets.Resolver{
		Keyring: mapKeyring{"own": "sk-own-keyring"},
		Getenv:  func(string) string { return "" },
	}})
	cases := []struct {
		p        store.Provider
		key      string
		sentence string
	}{
		{store.Provider{Name: "own", Kind: store.KindCompatible, KeySource: store.KeyFromKeychain}, "sk-own-keyring", ""},
		{store.Provider{Name: "local", Kind: store.KindCompatible}, "", ""},
		{SimulatorConfig(), "", ""},
		{store.Provider{Name: "absent", Kind: store.KindAzure, KeySource: store.KeyFromKeychain}, "",
			"No API key for absent is in the keychain: enter it in Settings → Providers."},
		{store.Provider{Name: "groq", Kind: store.KindCompatible, KeySource: store.KeyFromEnv, KeyEnv: "GROQ_API_KEY"}, "",
			"GROQ_API_KEY is not set in deskchat's environment: set it, or keep the key in the keychain (Settings → Providers)."},
		{store.Provider{Name: "OpenAI", Kind: store.KindOpenAI}, "",
			"OpenAI needs an API key: set OPENAI_API_KEY in the environment, or keep the key in the keychain (Settings → Providers)."},
		{store.Provider{Name: "pm", Kind: store.KindOpenAI, KeySource: store.KeyFromCommand, KeyCommand: "echo sk-half-printed; echo 'vault is sealed' >&2; exit 5"}, "",
			"The key command failed (exit status 5): vault is sealed."},
	}
	for _, c := range cases {
		t.Run(c.p.Name, func(t *testing.T) {
			key, err := e.APIKey(context.Background(), c.p)
			if c.sentence == "" {
				if err != nil || key != c.key {
					t.Fatalf("got %q %v, want %q", key, err, c.key)
				}
				return
			}
			var pe *ProviderError
			if !errors.As(err, &pe) || pe.Kind != llm.KindConfig || pe.Provider != c.p.Name {
				t.Fatalf("got %#v, want a config error of %s", err, c.p.Name)
			}
			if msg := UserMessage(err); msg != c.sentence {
				t.Errorf("got  %q\nwant %q", msg, c.sentence)
			}
			if strings.Contains(err.Error(), "sk-") {
				t.Errorf("the error mentions a key: %q", err.Error())
			}
		})
	}

	// The global keychain (refusing here) is the default when Keys is nil.
	e = New(openStore(t), Options{})
	_, err := e.APIKey(context.Background(), store.Provider{Name: "vault", Kind: store.KindCompatible, KeySource: store.KeyFromKeychain})
	want := "No keychain is available in this session (no Secret Service is running), so the key for vault cannot be read from it. Use an environment variable or a key command instead."
	if msg := UserMessage(err); msg != want {
		t.Errorf("refusing keychain:\n got %q\nwant %q", msg, want)
	}
}
