package batch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
	"unicode/utf8"

	goopenai "github.com/sashabaranov/go-openai"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/engine/llm"
	"github.com/deskchat/deskchat/internal/redact"
	"github.com/deskchat/deskchat/store"
)

// ErrNoBatchAPI is in the error of a provider that does not offer OpenAI's
// Batch API (its sentence says so).
var ErrNoBatchAPI = errors.New("the provider does not offer OpenAI's Batch API")

// NoBatchAPI is the sentence for a provider without OpenAI's Batch API.
func NoBatchAPI(provider string) string {
	return fmt.Sprintf("%s does not offer OpenAI's Batch API; run without --mode provider to ask row by row through the engine.", provider)
}

// remote speaks OpenAI's Batch API for one provider: go-openai for the
// batches and the results (streamed), and an upload of its own for the
// requests file, because go-openai's CreateFile and UploadBatchFile build
// the whole multipart body in memory (up to 200 MB a part) where this one
// streams it from the file.
type remote struct {
	name   string // the provider's, for sentences
	base   string
	key    string // sent, and scrubbed from every sentence
	hc     *http.Client
	client *goopenai.Client
}

func newRemote(cfg store.Provider, key string, hc *http.Client) *remote {
	oc := goopenai.DefaultConfig(key)
	if cfg.BaseURL != "" {
		oc.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	}
	oc.HTTPClient = hc
	return &remote{name: cfg.Name, base: oc.BaseURL, key: key, hc: hc, client: goopenai.NewClientWithConfig(oc)}
}

// probe asks for the latest batch: a provider without the Batch API says
// so (404) before anything is stored or uploaded.
func (r *remote) probe(ctx context.Context) error {
	one := 1
	_, err := r.client.ListBatch(ctx, nil, &one)
	return r.fail(err, true)
}

// upload sends the requests file at path (purpose "batch") as name,
// streaming it: memory does not grow with the file.
func (r *remote) upload(ctx context.Context, path, name string) (goopenai.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return goopenai.File{}, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return goopenai.File{}, err
	}
	var head bytes.Buffer
	mw := multipart.NewWriter(&head)
	mw.WriteField("purpose", string(goopenai.PurposeBatch))
	if _, err := mw.CreateFormFile("file", name); err != nil {
		return goopenai.File{}, err
	}
	prefix := bytes.Clone(head.Bytes())
	head.Reset()
	mw.Close() // the closing boundary, into head
	body := io.MultiReader(bytes.NewReader(prefix), f, bytes.NewReader(head.Bytes()))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.base+"/files", body)
	if err != nil {
		return goopenai.File{}, err
	}
	req.ContentLength = int64(len(prefix)) + info.Size() + int64(head.Len())
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Accept", "application/json")
	if r.key != "" {
		req.Header.Set("Authorization", "Bearer "+r.key)
	}
	resp, err := r.hc.Do(req)
	if err != nil {
		return goopenai.File{}, r.fail(err, true)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return goopenai.File{}, r.fail(&goopenai.RequestError{HTTPStatusCode: resp.StatusCode, Body: b, Err: errors.New(resp.Status)}, true)
	}
	var out goopenai.File
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out); err != nil || out.ID == "" {
		return goopenai.File{}, r.fail(fmt.Errorf("upload answer: %w", errors.Join(err, errors.New("no file id"))), true)
	}
	return out, nil
}

// create makes the batch of the uploaded file fileID.
func (r *remote) create(ctx context.Context, fileID string, meta map[string]any) (goopenai.Batch, error) {
	b, err := r.client.CreateBatch(ctx, goopenai.CreateBatchRequest{InputFileID: fileID,
		Endpoint: goopenai.BatchEndpointChatCompletions, CompletionWindow: "24h", Metadata: meta})
	return b.Batch, r.fail(err, true)
}

