package openai

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"time"

	goopenai "github.com/sashabaranov/go-openai"

	"github.com/deskchat/deskchat/engine/llm"
	"github.com/deskchat/deskchat/internal/format"
	"github.com/deskchat/deskchat/internal/redact"
	"github.com/deskchat/deskchat/store"
)

// listModelsTimeout bounds ListModels when the caller's context allows longer.
const listModelsTimeout = 10 * time.Second

// maxModelListBody bounds how much of a response ListModels keeps to check
// its shape (OpenRouter's list, descriptions included, is about 1 MB).
const maxModelListBody = 16 << 20

// ListModels asks the provider for its models (GET <base URL>/models, or
// <endpoint>/openai/models?api-version=… for Azure) with key, which may be
// empty for local servers, and returns their ids sorted and without
// duplicates. A response that is a model list without models gives an empty
// list and no error. The call is bounded to listModelsTimeout or ctx's
// deadline, whichever comes first.
//
// Its errors are *llm.ProviderError whose Sentence says what to do ("… rejected
// the API key (401) …", "Nothing listens at …"); neither the sentence nor the
// error's text contains key. When ctx is cancelled, the error is ctx's
// (errors.Is(err, context.Canceled)): stopping is not a failure to show.
//
// Each call uses its own connections and closes them before it returns; it is
// safe to call from several goroutines at once.
func ListModels(ctx context.Context, cfg store.Provider, key string) ([]string, error) {
	return listModels(ctx, cfg, key, listModelsTimeout)
}

