package openai

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deskchat/deskchat/engine/llm"
	"github.com/deskchat/deskchat/store"
)

// modelsRequest is what a test server saw of one request.
type modelsRequest struct {
	Path, Query, Authorization, APIKey string
}

// modelServer answers every request with status, contentType and body, and
// records what it saw.
func modelServer(t *testing.T, status int, contentType, body string) (*httptest.Server, func() []modelsRequest) {
	t.Helper()
	var mu sync.Mutex
	var seen []modelsRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, modelsRequest{Path: r.URL.Path, Query: r.URL.RawQuery,
			Authorization: r.Header.Get("Authorization"), APIKey: r.Header.Get("api-key")})
		mu.Unlock()
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv, func() []modelsRequest {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(seen)
	}
}

func modelsFixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "models", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// asProviderError fails the test unless err is a *llm.ProviderError without key
// anywhere in its text.
func asProviderError(t *testing.T, err error, key string) *llm.ProviderError {
	t.Helper()
	var pe *llm.ProviderError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v (%T), want *llm.ProviderError", err, err)
	}
	if key != "" && (strings.Contains(pe.Sentence, key) || strings.Contains(err.Error(), key)) {
		t.Fatalf("the key leaks: sentence %q, error %q", pe.Sentence, err.Error())
	}
	return pe
}

// TestListModelsFromProviderBodies: each provider's model list gives its ids
// sorted, from the path that provider serves, with the key sent the way that
// provider expects (Bearer; Azure's api-key header; nothing without a key).
func TestListModelsFromProviderBodies(t *testing.T) {
	tests := []struct {
		name       string
		fixture    string
		kind       string
		baseSuffix string // appended to the server's URL
		apiVersion string
		key        string
		wantPath   string
		wantQuery  string
		wantAuth   string
		wantAPIKey string
		want       []string
	}{
		{
			name: "openai", fixture: "openai_models.json", kind: store.KindOpenAI, baseSuffix: "/v1",
			key: "sk-test-1234567890", wantPath: "/v1/models", wantAuth: "Bearer sk-test-1234567890",
			want: []string{"dall-e-3", "ft:gpt-4o-mini-2024-07-18:acme::A1b2C3d4", "gpt-4.1", "gpt-4o", "gpt-4o-mini", "o4-mini", "text-embedding-3-small"},
		},
		{
			name: "ollama without key", fixture: "ollama_v1_models.json", kind: store.KindCompatible, baseSuffix: "/v1/ ", // typed with a slash and a space
			wantPath: "/v1/models",
			want:     []string{"hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M", "llama3.2:latest", "mistral:latest", "qwen2.5:7b"},
		},
		{
			name: "azure", fixture: "azure_models.json", kind: store.KindAzure, apiVersion: "2024-10-21",
			key: "0123456789abcdef0123456789abcdef", wantPath: "/openai/models", wantQuery: "api-version=2024-10-21",
			wantAPIKey: "0123456789abcdef0123456789abcdef",
			want:       []string{"gpt-4o-2024-08-06", "gpt-4o-mini-2024-07-18", "text-embedding-3-large-1"},
		},
		{
			name: "azure default api version", fixture: "azure_models.json", kind: store.KindAzure,
			key: "azure-key-1", wantPath: "/openai/models", wantQuery: "api-version=" + DefaultAzureAPIVersion,
			wantAPIKey: "azure-key-1",
			want:       []string{"gpt-4o-2024-08-06", "gpt-4o-mini-2024-07-18", "text-embedding-3-large-1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, seen := modelServer(t, 200, "application/json", modelsFixture(t, tt.fixture))
			cfg := store.Provider{Name: "P", Kind: tt.kind, BaseURL: srv.URL + tt.baseSuffix, APIVersion: tt.apiVersion}
			got, err := ListModels(context.Background(), cfg, tt.key)
			if err != nil {
				t.Fatalf("ListModels: %v", err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ids = %q, want %q", got, tt.want)
			}
			reqs := seen()
			if len(reqs) != 1 {
				t.Fatalf("server saw %d requests, want 1", len(reqs))
			}
			want := modelsRequest{Path: tt.wantPath, Query: tt.wantQuery, Authorization: tt.wantAuth, APIKey: tt.wantAPIKey}
			if reqs[0] != want {
				t.Errorf("request = %+v, want %+v", reqs[0], want)
			}
		})
	}
}

// TestListModelsListShapes: an empty list is no error; duplicate and blank ids
// are dropped; a bare array of models (Together AI's shape) is a list too.
func TestListModelsListShapes(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string
	}{
		{"empty list", `{"object":"list","data":[]}`, []string{}},
		{"null data", `{"object":"list","data":null}`, []string{}},
		{"duplicates and blanks", `{"object":"list","data":[{"id":"b"},{"id":"a"},{"id":"b"},{"id":" "},{"id":"a"}]}`, []string{"a", "b"}},
		{"bare array", `[{"id":"z-model","object":"model"},{"id":"a-model","object":"model"}]`, []string{"a-model", "z-model"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := modelServer(t, 200, "application/json", tt.body)
			got, err := ListModels(context.Background(), store.Provider{Name: "P", Kind: store.KindCompatible, BaseURL: srv.URL + "/v1"}, "")
			if err != nil {
				t.Fatalf("ListModels: %v", err)
			}
			if got == nil || !slices.Equal(got, tt.want) {
				t.Errorf("ids = %#v, want %#v", got, tt.want)
			}
		})
	}
}

