package engine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"deskchat/store"
)

// DefaultFlushInterval is how often streamed text is written to the store at
// most; a crash loses at most this much of an answer.
const DefaultFlushInterval = 200 * time.Millisecond

// Options configure an Engine. The zero value is usable.
type Options struct {
	// FlushInterval bounds how long streamed text stays only in memory;
	// 0 means DefaultFlushInterval.
	FlushInterval time.Duration
	// Getenv reads API keys from the environment; nil means os.Getenv.
	Getenv func(string) string
	// Simulator configures the built-in Simulator provider.
	Simulator Simulator
}

// Engine sends requests to providers and persists answers. Build it with New.
type Engine struct {
	st     *store.Store
	flush  time.Duration
	getenv func(string) string

	mu      sync.Mutex
	clients map[string]*http.Client // one per provider, reused
	sim     Simulator

	afterFlush func(store.Message) // test hook: called after each flush of streamed text
	// timer starts a timer; tests replace it to record waits without waiting.
	timer  func(time.Duration) (<-chan time.Time, func() bool)
	jitter func() float64
}

func realTimer(d time.Duration) (<-chan time.Time, func() bool) {
	t := time.NewTimer(d)
	return t.C, t.Stop
}

// wait blocks for d or until ctx is done.
func (e *Engine) wait(ctx context.Context, d time.Duration) error {
	c, stop := e.timer(d)
	defer stop()
	select {
	case <-c:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// New returns an Engine that persists to st.
func New(st *store.Store, opts Options) *Engine {
	e := &Engine{st: st, flush: opts.FlushInterval, getenv: opts.Getenv, clients: map[string]*http.Client{}, sim: opts.Simulator,
		timer: realTimer, jitter: jitter}
	if e.flush <= 0 {
		e.flush = DefaultFlushInterval
	}
	if e.getenv == nil {
		e.getenv = os.Getenv
	}
	return e
}

// Store returns the store the engine writes to.
func (e *Engine) Store() *store.Store { return e.st }

// SetSimulatorRate changes the Simulator's pace for answers started later.
func (e *Engine) SetSimulatorRate(tokensPerSecond float64) {
	e.mu.Lock()
	e.sim.TokensPerSecond = tokensPerSecond
	e.mu.Unlock()
}

// SendOptions choose the provider and sampling for one request. Empty fields
// fall back to the conversation's choice, then to the default provider.
type SendOptions struct {
	Provider    string          // a stored provider's name, or SimulatorName
	Model       string          // overrides the provider's default model
	Endpoint    *store.Provider // an ad-hoc provider that is not stored (ask --base-url)
	System      string          // system prompt for this request; else the conversation's
	Temperature *float32
	MaxTokens   int
}

// Send appends text as a user message to the conversation and streams the
// answer. Errors that prevent sending (unknown conversation, no provider set
// up, no key, a store failure) are returned at once and store nothing. Once
// Send returns a channel, the user message is stored and the channel receives
// Started (if the provider accepted), Delta and UsageEvent events, then
// exactly one of Done, Stopped or Failed, and is closed. Callers must drain it.
func (e *Engine) Send(ctx context.Context, conversationID, text string, opts SendOptions) (<-chan Event, error) {
	conv, err := e.st.Conversation(conversationID)
	if err != nil {
		return nil, err
	}
	prov, cfg, model, err := e.resolve(conv, opts)
	if err != nil {
		return nil, err
	}
	if opts.Endpoint == nil && (conv.Provider != cfg.Name || conv.Model != model || conv.Title == "") {
		conv, err = e.st.UpdateConversation(conv.ID, func(c *store.Conversation) {
			c.Provider, c.Model = cfg.Name, model
			if c.Title == "" {
				c.Title = TitleFrom(text)
			}
		})
		if err != nil {
			return nil, err
		}
	}
	if opts.Endpoint != nil && conv.Title == "" {
		if conv, err = e.st.UpdateConversation(conv.ID, func(c *store.Conversation) { c.Title = TitleFrom(text) }); err != nil {
			return nil, err
		}
	}
	user, err := e.st.AppendMessage(store.Message{ConversationID: conv.ID, Role: store.RoleUser, Content: text, State: store.StateDone})
	if err != nil {
		return nil, err
	}
	history, err := e.st.Messages(conv.ID)
	if err != nil {
		return nil, err
	}
	system := opts.System
	if system == "" {
		system = conv.SystemPrompt
	}
	req := Request{Model: model, Messages: buildMessages(system, history), Temperature: opts.Temperature, MaxTokens: opts.MaxTokens}
	out := make(chan Event, 64)
	retries := DefaultMaxRetries
	if cfg.MaxRetries != nil {
		retries = max(*cfg.MaxRetries, 0)
	}
	go e.run(ctx, prov, cfg.Name, req, user, retries, out)
	return out, nil
}

// TitleFrom makes a conversation title from the first user message.
func TitleFrom(text string) string {
	t := strings.Join(strings.Fields(text), " ")
	if utf8.RuneCountInString(t) > 60 {
		t = string([]rune(t)[:60]) + "…"
	}
	if t == "" {
		t = "New conversation"
	}
	return t
}

// buildMessages turns the stored history into the request's messages:
// system prompt first, then every user message and every assistant answer
// that has text.
func buildMessages(system string, history []store.Message) []ChatMessage {
	msgs := make([]ChatMessage, 0, len(history)+1)
	if strings.TrimSpace(system) != "" {
		msgs = append(msgs, ChatMessage{Role: RoleSystem, Content: system})
	}
	for _, m := range history {
		if m.Content == "" {
			continue
		}
		msgs = append(msgs, ChatMessage{Role: Role(m.Role), Content: m.Content})
	}
	return msgs
}

// resolve picks the provider adapter and model for a request.
func (e *Engine) resolve(conv store.Conversation, opts SendOptions) (Provider, store.Provider, string, error) {
	var cfg store.Provider
	switch {
	case opts.Endpoint != nil:
		cfg = *opts.Endpoint
	default:
		name := opts.Provider
		if name == "" {
			name = conv.Provider
		}
		if name == "" {
			def, err := e.st.Setting(store.SettingDefaultProvider)
			if err != nil {
				return nil, cfg, "", err
			}
			name = def
		}
		if name == "" {
			return nil, cfg, "", &ProviderError{Kind: KindConfig, Sentence: "No provider is set up. Add one in Settings, or choose the Simulator to try deskchat without a key."}
		}
		if name == SimulatorName {
			cfg = SimulatorConfig()
		} else {
			p, err := e.st.Provider(name)
			if err != nil {
				return nil, cfg, "", err
			}
			cfg = p
		}
	}
	model := opts.Model
	if model == "" && conv.Provider == cfg.Name {
		model = conv.Model
	}
	if model == "" {
		model = cfg.Model
	}
	if model == "" {
		return nil, cfg, "", &ProviderError{Kind: KindConfig, Provider: cfg.Name, Sentence: fmt.Sprintf("Choose a model for %s first.", cfg.Name)}
	}
	prov, err := e.provider(cfg)
	return prov, cfg, model, err
}

// SimulatorConfig describes the built-in Simulator as a provider record.
func SimulatorConfig() store.Provider {
	return store.Provider{Name: SimulatorName, Kind: store.KindSimulator, Model: SimulatorModel, Models: []string{SimulatorModel}}
}

// provider returns the adapter for cfg, reusing the provider's http.Client.
func (e *Engine) provider(cfg store.Provider) (Provider, error) {
	if cfg.Kind == store.KindSimulator {
		e.mu.Lock()
		sim := e.sim
		e.mu.Unlock()
		return &sim, nil
	}
	key := ""
	keyEnv := cfg.KeyEnv
	if keyEnv == "" && cfg.Kind == store.KindOpenAI {
		keyEnv = "OPENAI_API_KEY"
	}
	if keyEnv != "" {
		key = strings.TrimSpace(e.getenv(keyEnv))
	}
	if key == "" && (cfg.Kind == store.KindOpenAI || cfg.Kind == store.KindAzure) {
		if keyEnv == "" {
			keyEnv = "a variable"
		}
		return nil, &ProviderError{Kind: KindConfig, Provider: cfg.Name, Sentence: fmt.Sprintf("%s needs an API key: set %s in the environment, or name the variable that holds the key in the provider's settings.", cfg.Name, keyEnv)}
	}
	if cfg.BaseURL == "" && cfg.Kind != store.KindOpenAI {
		return nil, &ProviderError{Kind: KindConfig, Provider: cfg.Name, Sentence: fmt.Sprintf("%s has no base URL. Set one in the provider's settings.", cfg.Name)}
	}
	e.mu.Lock()
	hc := e.clients[cfg.Name+"\x00"+cfg.BaseURL]
	if hc == nil {
		hc = NewHTTPClient()
		e.clients[cfg.Name+"\x00"+cfg.BaseURL] = hc
	}
	e.mu.Unlock()
	return NewOpenAI(cfg, key, hc), nil
}

// maxBatch bounds how many waiting chunks one Delta event merges.
const maxBatch = 64

// run streams one answer and persists it; it owns out and closes it.
func (e *Engine) run(ctx context.Context, prov Provider, provName string, req Request, user store.Message, retries int, out chan<- Event) {
	defer close(out)
	start := time.Now()
	ans := store.Message{ConversationID: user.ConversationID, Role: store.RoleAssistant, Provider: provName, Model: req.Model}

	stream, err := e.open(ctx, prov, req, retries, out)
	if err != nil {
		if ctx.Err() != nil {
			// Stopped before the provider answered: there is no answer to keep.
			out <- Stopped{}
			return
		}
		pe := classify(err, provName, req.Model, "")
		ans.State, ans.Error = store.StateFailed, pe.Sentence
		if _, serr := e.st.AppendMessage(ans); serr != nil {
			out <- Failed{Sentence: pe.Sentence + " " + store.UserMessage(serr), Err: errors.Join(pe, serr)}
			return
		}
		out <- Failed{Sentence: pe.Sentence, Err: pe}
		return
	}
	defer stream.Close()

	ans.State = store.StateStreaming
	ans, err = e.st.AppendMessage(ans)
	if err != nil {
		out <- Failed{Sentence: store.UserMessage(err), Err: err}
		return
	}
	e.emit(ctx, out, Started{ConversationID: ans.ConversationID, UserSeq: user.Seq, AssistantSeq: ans.Seq, Provider: provName, Model: req.Model})

	// A pump goroutine pulls chunks so that the loop below can flush on a
	// timer while the provider is silent.
	chunks := make(chan Chunk, 16)
	pumpDone := make(chan struct{})
	go func() {
		defer close(chunks)
		for stream.Next() {
			select {
			case chunks <- stream.Current():
			case <-pumpDone:
				return
			}
		}
	}()
	defer close(pumpDone)

	ticker := time.NewTicker(e.flush)
	defer ticker.Stop()
	var text, reasoning strings.Builder
	dirty := false
	var flushErr error
	flush := func() {
		ans.Content, ans.Reasoning = text.String(), reasoning.String()
		if err := e.st.PutMessage(ans); err != nil && flushErr == nil {
			flushErr = err
		}
		dirty = false
		if e.afterFlush != nil {
			e.afterFlush(ans)
		}
	}
loop:
	for {
		select {
		case c, ok := <-chunks:
			if !ok {
				break loop
			}
			// Take what else is already waiting (up to a bound), so a fast
			// stream costs one event per batch rather than one per chunk.
			var d Delta
			var usage *Usage
			closed := false
			for n, more := 0, true; more; n++ {
				d.Text += c.Text
				d.Reasoning += c.Reasoning
				if c.Usage != nil {
					usage = c.Usage
				}
				if c.Finish != "" {
					ans.Finish = c.Finish
				}
				if n == maxBatch {
					break
				}
				select {
				case c, more = <-chunks:
					closed = !more
				default:
					more = false
				}
			}
			if d.Text != "" || d.Reasoning != "" {
				text.WriteString(d.Text)
				reasoning.WriteString(d.Reasoning)
				dirty = true
				e.emit(ctx, out, d)
			}
			if usage != nil {
				ans.PromptTokens, ans.OutputTokens = usage.PromptTokens, usage.CompletionTokens
				e.emit(ctx, out, UsageEvent{Usage: *usage})
			}
			if closed {
				break loop
			}
		case <-ticker.C:
			if dirty {
				flush()
			}
		case <-ctx.Done():
			stream.Close()
			break loop
		}
	}

	var final Event
	switch {
	case ctx.Err() != nil:
		ans.State = store.StateStopped
		final = Stopped{}
	case stream.Err() != nil:
		pe := classify(stream.Err(), provName, req.Model, "")
		ans.State, ans.Error = store.StateFailed, pe.Sentence
		final = Failed{Sentence: pe.Sentence, Err: pe}
	default:
		ans.State = store.StateDone
		final = Done{Finish: ans.Finish, Duration: time.Since(start)}
	}
	flush()
	if flushErr != nil {
		final = Failed{Sentence: store.UserMessage(flushErr), Err: flushErr}
	}
	out <- final
}

// open starts the provider's stream, retrying failures that happen before
// the first token as openai-python does: at most retries times, only for
// 408, 409, 429, 5xx and connection errors, after the server's requested
// delay (up to MaxServerDelay) or else an exponential backoff with jitter.
func (e *Engine) open(ctx context.Context, prov Provider, req Request, retries int, out chan<- Event) (Stream, error) {
	for attempt := 0; ; attempt++ {
		s, err := prov.Stream(ctx, req)
		if err == nil {
			return s, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		pe := classify(err, prov.Name(), req.Model, "")
		if !retryable(pe) {
			return nil, pe
		}
		if pe.RetryAfter > MaxServerDelay {
			pe.Sentence = fmt.Sprintf("%s asks to wait %s before the next request. Try again after %s.",
				prov.Name(), pe.RetryAfter.Round(time.Second), time.Now().Add(pe.RetryAfter).Format("15:04"))
			return nil, pe
		}
		if attempt >= retries {
			return nil, pe
		}
		wait := backoff(attempt, e.jitter())
		if pe.RetryAfter > 0 {
			wait = pe.RetryAfter
		}
		e.emit(ctx, out, Retrying{Attempt: attempt + 1, After: wait, Reason: retryReason(pe)})
		if err := e.wait(ctx, wait); err != nil {
			return nil, err
		}
	}
}

func retryReason(pe *ProviderError) string {
	switch {
	case pe.Status == http.StatusTooManyRequests:
		return "429 rate limited"
	case pe.Status >= 500:
		return fmt.Sprintf("server error %d", pe.Status)
	case pe.Status != 0:
		return fmt.Sprintf("HTTP %d", pe.Status)
	}
	return "connection failed"
}

// emit sends a progress event unless the caller has gone away.
func (e *Engine) emit(ctx context.Context, out chan<- Event, ev Event) {
	select {
	case out <- ev:
	case <-ctx.Done():
	}
}
