package openai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	goopenai "github.com/sashabaranov/go-openai"

	"github.com/deskchat/deskchat/engine/llm"
	"github.com/deskchat/deskchat/internal/redact"
	"github.com/deskchat/deskchat/store"
)

// DefaultAzureAPIVersion is used for Azure providers that do not set one.
const DefaultAzureAPIVersion = "2024-10-21"

// Adapter speaks to OpenAI, Azure OpenAI and every OpenAI-compatible
// endpoint, built on go-openai. It keeps one http.Client for its lifetime.
type Adapter struct {
	cfg    store.Provider
	client *goopenai.Client
	key    string // scrubbed from every error (a server may echo it)
}

var _ llm.Adapter = (*Adapter)(nil)

// NewHTTPClient returns the http.Client a provider reuses for all its
// requests. It has no overall timeout (answers stream for minutes); the
// connection and header phases are bounded instead. It keeps up to
// maxStreams idle connections (at least 16), so that a provider allowed
// that many streams at once does not dial (and handshake TLS) again for
// each request.
func NewHTTPClient(maxStreams int) *http.Client {
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	base.ResponseHeaderTimeout = 2 * time.Minute
	base.MaxIdleConnsPerHost = max(16, maxStreams)
	base.MaxIdleConns = max(base.MaxIdleConns, base.MaxIdleConnsPerHost)
	return &http.Client{Transport: &transport{base: base}}
}

// New builds the adapter for cfg with the given key (may be empty for
// local servers) and http.Client.
func New(cfg store.Provider, key string, hc *http.Client) *Adapter {
	var oc goopenai.ClientConfig
	switch cfg.Kind {
	case store.KindAzure:
		oc = goopenai.DefaultAzureConfig(key, cfg.BaseURL)
		oc.APIVersion = cfg.APIVersion
		if oc.APIVersion == "" {
			oc.APIVersion = DefaultAzureAPIVersion
		}
		oc.AzureModelMapperFunc = func(model string) string { return model } // model = deployment name
	default:
		oc = goopenai.DefaultConfig(key)
		if cfg.BaseURL != "" {
			oc.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
		}
	}
	oc.HTTPClient = hc
	oc.EmptyMessagesLimit = 100000 // comment lines are dropped by sseNormalizer; blank separators still count
	return &Adapter{cfg: cfg, client: goopenai.NewClientWithConfig(oc), key: key}
}

// Name implements llm.Adapter.
func (p *Adapter) Name() string { return p.cfg.Name }

// Stream implements llm.Adapter.
func (p *Adapter) Stream(ctx context.Context, req llm.Request) (llm.Stream, error) {
	creq := goopenai.ChatCompletionRequest{
		Model:         req.Model,
		Stream:        true,
		StreamOptions: &goopenai.StreamOptions{IncludeUsage: true},
		Temperature:   derefTemp(req.Temperature),
	}
	if req.MaxTokens > 0 {
		if p.cfg.Kind == store.KindOpenAI || p.cfg.Kind == store.KindAzure {
			creq.MaxCompletionTokens = req.MaxTokens // newer OpenAI models reject max_tokens
		} else {
			//lint:ignore SA1019 OpenAI-compatible servers (Ollama, llama.cpp, vLLM) read max_tokens, not its successor
			creq.MaxTokens = req.MaxTokens
		}
	}
	for _, m := range req.Messages {
		creq.Messages = append(creq.Messages, wireMessage(m))
	}
	tools, err := wireTools(p.cfg.Name, req.Tools)
	if err != nil {
		return nil, err
	}
	creq.Tools = tools
	info := &streamInfo{}
	if info.edits, err = toolMessageEdits(req, creq.Messages); err != nil {
		return nil, classify(err, p.cfg.Name, req.Model, p.baseURL(), p.key)
	}
	ctx = context.WithValue(ctx, streamInfoKey{}, info)
	s, err := p.client.CreateChatCompletionStream(ctx, creq)
	if err != nil {
		pe := classify(err, p.cfg.Name, req.Model, p.baseURL(), p.key)
		msg := redact.String(extractErrorMessage(info.errBody), p.key)
		var apiErr *goopenai.APIError
		if msg != "" && pe.Status >= 400 {
			code := ""
			if errors.As(err, &apiErr) {
				code = fmt.Sprint(apiErr.Code)
			}
			classifyStatus(pe, pe.Status, msg, code, req.Model) // the whole message, details included
		}
		if req.HasImages() {
			if msg == "" && errors.As(err, &apiErr) {
				msg = apiErr.Message
			}
			noVision(pe, msg, req.Model)
		}
		pe.RetryAfter = serverDelay(info.header, serverNow(info.header, time.Now()))
		return nil, pe
	}
	return &openAIStream{s: s, info: info, provider: p.cfg.Name, model: req.Model, baseURL: p.baseURL(), key: p.key, offered: len(req.Tools) > 0}, nil
}