// TestListModelsHTTPErrors: each failing answer gives a sentence that says
// what to do, and the key appears nowhere, even when the server echoes it.
func TestListModelsHTTPErrors(t *testing.T) {
	const key = "sk-test-SECRET-4242"
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		key         string
		wantKind    llm.ErrorKind
		want        []string // substrings of the sentence; "BASE" stands for the base URL
		notWant     []string
	}{
		{
			name: "401 openai body", status: 401, contentType: "application/json", key: key,
			body:     modelsFixture(t, "openai_401_invalid_api_key.json"),
			wantKind: llm.KindAuth, want: []string{"Acme rejected the API key (401): check the key in the provider's settings."},
		},
		{
			name: "401 echoing the whole key", status: 401, contentType: "application/json", key: key,
			body:     `{"error":{"message":"Incorrect API key provided: ` + key + `","type":"invalid_request_error","code":"invalid_api_key"}}`,
			wantKind: llm.KindAuth, want: []string{"rejected the API key (401)"},
		},
		{
			name: "403 plain text", status: 403, contentType: "text/plain", key: key, body: "Forbidden",
			wantKind: llm.KindAuth, want: []string{"Acme rejected the API key (403)"},
		},
		{
			name: "401 without a key", status: 401, contentType: "application/json",
			body:     `{"error":{"message":"You didn't provide an API key.","type":"invalid_request_error"}}`,
			wantKind: llm.KindAuth, want: []string{"Acme needs an API key (401): enter it in the provider's settings."},
		},
		{
			name: "404 text", status: 404, contentType: "text/plain", key: key, body: "404 page not found",
			wantKind: llm.KindNotFound, want: []string{"BASE has no model list (404): check the base URL; OpenAI-compatible servers usually end in /v1."},
		},
		{
			name: "200 html", status: 200, contentType: "text/html", key: key,
			body:     "<!doctype html><html><head><title>Router login</title></head><body>Sign in</body></html>",
			wantKind: llm.KindMalformed, want: []string{"BASE answered, but not with a model list: check the base URL."},
		},
		{
			name: "200 data is a string", status: 200, contentType: "application/json", key: key, body: `{"data":"x"}`,
			wantKind: llm.KindMalformed, want: []string{"BASE answered, but not with a model list"},
		},
		{
			name: "200 json without data", status: 200, contentType: "application/json", key: key, body: `{"status":"ok"}`,
			wantKind: llm.KindMalformed, want: []string{"BASE answered, but not with a model list"},
		},
		{
			name: "200 empty body", status: 200, contentType: "application/json", key: key, body: "",
			wantKind: llm.KindMalformed, want: []string{"BASE answered, but not with a model list"},
		},
		{
			name: "200 entries without ids", status: 200, contentType: "application/json", key: key, body: `{"data":[{"name":"x"}]}`,
			wantKind: llm.KindMalformed, want: []string{"BASE answered, but not with a model list"},
		},
		{
			name: "500 openai body", status: 500, contentType: "application/json", key: key,
			body:     `{"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}`,
			wantKind: llm.KindServer, want: []string{"HTTP 500", "It said: The server had an error while processing your request. Sorry about that!"},
		},
		{
			name: "429 with numeric code", status: 429, contentType: "application/json", key: key,
			body:     `{"error":{"message":"Rate limit exceeded: free-models-per-min","code":429}}`,
			wantKind: llm.KindRateLimited, want: []string{"(429)", "It said: Rate limit exceeded: free-models-per-min."},
		},
		{
			name: "400 error as a string", status: 400, contentType: "application/json", key: key,
			body:     `{"error":"unsupported path"}`,
			wantKind: llm.KindBadRequest, want: []string{"HTTP 400", "It said: unsupported path."},
		},
		{
			name: "500 message echoing the key", status: 500, contentType: "application/json", key: key,
			body:     `{"error":{"message":"upstream refused key ` + key + `"}}`,
			wantKind: llm.KindServer, want: []string{"HTTP 500", "upstream refused key [redacted]"},
		},
		{
			name: "502 html", status: 502, contentType: "text/html", key: key, body: "<html><body>Bad Gateway</body></html>",
			wantKind: llm.KindServer, want: []string{"HTTP 502"}, notWant: []string{"<html>"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := modelServer(t, tt.status, tt.contentType, tt.body)
			base := srv.URL + "/v1"
			got, err := ListModels(context.Background(), store.Provider{Name: "Acme", Kind: store.KindCompatible, BaseURL: base}, tt.key)
			if err == nil {
				t.Fatalf("ListModels = %q, nil; want an error", got)
			}
			pe := asProviderError(t, err, key)
			if pe.Kind != tt.wantKind {
				t.Errorf("Kind = %s, want %s (sentence %q)", pe.Kind, tt.wantKind, pe.Sentence)
			}
			if pe.Status != tt.status {
				t.Errorf("Status = %d, want %d", pe.Status, tt.status)
			}
			for _, w := range tt.want {
				if w = strings.ReplaceAll(w, "BASE", base); !strings.Contains(pe.Sentence, w) {
					t.Errorf("sentence %q does not contain %q", pe.Sentence, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(pe.Sentence, w) {
					t.Errorf("sentence %q contains %q", pe.Sentence, w)
				}
			}
		})
	}
}

// TestListModelsConnectionRefused: a port nobody listens on gives the
// "Nothing listens" sentence.
func TestListModelsConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String() + "/v1"
	ln.Close()

	_, err = ListModels(context.Background(), store.Provider{Name: "Ollama", Kind: store.KindCompatible, BaseURL: base}, "")
	pe := asProviderError(t, err, "")
	if want := "Nothing listens at " + base + ": is the server running?"; pe.Sentence != want {
		t.Errorf("sentence = %q, want %q", pe.Sentence, want)
	}
	if pe.Kind != llm.KindConnection {
		t.Errorf("Kind = %s, want %s", pe.Kind, llm.KindConnection)
	}
}