// find looks among the latest batches for the one made of fileID: a run
// stopped between making it and recording it finds it again rather than
// make a second one.
func (r *remote) find(ctx context.Context, fileID string) (goopenai.Batch, bool, error) {
	limit := 100
	list, err := r.client.ListBatch(ctx, nil, &limit)
	if err != nil {
		return goopenai.Batch{}, false, r.fail(err, true)
	}
	for _, b := range list.Data {
		if b.InputFileID == fileID {
			return b, true, nil
		}
	}
	return goopenai.Batch{}, false, nil
}

func (r *remote) retrieve(ctx context.Context, id string) (goopenai.Batch, error) {
	b, err := r.client.RetrieveBatch(ctx, id)
	return b.Batch, r.fail(err, false)
}

// content streams a file's content (a batch's output or error file).
func (r *remote) content(ctx context.Context, fileID string) (io.ReadCloser, error) {
	raw, err := r.client.GetFileContent(ctx, fileID)
	if err != nil {
		return nil, r.fail(err, false)
	}
	return raw.ReadCloser, nil
}

// fail turns an error of the API into a *engine.ProviderError whose
// sentence never holds the key; a 404 where the Batch API should be (api)
// says the provider does not offer it. nil stays nil.
func (r *remote) fail(err error, api bool) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) {
		return err // the caller stopped: its own sentence says what is kept
	}
	status, msg := 0, ""
	var apiErr *goopenai.APIError
	var reqErr *goopenai.RequestError
	switch {
	case errors.As(err, &apiErr) && apiErr.HTTPStatusCode != 0:
		status, msg = apiErr.HTTPStatusCode, apiErr.Message
	case errors.As(err, &reqErr) && reqErr.HTTPStatusCode != 0:
		status, msg = reqErr.HTTPStatusCode, errorMessage(reqErr.Body)
	default:
		return llm.Classify(err, r.name, r.base, r.key)
	}
	out := &engine.ProviderError{Provider: r.name, Status: status, Err: err}
	msg = clip(redact.String(msg, r.key), 300)
	switch {
	case status == 404 && api:
		out.Kind, out.Sentence, out.Err = llm.KindNotFound, NoBatchAPI(r.name), fmt.Errorf("%w: %w", ErrNoBatchAPI, err)
		return out.Scrub(r.key)
	case status == 401 || status == 403:
		out.Kind = llm.KindAuth
		out.Sentence = fmt.Sprintf("The API key for %s was rejected. Check the key in the provider's settings.", r.name)
		return out.Scrub(r.key)
	case status == 429:
		out.Kind = llm.KindRateLimited
		out.Sentence = fmt.Sprintf("%s is limiting requests (429).", r.name)
	case status >= 500:
		out.Kind = llm.KindServer
		out.Sentence = fmt.Sprintf("%s had a server error (HTTP %d).", r.name, status)
	default:
		out.Kind = llm.KindBadRequest
		out.Sentence = fmt.Sprintf("%s refused the request (HTTP %d).", r.name, status)
	}
	if msg != "" {
		out.Sentence += " It said: " + msg
	}
	return out.Scrub(r.key)
}

// transient: polling goes on after it (the provider keeps the batch).
func transient(err error) bool {
	var pe *engine.ProviderError
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.Kind {
	case llm.KindRateLimited, llm.KindServer, llm.KindConnection:
		return true
	}
	return false
}

// errorMessage reads the message of an error body: {"error":{"message":
// ...}}, {"error":"..."} or {"message":...}.
func errorMessage(body []byte) string {
	var v struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
	}
	if json.Unmarshal(body, &v) != nil {
		return ""
	}
	var obj struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(v.Error, &obj) == nil && obj.Message != "" {
		return obj.Message
	}
	var s string
	if json.Unmarshal(v.Error, &s) == nil && s != "" {
		return s
	}
	return v.Message
}

// clip cuts s to n bytes (on a rune boundary) and ends it as a sentence.
func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		cut := n
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	if s != "" && !strings.ContainsAny(s[len(s)-1:], ".!?…") {
		s += "."
	}
	return s
}