// serverNow is the time a response was sent by the server's own clock (its
// Date header), else local: absolute reset times (an HTTP date, epoch
// milliseconds) are measured against the clock that set them, so a skewed
// local clock neither shortens nor stretches the wait.
func serverNow(h http.Header, local time.Time) time.Time {
	if h == nil {
		return local
	}
	if t, err := http.ParseTime(h.Get("Date")); err == nil {
		return t
	}
	return local
}

func (p *Adapter) baseURL() string {
	if p.cfg.BaseURL == "" {
		return "https://api.openai.com/v1"
	}
	return p.cfg.BaseURL
}

func derefTemp(t *float32) float32 {
	if t == nil {
		return 0 // omitted from the request by go-openai
	}
	return *t
}

type openAIStream struct {
	s        *goopenai.ChatCompletionStream
	info     *streamInfo
	provider string
	model    string
	baseURL  string
	key      string

	cur       llm.Chunk
	err       error
	finished  bool // a finish_reason was seen
	sawChoice bool // a chunk had a choices list (a JSON answer without one holds none)
	ended     bool // Next returned false, or is about to after the calls
	offered   bool // the request offered tools

	tools toolAssembler
	// answered counts the bytes of text, reasoning and tool call
	// arguments so far: arguments reach the engine only at the end, so
	// the adapter keeps them within llm.MaxAnswerBytes itself.
	answered int
}

// wireChunk is a chat.completion.chunk in every dialect we know: reasoning as
// reasoning_content (DeepSeek) or reasoning (OpenRouter, Groq), usage on any
// chunk, and an error object inside a 200 stream (OpenRouter). It reads a
// whole chat.completion too (a server that ignored "stream": true, see
// jsonAsSSE): its choices hold a message where a chunk's hold a delta.
type wireChunk struct {
	Model   string `json:"model"`
	Choices []struct {
		Delta        wireDelta `json:"delta"`
		Message      wireDelta `json:"message"`
		FinishReason *string   `json:"finish_reason"`
	} `json:"choices"`
	Usage *struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
	} `json:"usage"`
	Error json.RawMessage `json:"error"`
}

type wireDelta struct {
	Content          *string         `json:"content"`
	ReasoningContent *string         `json:"reasoning_content"`
	Reasoning        *string         `json:"reasoning"`
	ToolCalls        json.RawMessage `json:"tool_calls"` // decoded by toolDeltas
}

// add appends d's text and reasoning to c.
func (d wireDelta) add(c *llm.Chunk) {
	if d.Content != nil {
		c.Text += *d.Content
	}
	if d.ReasoningContent != nil {
		c.Reasoning += *d.ReasoningContent
	} else if d.Reasoning != nil {
		c.Reasoning += *d.Reasoning
	}
}

// Next implements llm.Stream. The answer's tool calls go on the chunk
// that finishes it, or, when none does (the stream ended or broke first),
// on one more chunk of their own before Next returns false.
func (s *openAIStream) Next() bool {
	if s.ended {
		return false
	}
	if s.next() {
		return true
	}
	s.ended = true
	if calls := s.tools.take(); calls != nil {
		s.cur = llm.Chunk{ToolCalls: calls}
		return true
	}
	return false
}