// listModels is ListModels bounded to timeout.
func listModels(ctx context.Context, cfg store.Provider, key string, timeout time.Duration) ([]string, error) {
	base, perr := modelsBaseURL(cfg)
	if perr != nil {
		return nil, perr
	}
	limit := timeout
	if dl, ok := ctx.Deadline(); ok {
		limit = min(limit, time.Until(dl))
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}).DialContext
	defer tr.CloseIdleConnections()
	tap := &bodyTap{base: tr}
	cfg.BaseURL = base
	client := New(cfg, key, &http.Client{Transport: tap}).client // the same config as a chat

	list, err := client.ListModels(ctx)
	if err != nil {
		if parent.Err() == context.Canceled {
			return nil, fmt.Errorf("engine: list models: %w", parent.Err())
		}
		if ids, ok := bareModelArray(err, tap); ok {
			return ids, nil
		}
		return nil, modelsError(err, ctx.Err() != nil, cfg, key, base, limit, tap).Scrub(key)
	}
	if !tap.truncated && !hasDataField(tap.body.Bytes()) {
		return nil, notModelList(providerLabel(cfg, base), base, errors.New(`list models: no "data" in the response`))
	}
	ids := make([]string, 0, len(list.Models))
	for _, m := range list.Models {
		if id := strings.TrimSpace(m.ID); id != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 && len(list.Models) > 0 {
		return nil, notModelList(providerLabel(cfg, base), base, errors.New("list models: entries without ids"))
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

// modelsBaseURL is the base URL ListModels talks to, as the user wrote it
// (without a trailing slash), or an llm.KindConfig error when there is none.
func modelsBaseURL(cfg store.Provider) (string, *llm.ProviderError) {
	raw := strings.TrimRight(strings.TrimSpace(cfg.BaseURL), "/")
	if raw == "" {
		if cfg.Kind == store.KindOpenAI || cfg.Kind == "" {
			return "https://api.openai.com/v1", nil // go-openai's default, as in New
		}
		name := cfg.Name
		if name == "" {
			name = "this provider"
		}
		return "", &llm.ProviderError{Kind: llm.KindConfig, Provider: cfg.Name, Err: errors.New("list models: no base URL"),
			Sentence: fmt.Sprintf("Enter the base URL of %s first.", name)}
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		if err == nil {
			err = errors.New("not an http(s) URL")
		}
		return "", &llm.ProviderError{Kind: llm.KindConfig, Provider: cfg.Name, Err: fmt.Errorf("list models: base URL: %w", err),
			Sentence: fmt.Sprintf("%s is not a base URL: it should start with http:// or https://.", clip(raw, 100))}
	}
	return raw, nil
}

// providerLabel names the provider in sentences: its name, else its host.
func providerLabel(cfg store.Provider, base string) string {
	if cfg.Name != "" {
		return cfg.Name
	}
	if u, err := url.Parse(base); err == nil && u.Host != "" {
		return u.Host
	}
	return base
}

// modelsError turns a failed model list request into a *llm.ProviderError.
// timedOut says the request's context ran out; key is the key sent ("" for
// none), scrubbed from the provider's message before it is cut to length;
// tap holds the response, when there was one.
func modelsError(err error, timedOut bool, cfg store.Provider, key string, base string, limit time.Duration, tap *bodyTap) *llm.ProviderError {
	name := providerLabel(cfg, base)
	host := base
	if u, perr := url.Parse(base); perr == nil && u.Host != "" {
		host = u.Hostname()
	}
	pe := &llm.ProviderError{Provider: name, Err: fmt.Errorf("list models: %w", err)}

	// go-openai gives an *APIError for an OpenAI error body, else a
	// *RequestError, which may wrap an *APIError without a status (for
	// {"error":"text"}).
	status, code := 0, ""
	var apiErr *goopenai.APIError
	var reqErr *goopenai.RequestError
	if errors.As(err, &apiErr) && apiErr.HTTPStatusCode != 0 {
		status, code = apiErr.HTTPStatusCode, fmt.Sprint(apiErr.Code)
	} else if errors.As(err, &reqErr) {
		status = reqErr.HTTPStatusCode
	}
	pe.Status = status

	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var authErr x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var recErr tls.RecordHeaderError
	switch {
	case status == 401 || status == 403:
		pe.Kind = llm.KindAuth
		if key != "" {
			pe.Sentence = fmt.Sprintf("%s rejected the API key (%d): check the key in the provider's settings.", name, status)
		} else {
			pe.Sentence = fmt.Sprintf("%s needs an API key (%d): enter it in the provider's settings.", name, status)
		}
	case status == 404:
		pe.Kind = llm.KindNotFound
		pe.Sentence = fmt.Sprintf("%s has no model list (404): check the base URL; OpenAI-compatible servers usually end in /v1.", base)
	case status >= 400:
		// As Stream does: the whole message from the body (any shape), with
		// the status.
		msg := redact.String(extractErrorMessage(tap.body.Bytes()), key)
		classifyStatus(pe, status, msg, code, "")
		if msg == "" && status < 500 && status != http.StatusTooManyRequests {
			pe.Sentence = fmt.Sprintf("%s answered with HTTP %d and a page deskchat cannot read: check the base URL.", base, status)
		}
	case status != 0:
		// 1xx/3xx that go-openai treats as failures.
		pe.Kind = llm.KindBadRequest
		pe.Sentence = fmt.Sprintf("%s answered with HTTP %d instead of a model list: check the base URL.", base, status)
	case timedOut || errors.Is(err, context.DeadlineExceeded) || llm.IsTimeout(err):
		pe.Kind = llm.KindConnection
		pe.Sentence = fmt.Sprintf("%s did not answer within %s.", base, format.Duration(limit))
	case errors.As(err, &dnsErr):
		pe.Kind = llm.KindConnection
		pe.Sentence = fmt.Sprintf("%s could not be found: check the base URL.", host)
	case errors.Is(err, syscall.ECONNREFUSED):
		pe.Kind = llm.KindConnection
		pe.Sentence = fmt.Sprintf("Nothing listens at %s: is the server running?", base)
	case errors.As(err, &certErr) || errors.As(err, &authErr) || errors.As(err, &hostErr):
		pe.Kind = llm.KindConnection
		pe.Sentence = fmt.Sprintf("%s presented a certificate deskchat does not trust: check the base URL.", host)
	case errors.Is(err, http.ErrSchemeMismatch) || errors.As(err, &recErr):
		pe.Kind = llm.KindConnection
		pe.Sentence = fmt.Sprintf("%s does not speak HTTPS: try http:// instead of https:// in the base URL.", host)
	case tap.status == http.StatusOK && isBodyShapeError(err):
		return notModelList(name, base, pe.Err)
	default:
		pe.Kind = llm.KindConnection
		pe.Sentence = fmt.Sprintf("Could not reach %s: check the base URL and your network.", base)
	}
	return pe
}

func notModelList(name, base string, cause error) *llm.ProviderError {
	return &llm.ProviderError{Kind: llm.KindMalformed, Status: http.StatusOK, Provider: name, Err: cause,
		Sentence: fmt.Sprintf("%s answered, but not with a model list: check the base URL.", base)}
}

// isBodyShapeError reports whether err is go-openai failing to decode a 200
// body: not JSON, JSON of another shape, or no body at all.
func isBodyShapeError(err error) bool {
	var synErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	return errors.As(err, &synErr) || errors.As(err, &typeErr) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// hasDataField reports whether body is a JSON object with a "data" member,
// the mark of a model list (which may be empty).
func hasDataField(body []byte) bool {
	var v map[string]json.RawMessage
	if json.NewDecoder(bytes.NewReader(body)).Decode(&v) != nil {
		return false
	}
	_, ok := v["data"]
	return ok
}

// bareModelArray reads a model list sent as a bare JSON array of models
// (Together AI does this), which go-openai cannot decode.
func bareModelArray(err error, tap *bodyTap) ([]string, bool) {
	var typeErr *json.UnmarshalTypeError
	if !errors.As(err, &typeErr) || tap.status != http.StatusOK {
		return nil, false
	}
	var models []struct {
		ID string `json:"id"`
	}
	if json.NewDecoder(bytes.NewReader(tap.body.Bytes())).Decode(&models) != nil {
		return nil, false
	}
	ids := make([]string, 0, len(models))
	for _, m := range models {
		if id := strings.TrimSpace(m.ID); id != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 && len(models) > 0 {
		return nil, false
	}
	slices.Sort(ids)
	return slices.Compact(ids), true
}

// bodyTap keeps the status and (the first maxModelListBody bytes of) the body
// of the last response, as go-openai reads it. One request at a time.
type bodyTap struct {
	base      http.RoundTripper
	status    int // 0 until a response arrives
	body      bytes.Buffer
	truncated bool // the body was longer than maxModelListBody
}

func (t *bodyTap) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	t.status = resp.StatusCode
	t.body.Reset()
	t.truncated = false
	if resp.StatusCode >= 400 {
		// go-openai keeps a whole error page in its error's text, which is
		// then scrubbed: bound it as a chat's error body is.
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.LimitReader(resp.Body, maxErrorBody), resp.Body}
	}
	resp.Body = &tappedBody{ReadCloser: resp.Body, t: t}
	return resp, nil
}

type tappedBody struct {
	io.ReadCloser
	t *bodyTap
}

func (b *tappedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		room := maxModelListBody - b.t.body.Len()
		b.t.body.Write(p[:min(n, max(room, 0))])
		b.t.truncated = b.t.truncated || n > room
	}
	return n, err
}