// silentServer accepts requests and never answers them.
func silentServer(t *testing.T) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs first: frees the handler
	return srv
}

// TestListModelsTLSMismatch: https:// to a plain HTTP server, and a server
// whose certificate is not trusted, each say what to change.
func TestListModelsTLSMismatch(t *testing.T) {
	plain, _ := modelServer(t, 200, "application/json", `{"data":[]}`)
	plainHost := strings.TrimPrefix(plain.URL, "http://")
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"data":[]}`))
	}))
	t.Cleanup(tlsSrv.Close)
	tlsURL, _ := url.Parse(tlsSrv.URL)

	tests := []struct{ name, base, want string }{
		{"https to plain http", "https://" + plainHost + "/v1", "127.0.0.1 does not speak HTTPS: try http:// instead of https:// in the base URL."},
		{"untrusted certificate", tlsSrv.URL + "/v1", tlsURL.Hostname() + " presented a certificate deskchat does not trust: check the base URL."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ListModels(context.Background(), store.Provider{Name: "P", Kind: store.KindCompatible, BaseURL: tt.base}, "")
			pe := asProviderError(t, err, "")
			if pe.Sentence != tt.want || pe.Kind != llm.KindConnection {
				t.Errorf("got %s %q, want %s %q", pe.Kind, pe.Sentence, llm.KindConnection, tt.want)
			}
		})
	}
}

// TestListModelsTimeout: a server that never answers gives the timeout
// sentence as soon as ctx's deadline passes, not after listModelsTimeout.
func TestListModelsTimeout(t *testing.T) {
	base := silentServer(t).URL + "/v1"
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := ListModels(ctx, store.Provider{Name: "Slow", Kind: store.KindCompatible, BaseURL: base}, "k-123456")
	elapsed := time.Since(start)

	pe := asProviderError(t, err, "k-123456")
	if !strings.HasPrefix(pe.Sentence, base+" did not answer within ") || !strings.HasSuffix(pe.Sentence, " ms.") {
		t.Errorf("sentence = %q, want %q did not answer within … ms.", pe.Sentence, base)
	}
	if pe.Kind != llm.KindConnection {
		t.Errorf("Kind = %s, want %s", pe.Kind, llm.KindConnection)
	}
	if elapsed > 3*time.Second {
		t.Errorf("returned after %v; the deadline was 300ms", elapsed)
	}
}

// TestListModelsOwnBound: without a deadline in ctx, ListModels' own bound
// (listModelsTimeout, shortened here) stops the wait and is named in the
// sentence.
func TestListModelsOwnBound(t *testing.T) {
	base := silentServer(t).URL + "/v1"
	start := time.Now()
	_, err := listModels(context.Background(), store.Provider{Name: "Slow", Kind: store.KindCompatible, BaseURL: base}, "", 200*time.Millisecond)
	elapsed := time.Since(start)

	pe := asProviderError(t, err, "")
	if want := base + " did not answer within 200 ms."; pe.Sentence != want {
		t.Errorf("sentence = %q, want %q", pe.Sentence, want)
	}
	if elapsed > 3*time.Second {
		t.Errorf("returned after %v; the bound was 200ms", elapsed)
	}
}

// TestListModelsCanceled: cancelling ctx is stopping, not a provider failure.
func TestListModelsCanceled(t *testing.T) {
	arrived := make(chan struct{})
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })

	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-arrived
		cancel()
	}()
	_, err := ListModels(ctx, store.Provider{Name: "P", Kind: store.KindCompatible, BaseURL: srv.URL + "/v1"}, "")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	var pe *llm.ProviderError
	if errors.As(err, &pe) {
		t.Errorf("err is a *llm.ProviderError (%q); cancel should not show a dialog", pe.Sentence)
	}
}

// TestListModelsNetErrorSentences: how network failures that a test cannot
// cause locally (unknown host, untrusted certificate) read.
func TestListModelsNetErrorSentences(t *testing.T) {
	const base = "https://nowhere.example/v1"
	wrap := func(err error) error {
		return &url.Error{Op: "Get", URL: base + "/models", Err: &net.OpError{Op: "dial", Net: "tcp", Err: err}}
	}
	tests := []struct {
		name, want string
		err        error
	}{
		{"unknown host", "nowhere.example could not be found: check the base URL.",
			wrap(&net.DNSError{Err: "no such host", Name: "nowhere.example", IsNotFound: true})},
		{"timeout", base + " did not answer within 10 s.", wrap(context.DeadlineExceeded)},
		{"other", "Could not reach " + base + ": check the base URL and your network.", wrap(errors.New("network is unreachable"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pe := modelsError(tt.err, false, store.Provider{Name: "P", Kind: store.KindCompatible, BaseURL: base}, "k", base, listModelsTimeout, &bodyTap{})
			if pe.Sentence != tt.want {
				t.Errorf("sentence = %q, want %q", pe.Sentence, tt.want)
			}
			if pe.Kind != llm.KindConnection || !errors.Is(pe, tt.err) {
				t.Errorf("Kind = %s, cause %v; want %s wrapping the request's error", pe.Kind, pe.Err, llm.KindConnection)
			}
		})
	}
}

// TestListModelsWithoutNetwork: settings that cannot be asked give a config
// sentence without dialling.
func TestListModelsWithoutNetwork(t *testing.T) {
	tests := []struct {
		name string
		cfg  store.Provider
		want string
	}{
		{"custom without base URL", store.Provider{Name: "Custom", Kind: store.KindCompatible}, "Enter the base URL of Custom first."},
		{"azure without endpoint", store.Provider{Name: "Work", Kind: store.KindAzure}, "Enter the base URL of Work first."},
		{"space inside the host", store.Provider{Name: "L", Kind: store.KindCompatible, BaseURL: "  http://exa mple.com/v1 "}, "http://exa mple.com/v1 is not a base URL"},
		{"no scheme", store.Provider{Name: "L", Kind: store.KindCompatible, BaseURL: "localhost:11434/v1"}, "localhost:11434/v1 is not a base URL: it should start with http:// or https://."},
		{"other scheme", store.Provider{Name: "L", Kind: store.KindCompatible, BaseURL: "ftp://example.com/v1"}, "ftp://example.com/v1 is not a base URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ListModels(context.Background(), tt.cfg, "")
			pe := asProviderError(t, err, "")
			if pe.Kind != llm.KindConfig || !strings.HasPrefix(pe.Sentence, tt.want) {
				t.Errorf("got %s %q, want %s %q", pe.Kind, pe.Sentence, llm.KindConfig, tt.want)
			}
		})
	}
}