func (s *openAIStream) next() bool {
	if s.err != nil {
		return false
	}
	raw, err := s.s.RecvRaw()
	if err != nil {
		if errors.Is(err, io.EOF) {
			if s.info.json && !s.sawChoice {
				s.err = &llm.ProviderError{Kind: llm.KindMalformed, Provider: s.provider, Err: errors.New("JSON answer without choices"),
					Sentence: fmt.Sprintf("%s answered with JSON that holds no answer (no choices, no error).", s.provider)}
				return false
			}
			if !s.info.sawDone && !s.finished {
				s.err = &llm.ProviderError{Kind: llm.KindIncomplete, Provider: s.provider, Err: io.ErrUnexpectedEOF,
					Sentence: fmt.Sprintf("%s closed the connection before the answer was complete.", s.provider)}
			}
			return false
		}
		s.err = s.streamErr(err)
		return false
	}
	var w wireChunk
	if err := json.Unmarshal(raw, &w); err != nil {
		sentence := fmt.Sprintf("%s sent a malformed response; the answer stops here.", s.provider)
		if s.info.json {
			sentence = fmt.Sprintf("%s answered with one JSON body instead of a stream, and it is not valid JSON; the answer stops here.", s.provider)
		}
		s.err = &llm.ProviderError{Kind: llm.KindMalformed, Provider: s.provider, Err: fmt.Errorf("decode chunk: %w", err), Sentence: sentence}
		return false
	}
	if len(w.Error) > 0 && string(w.Error) != "null" {
		msg := redact.String(extractErrorMessage(append(append([]byte(`{"error":`), w.Error...), '}')), s.key)
		if msg == "" {
			msg = "no details given"
		}
		var code struct {
			Code any `json:"code"`
		}
		json.Unmarshal(w.Error, &code) // a string error has none
		s.err = inStreamError(s.provider, fmt.Sprint(code.Code), msg, errors.New("error in stream: "+msg))
		return false
	}
	c := llm.Chunk{Model: w.Model}
	if w.Choices != nil {
		s.sawChoice = true
	}
	for _, ch := range w.Choices {
		before := len(c.Text) + len(c.Reasoning)
		ch.Delta.add(&c)
		ch.Message.add(&c)
		s.answered += len(c.Text) + len(c.Reasoning) - before
		for _, raw := range [2]json.RawMessage{ch.Delta.ToolCalls, ch.Message.ToolCalls} {
			calls, err := s.toolDeltas(raw)
			if err != nil {
				s.err = err
				return false
			}
			if len(calls) == 0 {
				continue
			}
			took, err := s.tools.add(s.provider, calls, llm.MaxAnswerBytes-s.answered)
			s.answered += took
			if err != nil {
				s.err = err
				return false
			}
		}
		if ch.FinishReason != nil && *ch.FinishReason != "" {
			c.Finish = *ch.FinishReason
			s.finished = true
			c.ToolCalls = s.tools.take()
		}
	}
	if w.Usage != nil {
		c.Usage = &llm.Usage{PromptTokens: w.Usage.PromptTokens, CompletionTokens: w.Usage.CompletionTokens}
	}
	s.cur = c
	return true
}

// toolDeltas decodes a delta's "tool_calls". A stream of a request that
// offered no tools is read as it was before tools existed: a field it
// cannot read there is ignored, not an error.
func (s *openAIStream) toolDeltas(raw json.RawMessage) ([]wireToolDelta, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var calls []wireToolDelta
	if err := json.Unmarshal(raw, &calls); err != nil {
		if !s.offered {
			return nil, nil
		}
		return nil, &llm.ProviderError{Kind: llm.KindMalformed, Provider: s.provider, Err: fmt.Errorf("decode tool calls: %w", err),
			Sentence: fmt.Sprintf("%s sent tool calls deskchat cannot read; the answer stops here.", s.provider)}
	}
	return calls, nil
}

// streamErr classifies an error met while reading the stream body.
func (s *openAIStream) streamErr(err error) error {
	if errors.Is(err, errJSONTooBig) {
		return &llm.ProviderError{Kind: llm.KindMalformed, Provider: s.provider, Err: err,
			Sentence: fmt.Sprintf("%s answered with a JSON body over %d MB; deskchat stopped reading it and kept the answer up to there.", s.provider, maxJSONBody>>20)}
	}
	var apiErr *goopenai.APIError
	if errors.As(err, &apiErr) && apiErr.HTTPStatusCode == 0 {
		// `data: {"error": ...}` inside a 200 stream.
		msg := redact.String(apiErr.Message, s.key)
		if msg == "" {
			msg = "no details given"
		}
		return inStreamError(s.provider, fmt.Sprint(apiErr.Code), msg, redact.Error(err, s.key))
	}
	return classify(err, s.provider, s.model, s.baseURL, s.key)
}

// LastActivity implements llm.ActivityReporter.
func (s *openAIStream) LastActivity() time.Time { return time.Unix(0, s.info.lastRead.Load()) }

func (s *openAIStream) Current() llm.Chunk { return s.cur }
func (s *openAIStream) Err() error         { return s.err }
func (s *openAIStream) Close() error       { return s.s.Close() }
